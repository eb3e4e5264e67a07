"""One run of the follow-up schedule: every lead with work due, each due step of its plan taken once.

Every step is recorded with a condition on the step it expects before anything is sent, so a sweep run twice, or
two sweeps overlapping, send each email once and reassign once. "Now" is the schedule's instant, never the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.config import Config
from leadwire.followup import opt_in, plan, unsubscribe
from leadwire.followup.plan import Step
from leadwire.followup.rep_links import RepLinks
from leadwire.lead import LeadRecord
from leadwire.outbound import emails
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Email, Event, Message, Notifier
from leadwire.routing.assignment import Assigner
from leadwire.runtime.metrics import count
from leadwire.runtime.settings import Settings
from leadwire.scoring import rescore
from leadwire.store import outbox, schema, subscriptions, timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_rep
from leadwire.store.table import Store

logger = Logger(child=True)

REASSIGN_RETRY = timedelta(hours=1)  # nobody else could take the lead: look again at a slow pace
MAX_STEPS_PER_LEAD = 12  # a lead's due steps are few; the bound only stops a step that cannot make progress


@dataclass
class SweepReport:
    leads: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    finished: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"leads": self.leads, "steps": dict(self.steps), "failed": self.failed, "errors": dict(self.errors),
                "finished": self.finished}


@dataclass
class Sweep:
    """The sweep at the instant `now`, with what its steps need: reassignment, enrichment, unsubscribe links."""

    store: Store
    notifier: Notifier
    config: Config
    now: datetime
    unsubscribe_url: Callable[[str], str]
    reassign: Callable[[LeadRecord, datetime], str | None]
    assign: Callable[[str, datetime], str | None]
    enrich: Callable[[LeadRecord, datetime], bool]
    base_url: str = ""
    links: RepLinks | None = None
    opt_in_url: Callable[[str], str] | None = None
    report: SweepReport = field(default_factory=SweepReport)

    def __post_init__(self) -> None:
        self.leads = LeadRepository(self.store, plan.planner(self.config))
        self.delivery = Delivery(self.store, self.notifier)

    def run(self, time_left_ms: Callable[[], int], page_size: int = 25, reserve_ms: int = 10_000) -> SweepReport:
        for shard in self._shards():
            cursor: dict[str, Any] | None = None
            while True:
                try:
                    due, cursor = self.leads.due(shard, self.now, page_size, cursor)
                except Exception as error:  # this shard's page could not be read: the other shards still are
                    self.report.errors[type(error).__name__] += 1
                    logger.warning("a shard of due leads could not be read", extra={"error": type(error).__name__})
                    break
                for lead in due:
                    if time_left_ms() < reserve_ms:
                        self.report.finished = False
                        return self.report
                    self._isolated(lead.id)
                if not cursor:
                    break
        return self.report

    def _shards(self) -> list[str]:
        """Every shard, starting from one that rotates with the schedule's instant, so a backlog in one shard
        cannot starve the others when time runs short (and a replayed sweep walks them in the same order)."""
        shards = schema.due_shards()
        start = int(self.now.timestamp() // 300) % len(shards)
        return shards[start:] + shards[:start]

    def _isolated(self, lead_id: str) -> None:
        """One lead's failure is counted and logged; the sweep goes on, and the lead stays due for the next one."""
        try:
            self.process(lead_id)
        except Exception as error:
            self.report.failed += 1
            self.report.errors[type(error).__name__] += 1
            logger.warning("follow-up failed for a lead; the next sweep tries again",
                           extra={"lead_id": lead_id, "error": type(error).__name__})

    def process(self, lead_id: str) -> None:
        """Take the lead's due steps one at a time, reading it afresh before each (a step changes what is next)."""
        self.report.leads += 1
        for _ in range(MAX_STEPS_PER_LEAD):
            lead = self.leads.get(lead_id)
            if lead is None:
                return  # erased while we were working
            due = plan.due_steps(lead, self.config, self.now)
            if not due:
                break
            getattr(self, f"_{due[0].kind}")(lead, due[0])
        lead = self.leads.get(lead_id)
        if lead is not None:
            self.leads.replan(lead)

    def _entry(self, lead: LeadRecord, kind: str, **detail: Any) -> dict[str, Any]:
        return timeline.entry(lead.id, iso(self.now), kind, "followup", **detail)

    def _done(self, kind: str, happened: bool) -> bool:
        if happened:
            self.report.steps[kind] += 1
        return happened

    def _announced(self, kind: str, step: Callable[..., bool], *args: Any, entry: dict[str, Any],
                   messages: list[Message]) -> None:
        """Record a step with its timeline entry and the emails and events it causes as outbox intents in the same
        write (the entry in the intent, when it fits: `outbox.carrying`); deliver them if this sweep was the one
        that took the step."""
        entry, intents = outbox.carrying(entry, outbox.intents(args[0].id, self.now, *messages))
        if self._done(kind, step(*args, entry, intents=intents)):
            self.delivery.now(intents)
            self.report.steps["emails"] += sum(isinstance(message, Email) for message in messages)

    def _recover_score(self, lead: LeadRecord, step: Step) -> None:
        entry = None if lead.recovery_attempts else self._entry(lead, "recovery", what="score")
        self._done("score_recovered", self.leads.recover(lead, entry, score=True, at=iso(self.now)))

    def _recover_assignment(self, lead: LeadRecord, step: Step) -> None:
        entry = None if lead.recovery_attempts else self._entry(lead, "recovery", what="assignment")
        if self.leads.recover(lead, entry, score=False, at=iso(self.now)):
            self._done("assignment_recovered", self.assign(lead.id, self.now) is not None)

    def _stuck(self, lead: LeadRecord, step: Step) -> None:
        reason = "its score never came back" if lead.score_due is not None else "nobody could be assigned"
        if self._done("stuck", self.leads.park(lead, reason, self._entry(lead, "stuck", reason=reason))):
            count("LeadsStuck")
            logger.warning("lead parked as stuck", extra={"lead_id": lead.id})

    def _enrich(self, lead: LeadRecord, step: Step) -> None:
        self._done("enriched", self.enrich(lead, self.now))

    def _retry_assignment(self, lead: LeadRecord, step: Step) -> None:
        self._done("assignment_retried", self.leads.retry_assignment(lead, iso(self.now)))

    def _remind_owner(self, lead: LeadRecord, step: Step) -> None:
        entry = self._entry(lead, "owner_reminded", owner=lead.owner, reminder=step.index + 1)
        rep = load_rep(self.store, lead.owner or "")
        reminder = []
        if rep:
            links = (self.links or RepLinks(self.base_url)).lasting(self.config.followup.rep_link_days)
            reminder = [emails.reminder(lead, rep, self.config, self.now, links.url(lead.id, rep.id, self.now))]
        self._announced("owner_reminded", self.leads.remind, lead, step.index, entry=entry, messages=reminder)

    def _breach_sla(self, lead: LeadRecord, step: Step) -> None:
        event = Event("lead.sla_breached", {"lead_id": lead.id, "owner": lead.owner, "deadline": iso(step.at)})
        entry = self._entry(lead, "sla_breached", owner=lead.owner)
        self._announced("sla_breached", self.leads.breach_sla, lead, entry=entry, messages=[event])

    def _reassign(self, lead: LeadRecord, step: Step) -> None:
        if not self._done("reassigned", self.reassign(lead, self.now) is not None):
            self.leads.retry_reassignment_at(lead, iso(self.now + REASSIGN_RETRY))

    def _ask_opt_in(self, lead: LeadRecord, step: Step) -> None:
        confirm_url = self.opt_in_url(lead.id) if self.opt_in_url else ""
        email = emails.opt_in_request(lead, self.config.business_name, confirm_url)
        entry = self._entry(lead, "opt_in_asked")
        self._announced("opt_in_asked", self.leads.ask_opt_in, lead, iso(self.now), entry=entry, messages=[email])

    def _nurture(self, lead: LeadRecord, step: Step) -> None:
        template = self.config.followup.nurture[step.index].template
        entry = self._entry(lead, "nurture_sent", template=template, step=step.index + 1)
        email = emails.nurture(lead, template, self.config.business_name, self.unsubscribe_url(lead.id),
                               self.config.followup.templates)
        self._announced("nurture_sent", self.leads.nurture, lead, step.index, entry=entry, messages=[email])

    def _refresh_score(self, lead: LeadRecord, step: Step) -> None:
        # Marking the score due sends the lead back through the score function, as of this sweep's instant.
        self._done("score_refreshed", self.leads.refresh_score(lead, iso(self.now)))

    def _stale(self, lead: LeadRecord, step: Step) -> None:
        if not lead.can_become("stale"):
            return
        entry = self._entry(lead, "stale", previous_status=lead.status)
        event = Event("lead.stale", {"lead_id": lead.id, "previous_status": lead.status})
        self._announced("stale", self.leads.mark_stale, lead, iso(self.now), entry=entry, messages=[event])


