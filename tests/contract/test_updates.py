"""UpdateItem as the code base writes it: the Update builder's operations and every condition form it uses."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire.store.table import ConditionFailed, Table, Update

KEY = {"pk": "LEAD#1", "sk": "LEAD"}
LEAD: dict[str, Any] = {**KEY, "id": "1", "status": "assigned", "owner": "rep-a", "assigned_at": "2026-10-05T10:00Z",
                        "unsubscribed": False, "pending_enrichment": True, "inputs_version": 3, "reminders_sent": 1,
                        "score": 40}
UNOWNED = {name: value for name, value in LEAD.items() if name not in ("owner", "assigned_at")} | {"status": "new"}

# (condition, values, the item as stored, whether the condition holds): each form under layers/common/leadwire,
# then the rest of the grammar the fake accepts. (Not here: false = 0, which moto holds true by comparing Python
# values; DynamoDB and the fake keep BOOL and N apart.)
CONDITIONS: dict[str, tuple[str, dict[str, Any], dict[str, Any], bool]] = {
    "exists-pk": ("attribute_exists(pk)", {}, LEAD, True),
    "not-exists-owner-unowned": ("attribute_not_exists(#owner)", {}, UNOWNED, True),
    "not-exists-owner-owned": ("attribute_not_exists(#owner)", {}, LEAD, False),
    "unowned-and-new": ("attribute_not_exists(#owner) AND #status = :new", {"new": "new"}, UNOWNED, True),
    "unowned-and-new-owned": ("attribute_not_exists(#owner) AND #status = :new", {"new": "new"}, LEAD, False),
    "owner-and-assigned-at": ("#owner = :previous AND #assigned_at = :was",
                              {"previous": "rep-a", "was": "2026-10-05T10:00Z"}, LEAD, True),
    "owner-and-assigned-at-moved": ("#owner = :previous AND #assigned_at = :was",
                                    {"previous": "rep-a", "was": "2026-10-05T11:00Z"}, LEAD, False),
    "status-was": ("#status = :was", {"was": "assigned"}, LEAD, True),
    "status-was-changed": ("#status = :was", {"was": "new"}, LEAD, False),
    "exists-and-not-unsubscribed": ("attribute_exists(pk) AND #unsubscribed = :no", {"no": False}, LEAD, True),
    "exists-and-unsubscribed": ("attribute_exists(pk) AND #unsubscribed = :no", {"no": False},
                                {**LEAD, "unsubscribed": True}, False),
    "pending-enrichment": ("#pending_enrichment = :yes", {"yes": True}, LEAD, True),
    "number-version": ("#inputs_version = :seen", {"seen": 3}, LEAD, True),
    "number-version-moved": ("#inputs_version = :seen", {"seen": 2}, LEAD, False),
    "number-is-not-string": ("#inputs_version = :seen", {"seen": "3"}, LEAD, False),
    "missing-attribute-equals-nothing": ("#assign_retry_at = :seen", {"seen": "2026-10-05T10:00Z"}, LEAD, False),
    "not-breached": ("#owner = :owner AND #assigned_at = :assigned AND attribute_not_exists(#sla_breached)",
                     {"owner": "rep-a", "assigned": "2026-10-05T10:00Z"}, LEAD, True),
    "breached": ("#owner = :owner AND #assigned_at = :assigned AND attribute_not_exists(#sla_breached)",
                 {"owner": "rep-a", "assigned": "2026-10-05T10:00Z"}, {**LEAD, "sla_breached": True}, False),
    "reminder-in-and-or": ("#owner = :owner AND #assigned_at = :assigned AND #status IN (:new, :assigned_status) "
                           "AND (attribute_not_exists(#reminders_sent) OR #reminders_sent = :sent)",
                           {"owner": "rep-a", "assigned": "2026-10-05T10:00Z", "new": "new",
                            "assigned_status": "assigned", "sent": 1}, LEAD, True),
    "reminder-already-sent": ("#status IN (:new, :assigned_status) "
                              "AND (attribute_not_exists(#reminders_sent) OR #reminders_sent = :sent)",
                              {"new": "new", "assigned_status": "assigned", "sent": 0}, LEAD, False),
    "reminder-status-not-in": ("#status IN (:new, :assigned_status)", {"new": "new", "assigned_status": "x"},
                               LEAD, False),
    "nurture-first-step": ("(attribute_not_exists(#nurture_step) OR #nurture_step = :step) AND #unsubscribed = :no",
                           {"step": 0, "no": False}, LEAD, True),
    "nurture-step-moved": ("(attribute_not_exists(#nurture_step) OR #nurture_step = :step) AND #unsubscribed = :no",
                           {"step": 0, "no": False}, {**LEAD, "nurture_step": 1}, False),
    "not": ("NOT #status = :was", {"was": "new"}, LEAD, True),
    "not-parenthesised": ("NOT (#status = :was OR #owner = :owner)", {"was": "new", "owner": "rep-a"}, LEAD, False),
    "not-equal": ("#status <> :was", {"was": "new"}, LEAD, True),
    "not-equal-same": ("#status <> :was", {"was": "assigned"}, LEAD, False),
    "less": ("#score < :limit", {"limit": 50}, LEAD, True),
    "less-equal": ("#score <= :limit", {"limit": 40}, LEAD, True),
    "greater": ("#score > :limit", {"limit": 40}, LEAD, False),
    "greater-equal": ("#score >= :limit", {"limit": 40}, LEAD, True),
    "numbers-compare-as-numbers": ("#score < :limit", {"limit": 100}, LEAD, True),
    "strings-compare-as-strings": ("#assigned_at < :later", {"later": "2026-10-05T10:01Z"}, LEAD, True),
    "missing-is-not-less": ("#missing < :limit", {"limit": 50}, LEAD, False),
    "between": ("#score BETWEEN :lo AND :hi", {"lo": 40, "hi": 41}, LEAD, True),
    "not-between": ("#score BETWEEN :lo AND :hi", {"lo": 41, "hi": 50}, LEAD, False),
    "or-precedence": ("#status = :new OR #owner = :owner AND #score = :score",
                      {"new": "new", "owner": "rep-a", "score": 40}, LEAD, True),
    "or-precedence-false": ("#status = :assigned OR #owner = :owner AND #score = :score",
                            {"assigned": "x", "owner": "rep-a", "score": 41}, LEAD, False),
    "capped-new-member": ("attribute_not_exists(#n) OR (#n < :cap AND NOT contains(#counted, :member))",
                          {"cap": 3, "member": "m2"}, {**LEAD, "n": 1, "counted": ["m1"]}, True),
    "capped-counted-member": ("attribute_not_exists(#n) OR (#n < :cap AND NOT contains(#counted, :member))",
                              {"cap": 3, "member": "m1"}, {**LEAD, "n": 1, "counted": ["m1"]}, False),
    "capped-full": ("attribute_not_exists(#n) OR (#n < :cap AND NOT contains(#counted, :member))",
                    {"cap": 1, "member": "m2"}, {**LEAD, "n": 1, "counted": ["m1"]}, False),
    "contains-missing-list": ("NOT contains(#counted, :member)", {"member": "m1"}, LEAD, True),
    "contains-substring": ("contains(#status, :part)", {"part": "sign"}, LEAD, True),
    "contains-not-a-number-of-a-list": ("contains(#counted, :member)", {"member": 1}, {**LEAD, "counted": ["1"]},
                                        False),
    "missing-item": ("attribute_exists(pk)", {}, {}, False),
    "missing-item-not-exists": ("attribute_not_exists(pk)", {}, {}, True),
}


@pytest.mark.parametrize(("condition", "values", "stored", "holds"), CONDITIONS.values(), ids=CONDITIONS.keys())
def test_conditional_update(table: Table, condition: str, values: dict[str, Any], stored: dict[str, Any],
                            holds: bool) -> None:
    # Given the item as stored (or none at all)
    if stored:
        table.put(stored)
    before = table.get(KEY)
    update = Update().set(touched_by="test").when(condition, **values)
    # When an update expects the condition
    if holds:
        table.update(KEY, update)
        # Then it wrote
        assert table.get(KEY) == {**(before or KEY), "touched_by": "test"}
    else:
        with pytest.raises(ConditionFailed) as refused:
            table.update(KEY, update)
        # Then nothing changed
        assert refused.value.reasons == ["ConditionalCheckFailed"]
        assert table.get(KEY) == before


def test_several_whens_must_all_hold(table: Table) -> None:
    table.put(LEAD)
    both = Update().set(status="won").when("attribute_exists(pk)").when("#owner = :owner", owner="rep-b")
    with pytest.raises(ConditionFailed):
        table.update(KEY, both)
    table.update(KEY, Update().set(status="won").when("attribute_exists(pk)").when("#owner = :owner", owner="rep-a"))
    assert table.get(KEY) == {**LEAD, "status": "won"}


def test_set_with_none_removes_and_return_new_is_the_whole_item(table: Table) -> None:
    # Given a lead with an owner
    table.put(LEAD)
    # When the owner is set to None and the status changed
    answer = table.update(KEY, Update().set(owner=None, status="new", weight=0.33333), return_new=True)
    # Then the owner is gone, and the answer is the item as stored now
    expected = {name: value for name, value in LEAD.items() if name != "owner"} | {"status": "new", "weight": 0.3333}
    assert answer == expected
    assert table.get(KEY) == expected


def test_update_without_return_new_answers_none(table: Table) -> None:
    assert table.update(KEY, Update().set(status="new")) is None
    assert table.get(KEY) == {**KEY, "status": "new"}


def test_update_creates_a_missing_item(table: Table) -> None:
    answer = table.update(KEY, Update().set(status="new", utm={"source": "x", "gone": None}), return_new=True)
    assert answer == {**KEY, "status": "new", "utm": {"source": "x"}}


def test_set_if_absent_keeps_what_is_there(table: Table) -> None:
    # Given a rep with counters already moved
    rep = {"pk": "REPS", "sk": "REP#a"}
    table.put({**rep, "open_leads": 4})
    # When the rep is saved again, setting counters only if absent
    answer = table.update(rep, Update().set(name="Ana").set_if_absent(open_leads=0, assigned_total=0),
                          return_new=True)
    # Then the counter that existed stays, the missing one starts at 0
    assert answer == {**rep, "name": "Ana", "open_leads": 4, "assigned_total": 0}


def test_list_append_starts_a_missing_list_and_extends_it(table: Table) -> None:
    counter = {"pk": "COUNTER#2026-10", "sk": "web"}
    table.update(counter, Update().append(first_contact_s=[1.5]))
    table.update(counter, Update().append(first_contact_s=[2.25, 3]))
    assert table.get(counter) == {**counter, "first_contact_s": [1.5, 2.25, 3]}


def test_add_counts_up_and_down_from_nothing(table: Table) -> None:
    rep = {"pk": "REPS", "sk": "REP#a"}
    table.update(rep, Update().add(open_leads=1, assigned_total=1))
    table.update(rep, Update().add(open_leads=1, assigned_total=1))
    answer = table.update(rep, Update().add(open_leads=-1, assigned_total=0, seconds=0.5), return_new=True)
    assert answer == {**rep, "open_leads": 1, "assigned_total": 2, "seconds": 0.5}


def test_remove_drops_attributes_and_a_missing_one_is_fine(table: Table) -> None:
    table.put(LEAD)
    table.update(KEY, Update().remove("owner", "assigned_at", "never_there").set(status="new"))
    assert table.get(KEY) == UNOWNED


def test_set_add_and_remove_in_one_update(table: Table) -> None:
    table.put(LEAD)
    update = Update().set(status="won").add(inputs_version=1).remove("pending_enrichment").append(notes=["x"])
    answer = table.update(KEY, update.when("#inputs_version = :seen", seen=3), return_new=True)
    expected = {name: value for name, value in LEAD.items() if name != "pending_enrichment"}
    assert answer == {**expected, "status": "won", "inputs_version": 4, "notes": ["x"]}


def test_a_capped_count_counts_each_member_once_and_refuses_past_the_cap(table: Table) -> None:
    from leadwire.store import limits

    def counted(member: str) -> bool:
        return limits.count_once(table, "person-email", "addr", "2026-10-05", member, 2, 1_900_000_000)

    assert [counted(member) for member in ("m1", "m1", "m2", "m3", "m2", "m1")] == [True, True, True, False, True,
                                                                                     True]
    stored = table.get({"pk": "RATE#person-email#addr", "sk": "W#2026-10-05"})
    assert stored is not None and (stored["n"], stored["counted"]) == (2, ["m1", "m2"])
