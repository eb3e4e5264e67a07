"""The follow-up plan: which steps a lead has ahead of it, and when the first falls due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadwire.clock import iso
from leadwire.config import default_config
from leadwire.followup.plan import due_steps, next_due, steps
from leadwire.lead import Consent, LeadRecord

T = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def lead(**fields) -> LeadRecord:
    return LeadRecord.model_validate({"id": "lead1", "source": "website", "status": "assigned", "owner": "anna",
                                      "assigned_at": iso(T), "created_at": iso(T), "updated_at": iso(T),
                                      "last_activity_at": iso(T), "inputs_version": 1, **fields})


def test_first_the_reminder_then_the_deadline_then_reassignment():
    assert next_due(lead(), default_config()) == T + timedelta(minutes=15)
    assert next_due(lead(reminders_sent=1, sla_breached=True), default_config()) == T + timedelta(minutes=60)


def test_due_steps_come_in_the_order_the_sweep_takes_them():
    due = due_steps(lead(), default_config(), T + timedelta(minutes=61))
    assert [step.kind for step in due] == ["remind_owner", "breach_sla", "reassign"]


def test_a_failed_reassignment_waits_for_its_retry():
    retried = lead(reminders_sent=1, sla_breached=True, reassign_retry_at=iso(T + timedelta(minutes=65)))
    assert next_due(retried, default_config()) == T + timedelta(minutes=65)


def test_contacted_leads_only_wait_for_staleness():
    assert [step.kind for step in steps(lead(status="contacted"), default_config())] == ["stale"]
    assert next_due(lead(status="contacted"), default_config()) == T + timedelta(days=30)


def test_closed_leads_have_nothing_ahead():
    assert next_due(lead(status="won"), default_config()) is None
    assert steps(lead(status="lost"), default_config()) == []


def test_nurture_waits_for_consent_and_stops_on_unsubscribe():
    base = lead(owner=None, assigned_at=None, status="new", email="p@x.example", nurture_step=1)
    with_consent = base.changed(consent=Consent(marketing=True))
    assert next_due(with_consent, default_config()) == T + timedelta(hours=48)
    assert next_due(with_consent.changed(unsubscribed=True), default_config()) == T + timedelta(days=30)
    assert next_due(base, default_config()) == T + timedelta(days=30)


def test_recovery_work_counts_too():
    pending = lead(owner=None, assigned_at=None, status="new", pending_enrichment=True,
                   enrich_next_at=iso(T + timedelta(minutes=2)))
    assert next_due(pending, default_config()) == T + timedelta(minutes=2)
    blocked = lead(owner=None, assigned_at=None, status="new", assign_blocked="nobody working",
                   assign_retry_at=iso(T + timedelta(minutes=5)))
    assert steps(blocked, default_config())[0].kind == "retry_assignment"
