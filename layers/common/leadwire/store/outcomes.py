"""What a conditional write can report, in the domain's words. The repositories read DynamoDB's cancellation reasons
(by the position of each action) and raise one of these; nobody else looks at a reason code."""

from __future__ import annotations

from leadwire.store.table import ConditionFailed


class ChangedMeanwhile(Exception):
    """The item was not as the caller read it: another writer got there first (or did the work already)."""


class AlreadyExists(Exception):
    """Something the write claims (a platform id, an event id, a dedupe key) is already taken."""


class Gone(Exception):
    """The item the write expected is not there (erased meanwhile, or never existed)."""


def failed_at(failure: ConditionFailed, position: int) -> bool:
    """True when the transaction action at `position` is the one whose condition failed."""
    return failure.reasons[position:position + 1] == ["ConditionalCheckFailed"]
