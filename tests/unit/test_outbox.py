"""The outbox intent carrying its change's timeline entry: only where that costs the intent no write unit more."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from leadwire.outbound.notify import Event
from leadwire.store import outbox, timeline

T = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def test_an_entry_rides_in_the_first_intent_of_its_change_and_reads_back_as_written():
    entry = timeline.entry("lead1", "2026-10-05T09:00:00.000Z", "owner_reminded", "followup", owner="anna",
                           reminder=1, previous_owner=None)
    intents = outbox.intents("lead1", T, Event("lead.sla_breached", {"lead_id": "lead1", "owner": "anna"}))

    written, carried = outbox.carrying(entry, intents)

    assert written is None and len(carried) == 1
    assert outbox.carried_entry(carried[0]) == {**entry, "detail": {"owner": "anna", "reminder": 1}}
    assert outbox.carried_entry(intents[0]) is None, "the intent given is not changed"


def test_an_entry_that_would_cost_the_intent_another_write_unit_stays_in_the_change():
    explanation = secrets.token_urlsafe(1500)  # 2,000 characters that hardly compress
    entry = timeline.entry("lead1", "2026-10-05T09:00:00.000Z", "assigned", "assign", explanation=explanation)
    intents = outbox.intents("lead1", T, Event("lead.assigned", {"lead_id": "lead1", "owner": "anna"}))

    assert outbox.carrying(entry, intents) == (entry, intents)


def test_without_an_intent_or_an_entry_nothing_rides():
    entry = timeline.entry("lead1", "2026-10-05T09:00:00.000Z", "stale", "followup")
    intents = outbox.intents("lead1", T, Event("lead.stale", {"lead_id": "lead1"}))

    assert outbox.carrying(entry, []) == (entry, [])
    assert outbox.carrying(None, intents) == (None, intents)
