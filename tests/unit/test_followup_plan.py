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


def test_a_lead_scored_in_the_minute_it_came_in_keeps_its_due_time():
    """Its `due` index entry is written once, not again by the score (a write unit a lead)."""
    came_in = T + timedelta(seconds=41, milliseconds=250)
    new = lead(owner=None, assigned_at=None, status="new", score_due=1, created_at=iso(came_in),
               updated_at=iso(came_in), last_activity_at=iso(came_in))
    scored_at = iso(came_in + timedelta(milliseconds=900))
    scored = new.model_copy(update={"score_due": None, "scored_at": scored_at, "updated_at": scored_at,
                                    "stage": "mql"})

    assert [step.kind for step in steps(scored, default_config())][:1] == ["recover_assignment"]
    assert next_due(new, default_config()) == next_due(scored, default_config()) == T + timedelta(minutes=6)
    late = scored.model_copy(update={"scored_at": iso(T + timedelta(minutes=1, seconds=2)),
                                     "updated_at": iso(T + timedelta(minutes=1, seconds=2))})
    assert next_due(late, default_config()) == T + timedelta(minutes=7), "five minutes after the minute it was in"


def test_recovery_work_counts_too():
    pending = lead(owner=None, assigned_at=None, status="new", pending_enrichment=True,
                   enrich_next_at=iso(T + timedelta(minutes=2)))
    assert next_due(pending, default_config()) == T + timedelta(minutes=2)
    blocked = lead(owner=None, assigned_at=None, status="new", assign_blocked="nobody working",
                   assign_retry_at=iso(T + timedelta(minutes=5)))
    assert steps(blocked, default_config())[0].kind == "retry_assignment"
