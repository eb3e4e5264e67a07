"""Writes from many threads at once: the counter never hands out a number twice, a claim is won exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from leadwire.store.table import ConditionFailed, Table

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
