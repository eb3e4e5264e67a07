"""How the DynamoDB engine reports a cancelled transaction: a failed condition is an answer about the state; a
conflict or throttling is retried, and only then surfaces as StoreUnavailable (so the stream or sweep retries)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadwire.store import table as engine
from leadwire.store.table import ConditionFailed, DynamoTable, StoreUnavailable


class TransactionCanceled(ClientError):
    pass


class ConditionalCheckFailed(ClientError):
    pass


class CancellingClient:
    """A DynamoDB client whose TransactWriteItems answers with the given cancellation reasons, one list per call."""

    class exceptions:
        TransactionCanceledException = TransactionCanceled
        ConditionalCheckFailedException = ConditionalCheckFailed

    def __init__(self, *answers: list[str] | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:
        self.calls += 1
        reasons = self.answers.pop(0)
        if reasons is not None:
            response = {"Error": {"Code": "TransactionCanceledException"},
                        "CancellationReasons": [{"Code": code} for code in reasons]}
            raise TransactionCanceled(response, "TransactWriteItems")  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.time, "sleep", lambda seconds: None)


def test_a_failed_condition_is_reported_at_once_with_every_reason():
    client = CancellingClient(["None", "ConditionalCheckFailed"])

    with pytest.raises(ConditionFailed) as failed:
        DynamoTable("t", client).transact([{}, {}])

    assert failed.value.reasons == ["None", "ConditionalCheckFailed"] and client.calls == 1


def test_a_conflict_with_another_transaction_is_retried_until_it_goes_through():
    client = CancellingClient(["TransactionConflict", "None"], ["None", "ThrottlingError"], None)

    DynamoTable("t", client).transact([{}, {}])

    assert client.calls == 3


def test_a_conflict_that_does_not_clear_is_unavailable_not_someone_elses_success():
    client = CancellingClient(*[["TransactionConflict", "None"]] * engine.TRANSACT_ATTEMPTS)

    with pytest.raises(StoreUnavailable, match="TransactionConflict"):
        DynamoTable("t", client).transact([{}, {}])

    assert client.calls == engine.TRANSACT_ATTEMPTS


def test_a_validation_error_is_neither_retried_nor_taken_for_a_failed_condition():
    client = CancellingClient(["ValidationError"])

    with pytest.raises(TransactionCanceled):
        DynamoTable("t", client).transact([{}])

    assert client.calls == 1
