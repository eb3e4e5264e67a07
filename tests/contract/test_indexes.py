"""Query on each global secondary index: sparse, projected, ranged, filtered after Limit, paged."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire.store.table import Table, Update


def lead(lead_id: str, created_at: str, **fields: Any) -> dict[str, Any]:
    return {"pk": f"LEAD#{lead_id}", "sk": "LEAD", "id": lead_id, "list_pk": "LEAD", "created_at": created_at,
            "stage": "new", "status": "new", "source": "web", "email": f"{lead_id}@example.com", **fields}


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["pk"].removeprefix("LEAD#") for item in items]


@pytest.fixture
def leads(table: Table) -> Table:
    """Six leads on the list, two owned by rep-a, one by rep-b; a timeline entry and a rep that no index holds."""
    table.put(lead("1", "2026-10-01T09:00Z", owner="rep-a", status="assigned"))
    table.put(lead("2", "2026-10-02T09:00Z"))
    table.put(lead("3", "2026-10-03T09:00Z", owner="rep-b", status="assigned", source="meta"))
    table.put(lead("4", "2026-10-04T09:00Z", source="meta"))
    table.put(lead("5", "2026-10-05T09:00Z", owner="rep-a", status="won"))
    table.put(lead("6", "2026-10-06T09:00Z", source="meta"))
    table.put({"pk": "LEAD#1", "sk": "TL#2026-10-01T09:00Z#a", "created_at": "2026-10-01T09:00Z", "kind": "x"})
    table.put({"pk": "REPS", "sk": "REP#rep-a", "owner": "rep-a", "name": "Ana"})
    return table


def test_by_created_newest_first_with_its_projection(leads: Table) -> None:
    # When the list is read newest first
    items, cursor = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at")
    # Then only leads are there, and only the projected attributes
    assert ids(items) == ["6", "5", "4", "3", "2", "1"]
    assert cursor is None
    assert items[1] == {"pk": "LEAD#5", "sk": "LEAD", "list_pk": "LEAD", "created_at": "2026-10-05T09:00Z",
                        "stage": "new", "status": "won", "owner": "rep-a", "source": "web"}
    assert "owner" not in items[0]


def test_by_owner_is_sparse(leads: Table) -> None:
    items, _ = leads.query_index("by_owner", "owner", "rep-a", range_name="created_at", newest_first=False)
    assert ids(items) == ["1", "5"]
    assert items[0] == {"pk": "LEAD#1", "sk": "LEAD", "owner": "rep-a", "created_at": "2026-10-01T09:00Z",
                        "stage": "new", "status": "assigned", "source": "web", "list_pk": "LEAD"}


def test_an_item_leaves_the_index_when_its_key_is_removed(leads: Table) -> None:
    leads.update({"pk": "LEAD#1", "sk": "LEAD"}, Update().set(owner=None))
    items, _ = leads.query_index("by_owner", "owner", "rep-a", range_name="created_at")
    assert ids(items) == ["5"]


def test_between_on_an_index(leads: Table) -> None:
    items, _ = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at",
                                 between=("2026-10-02T09:00Z", "2026-10-04T09:00Z"), newest_first=False)
    assert ids(items) == ["2", "3", "4"]


def test_filters_apply_after_limit(leads: Table) -> None:
    # When three leads are evaluated and only those from meta kept
    items, cursor = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at",
                                      filters={"source": "meta"}, limit=3)
    # Then the page holds the meta ones among the three newest, and the cursor is the third evaluated
    assert ids(items) == ["6", "4"]
    assert cursor == {"pk": "LEAD#4", "sk": "LEAD", "list_pk": "LEAD", "created_at": "2026-10-04T09:00Z"}
    # And the next page goes on from there
    rest, last = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at",
                                   filters={"source": "meta"}, limit=4, cursor=cursor)
    assert ids(rest) == ["3"]
    assert last is None


def test_a_filtered_page_can_be_empty_with_a_cursor(leads: Table) -> None:
    items, cursor = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at",
                                      filters={"status": "assigned"}, limit=2)
    assert items == []
    assert cursor == {"pk": "LEAD#5", "sk": "LEAD", "list_pk": "LEAD", "created_at": "2026-10-05T09:00Z"}


def test_several_filters_all_hold(leads: Table) -> None:
    items, _ = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at",
                                 filters={"source": "meta", "status": "assigned"})
    assert ids(items) == ["3"]


def test_paging_an_index_sees_every_item_once(leads: Table) -> None:
    seen: list[str] = []
    cursor: dict[str, Any] | None = None
    pages = 0
    while True:
        items, cursor = leads.query_index("by_created", "list_pk", "LEAD", range_name="created_at", limit=4,
                                          cursor=cursor, newest_first=False)
        seen += ids(items)
        pages += 1
        if cursor is None:
            break
    assert seen == ["1", "2", "3", "4", "5", "6"]
    assert pages == 2


def due(table: Table) -> None:
    for number, due_at in enumerate(["2026-10-05T08:00Z", "2026-10-05T09:00Z", "2026-10-05T10:00Z",
                                     "2026-10-05T11:00Z", "2026-10-05T12:00Z"]):
        table.put({"pk": f"LEAD#{number}", "sk": "LEAD", "due_shard": "DUE#1", "due_at": due_at, "status": "new"})
    table.put({"pk": "LEAD#9", "sk": "LEAD", "due_shard": "DUE#2", "due_at": "2026-10-05T08:00Z"})
    table.put({"pk": "LEAD#10", "sk": "LEAD", "due_shard": "DUE#1", "status": "won"})


def test_due_upto_oldest_first_keys_only(table: Table) -> None:
    # Given leads due at different times in two shards, and one no longer due at all
    due(table)
    # When the sweep reads what is due by ten o'clock
    items, cursor = table.query_index("due", "due_shard", "DUE#1", range_name="due_at", upto="2026-10-05T10:00Z",
                                      newest_first=False)
    # Then it gets the keys of those due, oldest first, and nothing else
    assert items == [{"pk": f"LEAD#{n}", "sk": "LEAD", "due_shard": "DUE#1", "due_at": f"2026-10-05T{8 + n:02d}:00Z"}
                     for n in range(3)]
    assert cursor is None


def test_due_pages(table: Table) -> None:
    due(table)
    first, cursor = table.query_index("due", "due_shard", "DUE#1", range_name="due_at", upto="2026-10-05T11:00Z",
                                      limit=3, newest_first=False)
    rest, last = table.query_index("due", "due_shard", "DUE#1", range_name="due_at", upto="2026-10-05T11:00Z",
                                   limit=3, newest_first=False, cursor=cursor)
    assert ids(first) == ["0", "1", "2"]
    assert cursor == {"pk": "LEAD#2", "sk": "LEAD", "due_shard": "DUE#1", "due_at": "2026-10-05T10:00Z"}
    assert ids(rest) == ["3"]
    assert last is None


def test_an_index_partition_with_nothing_in_it(table: Table) -> None:
    due(table)
    assert table.query_index("due", "due_shard", "DUE#0", range_name="due_at", upto="2026-10-05T10:00Z") == ([], None)
