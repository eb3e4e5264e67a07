"""When follow-up work falls due: the clock every sweep reads from the lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadwire.clock import iso
from leadwire.config import DEFAULT_CONFIG
from leadwire.followup.plan import due_fields, next_due

T = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def lead(**fields) -> dict:
    return {"id": "lead1", "status": "assigned", "owner": "anna", "assigned_at": iso(T), "created_at": iso(T),
            "last_activity_at": iso(T), **fields}


def test_first_the_reminder_then_the_deadline_then_reassignment():
    assert next_due(lead(), DEFAULT_CONFIG) == T + timedelta(minutes=15)
    assert next_due(lead(reminders_sent=1, sla_breached=True), DEFAULT_CONFIG) == T + timedelta(minutes=60)


def test_contacted_leads_only_wait_for_staleness():
    assert next_due(lead(status="contacted"), DEFAULT_CONFIG) == T + timedelta(days=30)


def test_closed_leads_leave_the_due_index():
    assert next_due(lead(status="won"), DEFAULT_CONFIG) is None
    assert due_fields(lead(status="lost"), DEFAULT_CONFIG) == {"due_at": None, "due_shard": None}


def test_nurture_waits_for_consent_and_stops_on_unsubscribe():
    base = lead(owner=None, assigned_at=None, status="new", email="p@x.example", nurture_step=1)
    with_consent = {**base, "consent": {"marketing": True}}
    assert next_due(with_consent, DEFAULT_CONFIG) == T + timedelta(hours=48)
    assert next_due({**with_consent, "unsubscribed": True}, DEFAULT_CONFIG) == T + timedelta(days=30)
    assert next_due(base, DEFAULT_CONFIG) == T + timedelta(days=30)


def test_recovery_work_counts_too():
    pending = lead(owner=None, assigned_at=None, status="new", enrich_next_at=iso(T + timedelta(minutes=2)))
    assert next_due(pending, DEFAULT_CONFIG) == T + timedelta(minutes=2)
    shard = due_fields(pending, DEFAULT_CONFIG)["due_shard"]
    assert shard is not None and shard.startswith("DUE#")
