"""Follow-up on a clock: each lead with work due sits in the sparse `due` index until that work is done.

Every step is recorded with a condition on the step it expects before anything is sent, so a sweep run twice, or
two sweeps overlapping, send each email once and reassign once. "Now" always comes from the caller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.config import Config
from leadwire.lead import OPEN_STATUSES
from leadwire.outbound import emails
from leadwire.outbound.notify import Notifier
from leadwire.owner import reports
from leadwire.store import timeline
from leadwire.store.table import DUE_SHARDS, ConditionFailed, Store, Update, due_shard, lead_key

logger = Logger(child=True)

SLA_STATUSES = ("new", "assigned")
ASSIGN_RETRY = timedelta(minutes=5)


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def _nurture_open(lead: Mapping[str, Any]) -> bool:
    consent = lead.get("consent") or {}
    return bool(consent.get("marketing") and lead.get("email") and not lead.get("unsubscribed")
                and lead.get("status") in SLA_STATUSES)


def next_due(lead: Mapping[str, Any], config: Config) -> datetime | None:
    """The earliest instant at which the sweep has something to do for this lead, or None."""
    times: list[datetime] = []
    rules = config.followup
    if lead.get("owner") and lead.get("status") in SLA_STATUSES and lead.get("assigned_at"):
        assigned = parse_iso(lead["assigned_at"])
        reminders = sorted(rules.remind_owner_at_minutes)
        sent = int(lead.get("reminders_sent", 0))
        if sent < len(reminders):
            times.append(assigned + _minutes(reminders[sent]))
        if not lead.get("sla_breached"):
            times.append(assigned + _minutes(rules.first_contact_sla_minutes))
        if rules.reassign_after_minutes:
            reassign_at = assigned + _minutes(rules.reassign_after_minutes)
            retry = lead.get("reassign_retry_at")
            times.append(max(reassign_at, parse_iso(retry)) if retry else reassign_at)
    step = int(lead.get("nurture_step", 0))
    if _nurture_open(lead) and step < len(rules.nurture):
        times.append(parse_iso(lead["created_at"]) + timedelta(hours=rules.nurture[step].after_hours))
    for attribute in ("enrich_next_at", "assign_retry_at"):
        if lead.get(attribute):
            times.append(parse_iso(lead[attribute]))
    if lead.get("status") in OPEN_STATUSES:
        if lead.get("score_refresh_at"):
            times.append(parse_iso(lead["score_refresh_at"]))
        if lead.get("last_activity_at"):
            times.append(parse_iso(lead["last_activity_at"]) + timedelta(days=rules.stale_after_days))
    return min(times) if times else None


def due_fields(lead: Mapping[str, Any], config: Config) -> dict[str, str | None]:
    """`due_at` and `due_shard` for the lead as it will be; both None takes it out of the sparse index."""
    due = next_due(lead, config)
    if due is None:
        return {"due_at": None, "due_shard": None}
    return {"due_at": iso(due), "due_shard": due_shard(lead["id"])}


@dataclass
class SweepReport:
    leads: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    finished: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"leads": self.leads, "steps": dict(self.steps), "finished": self.finished}


@dataclass
class Sweep:
    """One run of the follow-up schedule at the instant `now`."""

    store: Store
    notifier: Notifier
    config: Config
    now: datetime
    base_url: str
    unsubscribe_url: Callable[[str], str]
    reassign: Callable[[dict[str, Any], datetime], str | None]
    enrich: Callable[[dict[str, Any], datetime], bool]
    report: SweepReport = field(default_factory=SweepReport)

    def run(self, time_left_ms: Callable[[], int], page_size: int = 25, reserve_ms: int = 10_000) -> SweepReport:
        for shard in range(DUE_SHARDS):
            cursor: dict[str, Any] | None = None
            while True:
                keys, cursor = self.store.query_index(
                    "due", "due_shard", f"DUE#{shard}", range_name="due_at", upto=iso(self.now),
                    limit=page_size, cursor=cursor, newest_first=False)
                for lead in self.store.get_many({"pk": key["pk"], "sk": key["sk"]} for key in keys):
                    if time_left_ms() < reserve_ms:
                        self.report.finished = False
                        return self.report
                    self.process(lead)
                if not cursor:
                    break
        return self.report

    def process(self, lead: dict[str, Any]) -> None:
        self.report.leads += 1
        for step in (self._enrich, self._retry_assignment, self._first_contact, self._nurture, self._refresh_score,
                     self._stale):
            fresh = self.store.get(lead_key(lead["id"]))
            if fresh is None:
                return  # erased while we were working
            step(fresh)
        fresh = self.store.get(lead_key(lead["id"]))
        if fresh is not None:
            self.store.update(lead_key(lead["id"]),
                              Update().set(**due_fields(fresh, self.config)).when("attribute_exists(pk)"))

    def _record(self, lead: Mapping[str, Any], update: Update, kind: str, count: str | None = None,
                **detail: Any) -> bool:
        """Write the step, its timeline entry (and funnel count) together; False when another sweep did it."""
        entry = timeline.entry(lead["id"], iso(self.now), kind, "followup", **detail)
        actions = [self.store.update_action(lead_key(lead["id"]), update), self.store.put_action(entry)]
        if count:
            actions.append(reports.count_action(self.store, lead, **{count: 1}))
        try:
            self.store.transact(actions)
        except ConditionFailed:
            return False
        self.report.steps[kind] += 1
        return True

    def _is_due(self, moment: str | None) -> bool:
        return bool(moment) and parse_iso(moment) <= self.now  # type: ignore[arg-type]

    def _enrich(self, lead: dict[str, Any]) -> None:
        if lead.get("pending_enrichment") and self._is_due(lead.get("enrich_next_at")) and self.enrich(lead, self.now):
            self.report.steps["enriched"] += 1

    def _retry_assignment(self, lead: dict[str, Any]) -> None:
        if not (lead.get("assign_blocked") and self._is_due(lead.get("assign_retry_at"))):
            return
        # Removing the block puts the lead back in front of the assign function's stream filter.
        update = (Update().remove("assign_blocked", "assign_retry_at")
                  .when("#assign_retry_at = :seen", seen=lead["assign_retry_at"]))
        self._record(lead, update, "assignment_retried")

    def _first_contact(self, lead: dict[str, Any]) -> None:
        if not (lead.get("owner") and lead.get("status") in SLA_STATUSES and lead.get("assigned_at")):
            return
        rules = self.config.followup
        assigned = parse_iso(lead["assigned_at"])
        deadline = assigned + _minutes(rules.first_contact_sla_minutes)
        reminders = sorted(rules.remind_owner_at_minutes)
        sent = int(lead.get("reminders_sent", 0))
        while sent < len(reminders) and assigned + _minutes(reminders[sent]) <= self.now:
            self._remind(lead, sent, iso(deadline))
            sent += 1
        if not lead.get("sla_breached") and deadline <= self.now:
            update = (Update().set(sla_breached=True)
                      .when("#owner = :owner AND #assigned_at = :assigned AND attribute_not_exists(#sla_breached)",
                            owner=lead["owner"], assigned=lead["assigned_at"]))
            if self._record(lead, update, "sla_breached", count="sla_breached", owner=lead["owner"]):
                self.notifier.publish("lead.sla_breached", {"lead_id": lead["id"], "owner": lead["owner"],
                                                            "deadline": iso(deadline)})
        reassign_after = rules.reassign_after_minutes
        retry = lead.get("reassign_retry_at")
        if reassign_after and assigned + _minutes(reassign_after) <= self.now and (not retry or self._is_due(retry)):
            if self.reassign(lead, self.now):
                self.report.steps["reassigned"] += 1
            else:
                self.store.update(lead_key(lead["id"]), Update().set(reassign_retry_at=iso(self.now + ASSIGN_RETRY)))

    def _remind(self, lead: dict[str, Any], index: int, deadline: str) -> None:
        update = (Update().set(reminders_sent=index + 1)
                  .when("#owner = :owner AND #assigned_at = :assigned AND #status IN (:new, :assigned_status) "
                        "AND (attribute_not_exists(#reminders_sent) OR #reminders_sent = :sent)",
                        owner=lead["owner"], assigned=lead["assigned_at"], new="new", assigned_status="assigned",
                        sent=index))
        if not self._record(lead, update, "owner_reminded", owner=lead["owner"], reminder=index + 1):
            return
        rep = self.store.get({"pk": "REPS", "sk": f"REP#{lead['owner']}"})
        if rep:
            self.notifier.send(emails.reminder(lead, rep, deadline, self.base_url))
            self.report.steps["emails"] += 1

    def _nurture(self, lead: dict[str, Any]) -> None:
        steps = self.config.followup.nurture
        index = int(lead.get("nurture_step", 0))
        if not _nurture_open(lead) or index >= len(steps):
            return
        step = steps[index]
        if parse_iso(lead["created_at"]) + timedelta(hours=step.after_hours) > self.now:
            return
        update = (Update().set(nurture_step=index + 1)
                  .when("(attribute_not_exists(#nurture_step) OR #nurture_step = :step) AND #unsubscribed = :no",
                        step=index, no=False))
        if self._record(lead, update, "nurture_sent", template=step.template, step=index + 1):
            self.notifier.send(emails.nurture(lead, step.template, self.config.business_name,
                                              self.unsubscribe_url(lead["id"])))
            self.report.steps["emails"] += 1

    def _refresh_score(self, lead: dict[str, Any]) -> None:
        if lead.get("status") not in OPEN_STATUSES or not self._is_due(lead.get("score_refresh_at")):
            return
        # Marking the score due sends the lead back through the score function, as of this sweep's instant.
        update = (Update().set(score_due=1, score_as_of=iso(self.now)).remove("score_refresh_at")
                  .add(inputs_version=1).when("#score_refresh_at = :seen", seen=lead["score_refresh_at"]))
        try:
            self.store.update(lead_key(lead["id"]), update)
            self.report.steps["score_refreshed"] += 1
        except ConditionFailed:
            pass

    def _stale(self, lead: dict[str, Any]) -> None:
        last = lead.get("last_activity_at")
        if lead.get("status") not in OPEN_STATUSES or not last:
            return
        if parse_iso(last) + timedelta(days=self.config.followup.stale_after_days) > self.now:
            return
        update = (Update().set(status="stale", updated_at=iso(self.now))
                  .when("#last_activity_at = :seen AND #status = :status", seen=last, status=lead["status"]))
        if self._record(lead, update, "stale", previous_status=lead["status"]):
            self.notifier.publish("lead.stale", {"lead_id": lead["id"], "previous_status": lead["status"]})
