"""Query on the table's partitions, and on each index template.yaml declares."""

from __future__ import annotations

from typing import Any

from leadwire.store.table import Table


def timeline(table: Table, count: int = 5) -> None:
    table.put({"pk": "LEAD#1", "sk": "LEAD", "status": "new"})
    for number in range(count):
        table.put({"pk": "LEAD#1", "sk": f"TL#2026-10-0{number + 1}", "n": number})
    table.put({"pk": "LEAD#1", "sk": "EVT#e1", "type": "open"})
    table.put({"pk": "LEAD#2", "sk": "TL#2026-10-01", "n": 99})


def sks(items: list[dict[str, Any]]) -> list[str]:
    return [item["sk"] for item in items]


def test_query_a_partition_in_sort_key_order(table: Table) -> None:
    timeline(table)
    items, cursor = table.query("LEAD#1")
    assert sks(items) == ["EVT#e1", "LEAD", "TL#2026-10-01", "TL#2026-10-02", "TL#2026-10-03", "TL#2026-10-04",
                          "TL#2026-10-05"]
    assert cursor is None


def test_query_by_prefix_and_newest_first(table: Table) -> None:
    timeline(table)
    items, _ = table.query("LEAD#1", "TL#", newest_first=True)
    assert sks(items) == [f"TL#2026-10-0{day}" for day in (5, 4, 3, 2, 1)]
    assert items[0] == {"pk": "LEAD#1", "sk": "TL#2026-10-05", "n": 4}


def test_query_between_is_inclusive(table: Table) -> None:
    timeline(table)
    items, _ = table.query("LEAD#1", sk_between=("TL#2026-10-02", "TL#2026-10-04"))
    assert sks(items) == ["TL#2026-10-02", "TL#2026-10-03", "TL#2026-10-04"]


def test_query_of_an_empty_partition(table: Table) -> None:
    assert table.query("LEAD#nobody") == ([], None)


def test_query_pages_with_limit_and_cursor(table: Table) -> None:
    # Given five timeline entries
    timeline(table)
    # When they are read two at a time
    first, cursor = table.query("LEAD#1", "TL#", limit=2)
    second, cursor_two = table.query("LEAD#1", "TL#", limit=2, cursor=cursor)
    third, cursor_three = table.query("LEAD#1", "TL#", limit=2, cursor=cursor_two)
    # Then every page continues where the last stopped, the cursor being the last key read
    assert sks(first) == ["TL#2026-10-01", "TL#2026-10-02"]
    assert cursor == {"pk": "LEAD#1", "sk": "TL#2026-10-02"}
    assert sks(second) == ["TL#2026-10-03", "TL#2026-10-04"]
    assert sks(third) == ["TL#2026-10-05"]
    assert cursor_three is None


def test_query_pages_newest_first(table: Table) -> None:
    timeline(table)
    first, cursor = table.query("LEAD#1", "TL#", limit=3, newest_first=True)
    rest, last = table.query("LEAD#1", "TL#", limit=3, newest_first=True, cursor=cursor)
    assert sks(first) + sks(rest) == [f"TL#2026-10-0{day}" for day in (5, 4, 3, 2, 1)]
    assert last is None


def test_query_all_reads_every_page(table: Table) -> None:
    for number in range(30):
        table.put({"pk": "REPS", "sk": f"REP#{number:02d}", "name": f"rep {number}"})
    table.put({"pk": "REPS", "sk": "SETTINGS"})
    assert [item["name"] for item in table.query_all("REPS", "REP#")] == [f"rep {n}" for n in range(30)]
    assert len(list(table.query_all("REPS"))) == 31