def run_sweep(time: str, store: Store, notifier: Notifier, settings: Settings, time_left_ms: Callable[[], int],
              page_size: int = 25) -> dict[str, Any]:
    """Everything due up to `time` (the schedule's instant, never the wall clock), until time runs short."""
    now = parse_iso(time)
    links = RepLinks(settings.public_base_url, store)
    assigner = Assigner(store, notifier, settings.public_base_url, links=links)
    secret = settings.unsubscribe_secret.get_secret_value()
    sweep = Sweep(
        store=store, notifier=notifier, config=assigner.config, now=now, base_url=settings.public_base_url,
        links=links,
        unsubscribe_url=lambda lead_id: unsubscribe.link(settings.public_base_url, secret, lead_id),
        opt_in_url=lambda lead_id: opt_in.link(settings.public_base_url, secret, lead_id),
        reassign=lambda lead, at: assigner.reassign(lead, at),
        assign=lambda lead_id, at: assigner.assign(lead_id, at),
        enrich=lambda lead, at: _enrich(lead, at, store, settings, assigner.config, notifier, links),
    )
    from leadwire.intake import reconcile, returning  # the Graph API's parsers, loaded by the sweep only
    from leadwire.outbound import conversions

    # Each part on its own: one that fails (the table throttled, say) is reported and the others still run.
    # What an earlier sender could not deliver, returns not yet announced, and the lead stages going back to Meta:
    senders = {conversions.KIND: conversions.sender(store, settings),
               returning.KIND: returning.ReturnSender(store, notifier, links, assigner.config)}
    outbox_report = _part(lambda: Delivery(store, notifier, senders).retry_due(now, time_left_ms))
    webhooks_due = _part(lambda: subscriptions.wake_due(store, now))  # the outbound function makes these attempts
    polled = _part(lambda: reconcile.poll_due(store, settings, assigner.config, now, time_left_ms, notifier, links))
    report = sweep.run(time_left_ms, page_size=page_size)
    rescored = _part(lambda: rescore.continue_rescore(store, now))
    return {"at": time, **report.as_dict(), "rescored": rescored, "outbox": outbox_report,
            "webhooks_due": webhooks_due, "poll": polled}


def _part(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except Exception as error:
        logger.warning("part of the sweep failed; the next sweep tries again", extra={"error": type(error).__name__})
        return {"error": type(error).__name__}


def _enrich(lead: LeadRecord, at: datetime, store: Store, settings: Settings, config: Config, notifier: Notifier,
            links: RepLinks) -> bool:
    from leadwire.intake import enrichment  # the parsers of every source, needed only when a Meta lead waits

    return enrichment.enrich(lead, at, store, settings, config, notifier=notifier, links=links)
