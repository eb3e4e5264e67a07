"""Writes from many threads at once: the counter never hands out a number twice, a claim is won exactly once, a read
meanwhile never fails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from leadwire.store.table import ConditionFailed, Table, Update

COUNTER = {"pk": "COUNTER#routing", "sk": "round_robin#pool"}
CLAIM = {"pk": "EMAIL#ana@example.com", "sk": "PERSON"}


def test_next_number_is_atomic(table: Table) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: table.next_number(COUNTER), range(80)))
    assert sorted(numbers) == list(range(80))


def test_one_claim_wins_among_many(table: Table) -> None:
    def claim(lead_id: int) -> bool:
        try:
            table.transact([table.put_action({**CLAIM, "lead_id": str(lead_id)}, "attribute_not_exists(pk)"),
                            table.put_action({"pk": f"LEAD#{lead_id}", "sk": "LEAD"}, "attribute_not_exists(pk)")])
        except ConditionFailed:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        won = [lead_id for lead_id, ok in enumerate(pool.map(claim, range(40))) if ok]
    assert len(won) == 1
    assert table.get(CLAIM) == {**CLAIM, "lead_id": str(won[0])}
    assert table.get_many([{"pk": f"LEAD#{lead_id}", "sk": "LEAD"} for lead_id in range(40)]) == [
        {"pk": f"LEAD#{won[0]}", "sk": "LEAD"}]


def test_reads_meanwhile_writes_to_the_same_items_never_fail(table: Table) -> None:
    # Given leads that keep all a person said (lists of maps), and a writer adding an attribute to each in turn, as
    # the stream's score and assign steps do while the owner's page lists those leads
    keys = [{"pk": f"LEAD#{number}", "sk": "LEAD"} for number in range(50)]
    for key in keys:
        table.put({**key, "answers": [{"question": f"q{n}", "said": ["yes"] * 5} for n in range(20)]})
    written = threading.Event()

    def write() -> None:
        for round_number in range(6):
            for key in keys:
                table.update(key, Update().set(**{f"step{round_number}": round_number}))
        written.set()

    def read() -> list[str]:
        failures = []
        while not written.is_set():
            try:
                found = len(table.get_many(keys))
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}")
            else:
                if found != len(keys):
                    failures.append(f"read {found} of {len(keys)} leads")
        return failures

    # When one thread reads them all, again and again, while the other writes
    with ThreadPoolExecutor(max_workers=2) as pool:
        reading = pool.submit(read)
        pool.submit(write).result()

    # Then every read found every lead, none failed, and every write landed
    assert reading.result() == []
    assert all(len(item) == 3 + 6 for item in table.get_many(keys))
