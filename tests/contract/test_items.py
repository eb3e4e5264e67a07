"""Items in and out: what the table hands back is what DynamoDB would, whatever the caller does afterwards."""

from __future__ import annotations

import pytest

from leadwire.store.table import ConditionFailed, Table


def lead(lead_id: str = "1", **fields: object) -> dict[str, object]:
    return {"pk": f"LEAD#{lead_id}", "sk": "LEAD", "id": lead_id, **fields}


def key(item: dict[str, object]) -> dict[str, object]:
    return {"pk": item["pk"], "sk": item["sk"]}


def test_put_then_get_round_trips_every_kind_of_value(table: Table) -> None:
    # Given an item with numbers, floats, nested maps, lists, booleans and Nones
    item = lead(score=42, weight=0.123456, ratio=2.5, whole=3.0, big=10**20, negative=-7, consent=True, spam=False,
                tags=["a", "b"], empty=[], utm={"source": "google", "nested": {"deep": [1, {"x": 1.5}]}, "gone": None},
                owner=None, note="")
    # When it is written and read back
    table.put(item)
    stored = table.get(key(item))
    # Then floats come back rounded to four places, whole floats as ints, and every None is gone
    assert stored == {"pk": "LEAD#1", "sk": "LEAD", "id": "1", "score": 42, "weight": 0.1235, "ratio": 2.5,
                      "whole": 3, "big": 10**20, "negative": -7, "consent": True, "spam": False, "tags": ["a", "b"],
                      "empty": [], "utm": {"source": "google", "nested": {"deep": [1, {"x": 1.5}]}}, "note": ""}
    assert type(stored["whole"]) is int and type(stored["consent"]) is bool


def test_get_of_a_missing_item_is_none(table: Table) -> None:
    assert table.get({"pk": "LEAD#nobody", "sk": "LEAD"}) is None


def test_callers_cannot_change_what_is_stored(table: Table) -> None:
    # Given a stored item
    item = lead(tags=["a"], utm={"source": "google"})
    table.put(item)
    # When the caller changes what it wrote and what it read
    item["tags"].append("written-after")  # type: ignore[attr-defined]
    read = table.get(key(item))
    assert read is not None
    read["tags"].append("read-after")
    read["utm"]["source"] = "changed"
    # Then the table still holds what was written
    assert table.get(key(item)) == lead(tags=["a"], utm={"source": "google"})


def test_put_replaces_the_whole_item(table: Table) -> None:
    table.put(lead(status="new", owner="rep-a"))
    table.put(lead(status="assigned"))
    assert table.get(key(lead())) == lead(status="assigned")


def test_conditional_put_on_attribute_not_exists(table: Table) -> None:
    # Given an item already written once
    table.put(lead(status="new"), "attribute_not_exists(pk)")
    # When a second write expects it absent
    with pytest.raises(ConditionFailed) as refused:
        table.put(lead(status="changed"), "attribute_not_exists(pk)")
    # Then it is refused and the first stays
    assert refused.value.reasons == ["ConditionalCheckFailed"]
    assert table.get(key(lead())) == lead(status="new")


def test_delete_removes_the_item_and_a_missing_one_is_no_error(table: Table) -> None:
    table.put(lead())
    table.delete(key(lead()))
    table.delete(key(lead()))
    assert table.get(key(lead())) is None


def test_delete_with_a_condition_on_a_value(table: Table) -> None:
    # Given a lead in stage new
    table.put(lead(stage="new"))
    # When deletes expect another stage, then the right one
    with pytest.raises(ConditionFailed):
        table.delete(key(lead()), "attribute_exists(pk) AND stage = :was", was="qualified")
    assert table.get(key(lead())) is not None
    table.delete(key(lead()), "attribute_exists(pk) AND stage = :was", was="new")
    # Then only the matching one deleted it
    assert table.get(key(lead())) is None


def test_delete_with_a_condition_without_values(table: Table) -> None:
    with pytest.raises(ConditionFailed):
        table.delete(key(lead()), "attribute_exists(pk)")
    table.put(lead())
    table.delete(key(lead()), "attribute_exists(pk)")
    assert table.get(key(lead())) is None


def test_get_many_answers_in_the_order_asked_and_skips_missing_keys(table: Table) -> None:
    # Given 120 leads, more than one BatchGetItem carries
    for number in range(120):
        table.put(lead(f"{number:03d}", n=number))
    # When they are asked for backwards, with some that do not exist among them
    wanted = [{"pk": f"LEAD#{number:03d}", "sk": "LEAD"} for number in reversed(range(125))]
    found = table.get_many(wanted)
    # Then they come back in the order asked, the missing ones left out
    assert [item["n"] for item in found] == list(reversed(range(120)))


def test_get_many_of_nothing(table: Table) -> None:
    assert table.get_many([]) == []


def test_a_key_with_more_than_the_key_attributes_is_refused(table: Table) -> None:
    table.put(lead(status="new"))
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError on DynamoDB, ValueError in memory
        table.get(lead(status="new"))


@pytest.mark.parametrize(("name", "limit"), [("pk", 2048), ("sk", 1024)])
def test_a_key_longer_than_dynamodbs_limit_is_refused_and_one_at_the_limit_is_not(table: Table, name: str,
                                                                                     limit: int) -> None:
    at_limit = {**lead(), name: "é" * (limit // 2)}  # two bytes each in UTF-8: the limit counts bytes
    table.put(at_limit)
    assert table.get(key(at_limit)) == at_limit
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError on DynamoDB, ValueError in memory
        table.put({**lead(), name: "é" * (limit // 2) + "x"})


def test_next_number_counts_from_zero_per_key(table: Table) -> None:
    counter = {"pk": "COUNTER#routing", "sk": "round_robin#pool"}
    other = {"pk": "COUNTER#routing", "sk": "round_robin#other"}
    assert [table.next_number(counter) for _ in range(3)] == [0, 1, 2]
    assert table.next_number(other) == 0
    assert table.next_number(counter, attribute="m") == 0
    assert table.get(counter) == {**counter, "n": 3, "m": 1}



def test_a_reserved_word_in_a_condition_is_refused(table: Table) -> None:
    table.put(lead(status="new"))
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError on DynamoDB, ValueError in memory
        table.delete(key(lead()), "status = :was", was="new")
    assert table.get(key(lead())) == lead(status="new")


def test_a_condition_in_redundant_parentheses_is_refused(table: Table) -> None:
    table.put(lead(status="new"))
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError on DynamoDB, ValueError in memory
        table.delete(key(lead()), "((attribute_exists(pk) OR attribute_exists(sk)))")
    table.delete(key(lead()), "(attribute_exists(pk)) AND ((attribute_exists(sk)) OR attribute_exists(pk))")
    assert table.get(key(lead())) is None


def test_get_many_refuses_the_same_key_twice(table: Table) -> None:
    table.put(lead())
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError on DynamoDB, ValueError in memory
        table.get_many([key(lead()), key(lead())])
