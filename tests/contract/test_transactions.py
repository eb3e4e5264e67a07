"""TransactWriteItems: all or nothing, with one cancellation reason per action, in order."""

from __future__ import annotations

import pytest

from leadwire.store.table import ConditionFailed, Table, Update

LEAD_KEY = {"pk": "LEAD#1", "sk": "LEAD"}
EMAIL_KEY = {"pk": "EMAIL#ana@example.com", "sk": "PERSON"}
REP_KEY = {"pk": "REPS", "sk": "REP#a"}
ENTRY = {"pk": "LEAD#1", "sk": "TL#2026-10-05T10:00Z#abc", "kind": "submission"}


def test_a_transaction_writes_every_action(table: Table) -> None:
    # Given a rep and an old timeline entry
    table.put({**REP_KEY, "open_leads": 2})
    table.put({"pk": "LEAD#1", "sk": "TL#old"})
    # When one transaction puts, updates and deletes
    table.transact([table.put_action({**LEAD_KEY, "status": "new"}, "attribute_not_exists(pk)"),
                    table.put_action({**EMAIL_KEY, "lead_id": "1"}, "attribute_not_exists(pk)"),
                    table.update_action(REP_KEY, Update().add(open_leads=1).when("attribute_exists(pk)")),
                    table.delete_action({"pk": "LEAD#1", "sk": "TL#old"})])
    # Then all of it happened
    assert table.get(LEAD_KEY) == {**LEAD_KEY, "status": "new"}
    assert table.get(EMAIL_KEY) == {**EMAIL_KEY, "lead_id": "1"}
    assert table.get(REP_KEY) == {**REP_KEY, "open_leads": 3}
    assert table.get({"pk": "LEAD#1", "sk": "TL#old"}) is None


def test_one_failing_condition_cancels_every_action(table: Table) -> None:
    # Given the email already claimed by another lead
    table.put({**EMAIL_KEY, "lead_id": "0"})
    table.put({**REP_KEY, "open_leads": 2})
    # When a transaction would claim it again among other writes
    with pytest.raises(ConditionFailed) as refused:
        table.transact([table.put_action({**LEAD_KEY, "status": "new"}, "attribute_not_exists(pk)"),
                        table.update_action(REP_KEY, Update().add(open_leads=1)),
                        table.put_action({**EMAIL_KEY, "lead_id": "1"}, "attribute_not_exists(pk)"),
                        table.put_action(ENTRY)])
    # Then the reasons name the failing action by position, and nothing was written
    assert refused.value.reasons == ["None", "None", "ConditionalCheckFailed", "None"]
    assert table.get(LEAD_KEY) is None
    assert table.get(REP_KEY) == {**REP_KEY, "open_leads": 2}
    assert table.get(EMAIL_KEY) == {**EMAIL_KEY, "lead_id": "0"}
    assert table.get({"pk": ENTRY["pk"], "sk": ENTRY["sk"]}) is None


def test_every_failing_condition_is_reported(table: Table) -> None:
    table.put({**LEAD_KEY, "status": "won"})
    with pytest.raises(ConditionFailed) as refused:
        table.transact([table.update_action(LEAD_KEY, Update().set(status="lost").when("#status = :was", was="new")),
                        table.put_action(ENTRY),
                        table.update_action(REP_KEY, Update().add(open_leads=-1).when("attribute_exists(pk)"))])
    assert refused.value.reasons == ["ConditionalCheckFailed", "None", "ConditionalCheckFailed"]
    assert table.get(LEAD_KEY) == {**LEAD_KEY, "status": "won"}


def test_conditions_see_the_table_before_the_transaction(table: Table) -> None:
    # A put of the lead and an update expecting it to exist: the update's check runs against the table as it was.
    with pytest.raises(ConditionFailed) as refused:
        table.transact([table.put_action({**LEAD_KEY, "status": "new"}),
                        table.update_action(REP_KEY, Update().add(open_leads=1).when("attribute_exists(pk)"))])
    assert refused.value.reasons == ["None", "ConditionalCheckFailed"]
    assert table.get(LEAD_KEY) is None


def test_two_actions_on_one_item_are_refused(table: Table) -> None:
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError on DynamoDB, ValueError in memory
        table.transact([table.put_action({**LEAD_KEY, "status": "new"}),
                        table.update_action(LEAD_KEY, Update().set(owner="rep-a"))])
    assert table.get(LEAD_KEY) is None


def test_a_hundred_deletes_in_one_transaction(table: Table) -> None:
    keys = [{"pk": "LEAD#1", "sk": f"TL#{number:03d}"} for number in range(100)]
    for key in keys:
        table.put(key)
    table.transact([table.delete_action(key) for key in keys])
    assert list(table.query_all("LEAD#1")) == []
