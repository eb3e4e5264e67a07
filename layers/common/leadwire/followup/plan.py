"""A lead's follow-up plan: every step the sweep has to take for it, each with the instant it falls due.

One pure function of the lead and the config. The repository writes its earliest instant as the lead's `due_at`
on every write, and the sweep runs the steps that are due: the schedule is described once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from leadwire.clock import parse_iso
from leadwire.config import Config
from leadwire.lead import OPEN_STATUSES, SLA_STATUSES, LeadRecord
from leadwire.scoring.score import stage_rank

StepKind = Literal["enrich", "recover_score", "recover_assignment", "stuck", "retry_assignment", "remind_owner",
                   "breach_sla", "reassign", "ask_opt_in", "nurture", "refresh_score", "stale"]

# A lead whose score or owner should have come from the stream within seconds: the sweep sends it through again
# after these, doubling each time, and after RECOVERY_ATTEMPTS parks it visibly as stuck.
RECOVER_AFTER = timedelta(minutes=5)
RECOVERY_ATTEMPTS = 4


@dataclass(frozen=True)
class Step:
    kind: StepKind
    at: datetime
    index: int = 0  # which reminder or nurture email


def consented(lead: LeadRecord) -> bool:
    """The person ticked marketing consent and can still get it: not contacted yet, not unsubscribed."""
    return bool(lead.consent and lead.consent.marketing and lead.email and not lead.unsubscribed
                and lead.status in SLA_STATUSES)


def nurture_open(lead: LeadRecord, config: Config) -> bool:
    """Nurture email goes to people who consented and, with double opt-in, confirmed it (a sequence that began
    before confirmation was asked for goes on), until someone made contact or they unsubscribed."""
    return consented(lead) and (not config.followup.double_opt_in or bool(lead.opt_in_confirmed_at)
                                or lead.nurture_step > 0)


def asks_opt_in(lead: LeadRecord, config: Config) -> bool:
    """The one email asking to confirm consent is still to be sent."""
    return (consented(lead) and config.followup.double_opt_in and not lead.opt_in_asked_at
            and not lead.opt_in_confirmed_at and lead.nurture_step == 0)


def first_contact_deadline(lead: LeadRecord, config: Config) -> datetime | None:
    if not lead.assigned_at:
        return None
    return parse_iso(lead.assigned_at) + timedelta(minutes=config.followup.first_contact_sla_minutes)


def steps(lead: LeadRecord, config: Config) -> list[Step]:
    """Every step still ahead of the lead, in the order the sweep takes them when several are due."""
    rules = config.followup
    plan: list[Step] = []
    if lead.pending_enrichment and lead.enrich_next_at:
        plan.append(Step("enrich", parse_iso(lead.enrich_next_at)))
    plan += _recovery(lead, config)
    if lead.assign_blocked and lead.assign_retry_at:
        plan.append(Step("retry_assignment", parse_iso(lead.assign_retry_at)))
    if lead.owner and lead.status in SLA_STATUSES and lead.assigned_at:
        assigned = parse_iso(lead.assigned_at)
        reminders = sorted(rules.remind_owner_at_minutes)
        if lead.reminders_sent < len(reminders):
            remind_at = assigned + timedelta(minutes=reminders[lead.reminders_sent])
            if lead.last_attempt_at:  # the rep called and nobody answered: remind them to try again later
                retry = parse_iso(lead.last_attempt_at) + timedelta(minutes=rules.retry_after_no_answer_minutes)
                remind_at = max(remind_at, retry)
            plan.append(Step("remind_owner", remind_at, lead.reminders_sent))
        if not lead.sla_breached:
            plan.append(Step("breach_sla", assigned + timedelta(minutes=rules.first_contact_sla_minutes)))
        if rules.reassign_after_minutes:
            reassign_at = assigned + timedelta(minutes=rules.reassign_after_minutes)
            retry = parse_iso(lead.reassign_retry_at) if lead.reassign_retry_at else reassign_at
            plan.append(Step("reassign", max(reassign_at, retry)))
    if asks_opt_in(lead, config) and rules.nurture:
        plan.append(Step("ask_opt_in", parse_iso(lead.created_at)))
    if nurture_open(lead, config) and lead.nurture_step < len(rules.nurture):
        after = timedelta(hours=rules.nurture[lead.nurture_step].after_hours)
        # with double opt-in the sequence runs from the confirmation, so a late one does not get it all at once
        start = lead.opt_in_confirmed_at if rules.double_opt_in and lead.opt_in_confirmed_at else lead.created_at
        plan.append(Step("nurture", parse_iso(start) + after, lead.nurture_step))
    if lead.status in OPEN_STATUSES:
        if lead.score_refresh_at:
            plan.append(Step("refresh_score", parse_iso(lead.score_refresh_at)))
        if lead.last_activity_at:
            plan.append(Step("stale", parse_iso(lead.last_activity_at) + timedelta(days=rules.stale_after_days)))
    return plan


def _recovery(lead: LeadRecord, config: Config) -> list[Step]:
    """Nothing left behind: a lead still waiting for its score, or scored and still without an owner, long after
    the stream should have done it (a record lost, a mapping being enabled, a failure past its retries)."""
    if lead.stuck:
        return []
    waiting = None
    if lead.score_due is not None and not lead.pending_enrichment:
        waiting = "recover_score", lead.updated_at
    elif (lead.status == "new" and not lead.owner and not lead.assign_blocked and lead.scored_at
          and stage_rank(lead.stage) >= stage_rank(config.routing.assign_at)):
        waiting = "recover_assignment", max(lead.scored_at, lead.updated_at)  # since its last change
    if waiting is None:
        return []
    kind, since = waiting
    attempts = lead.recovery_attempts or 0  # None once a write has cleared it
    at = _minute_up(parse_iso(since)) + RECOVER_AFTER * 2 ** attempts
    return [Step("stuck" if attempts >= RECOVERY_ATTEMPTS else kind, at)]  # type: ignore[arg-type]


def _minute_up(instant: datetime) -> datetime:
    """The next whole minute (the instant itself on one). The sweep runs every five minutes; a score written in
    the minute its lead came in leaves the lead's recovery instant, so its due time and `due` index entry, as they
    were: the score's write costs no index write for it."""
    whole = instant.replace(second=0, microsecond=0)
    return whole if whole == instant else whole + timedelta(minutes=1)


def due_steps(lead: LeadRecord, config: Config, now: datetime) -> list[Step]:
    return [step for step in steps(lead, config) if step.at <= now]


def next_due(lead: LeadRecord, config: Config) -> datetime | None:
    """The earliest instant at which the sweep has something to do for this lead, or None."""
    return min((step.at for step in steps(lead, config)), default=None)


def planner(config: Config) -> Callable[[LeadRecord], datetime | None]:
    """The plan under one config, as the lead repository takes it."""
    return lambda lead: next_due(lead, config)
