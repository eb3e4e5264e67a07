"""DynamoDB capacity arithmetic of the benchmark: item sizes, request units, and GSI writes, on hand-made items."""

from __future__ import annotations

import pytest

from bench.capacity import (
    Index,
    index_write_units,
    indexes_of,
    item_size,
    read_units,
    size_profile,
    value_size,
    write_units,
)
from devtools.template import load_template

TABLE_KEYS = ("pk", "sk")
BY_CREATED = Index("by_created", "list_pk", "created_at", "INCLUDE", ("stage", "status", "owner", "source"))
DUE = Index("due", "due_shard", "due_at", "KEYS_ONLY")


@pytest.mark.parametrize(("value", "size"), [
    ({"S": "abc"}, 3),
    ({"S": "über"}, 5),  # UTF-8 bytes, not characters
    ({"N": "7"}, 2),  # 1 significant digit: 1 byte, plus 1
    ({"N": "123.45"}, 4),  # 5 significant digits: 3 bytes, plus 1
    ({"N": "1000"}, 2),  # trailing zeros are trimmed
    ({"N": "-0.0012"}, 2),  # so are leading ones and the sign
    ({"BOOL": True}, 1),
    ({"NULL": True}, 1),
    ({"B": b"\x00\x01\x02"}, 3),
    ({"B": "AAEC"}, 3),  # base64 on the wire, raw bytes counted
    ({"SS": ["a", "bc"]}, 3),
    ({"L": []}, 3),
    ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (2 + 1) + (2 + 1)),
    ({"M": {"k": {"S": "v"}}}, 3 + 1 + 1 + 1),
])
def test_value_sizes_follow_the_documented_rules(value: dict, size: int) -> None:
    assert value_size(value) == size


def test_an_item_is_its_attribute_names_plus_values() -> None:
    item = {"pk": {"S": "LEAD#abc"}, "sk": {"S": "LEAD"}, "touches": {"N": "1"}}
    assert item_size(item) == (2 + 8) + (2 + 4) + (7 + 2)
    assert item_size(None) == 0


@pytest.mark.parametrize(("before", "after", "transactional", "units"), [
    (0, 100, False, 1),  # the minimum is one unit
    (0, 1024, False, 1),
    (0, 1025, False, 2),  # every started KB
    (3000, 500, False, 3),  # the larger of before and after
    (0, 100, True, 2),  # transactions cost twice
    (0, 2500, True, 6),
])
def test_write_units(before: int, after: int, transactional: bool, units: int) -> None:
    assert write_units(before, after, transactional) == units


def test_read_units_count_started_4kb_halved_when_eventually_consistent() -> None:
    assert read_units(0) == 1
    assert read_units(4096) == 1
    assert read_units(4097) == 2
    assert read_units(4097, consistent=False) == 1
    assert read_units(100, consistent=False) == 0.5
    assert read_units(5000, transactional=True) == 4


def lead(**attributes: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": "LEAD#1"}, "sk": {"S": "LEAD"}, **{name: {"S": value} for name, value in attributes.items()}}


def test_an_item_entering_a_sparse_index_costs_one_write_and_one_outside_it_none() -> None:
    assert index_write_units(None, lead(list_pk="LEAD", created_at="2026-11-22"), BY_CREATED, TABLE_KEYS) == 1
    assert index_write_units(None, lead(email="a@b.example"), BY_CREATED, TABLE_KEYS) == 0


def test_changing_an_index_key_costs_a_delete_and_a_put() -> None:
    before = lead(due_shard="DUE#1", due_at="2026-11-22T10:00:00Z")
    after = lead(due_shard="DUE#1", due_at="2026-11-22T10:15:00Z")
    assert index_write_units(before, after, DUE, TABLE_KEYS) == 2


def test_leaving_an_index_costs_one_write() -> None:
    before = lead(due_shard="DUE#1", due_at="2026-11-22T10:00:00Z")
    assert index_write_units(before, lead(), DUE, TABLE_KEYS) == 1


def test_only_projected_attributes_matter_when_the_keys_stay() -> None:
    before = lead(list_pk="LEAD", created_at="2026-11-22", status="new", message="hello")
    projected_change = {**before, "status": {"S": "assigned"}}
    other_change = {**before, "message": {"S": "hello again"}}
    assert index_write_units(before, projected_change, BY_CREATED, TABLE_KEYS) == 1
    assert index_write_units(before, other_change, BY_CREATED, TABLE_KEYS) == 0
    assert index_write_units(before, other_change, DUE, TABLE_KEYS) == 0


def test_the_indexes_are_read_from_the_template() -> None:
    props = load_template().resource(load_template().table_id())["Properties"]
    indexes = {index.name: index for index in indexes_of(props)}
    assert indexes["by_created"] == BY_CREATED
    assert indexes["due"] == DUE
    assert indexes["by_owner"].hash_key == "owner"


def test_a_steady_stream_sends_evenly_at_the_rate_for_the_duration() -> None:
    from bench.pipeline import send_times

    times = send_times(rate_per_s=10, seconds=60, start=100.0)

    assert len(times) == 600
    assert (times[0], times[1], times[-1]) == (100.0, 100.1, 100.0 + 59.9)


def test_a_size_profile_counts_the_items_over_one_write_unit_and_what_weighs_most() -> None:
    small = {"pk": {"S": "LEAD#a"}, "sk": {"S": "LEAD"}}  # 2 + 6 + 2 + 4 = 14 bytes
    large = {**small, "message": {"S": "x" * 1100}}  # 14 + 7 + 1100 = 1121 bytes
    profile = size_profile([small, large, dict(small)], top=2)
    assert profile["items"] == 3
    assert profile["median_bytes"] == 14
    assert profile["max_bytes"] == 1121
    assert profile["over_one_unit_share"] == round(1 / 3, 3)
    assert profile["heaviest_attributes"] == {"message": round(1107 / 3, 1), "pk": 8.0}


def test_an_item_of_exactly_one_write_unit_is_not_over_it() -> None:
    exact = {"pk": {"S": "x" * (1024 - 2)}}
    assert item_size(exact) == 1024
    assert size_profile([exact])["over_one_unit_share"] == 0.0
    assert size_profile([]) == {"items": 0}
