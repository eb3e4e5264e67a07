"""Giving a lead its owner: exactly one, chosen by the routing rules, told once, explained on the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit

from leadwire.clock import iso, parse_iso
from leadwire.config import Config, load_config
from leadwire.followup import plan
from leadwire.outbound import emails, notify
from leadwire.outbound.notify import Notifier
from leadwire.routing.reps import Rep
from leadwire.routing.strategies import Decision, choose_rep, company_domain, pick_pool, pool_key
from leadwire.scoring.score import stage_rank
from leadwire.store import timeline
from leadwire.store.reps import counters_action, load_reps
from leadwire.store.table import ConditionFailed, Store, Update, lead_key

logger = Logger(child=True)

ASSIGN_RETRY = timedelta(minutes=5)


class Assigner:
    def __init__(self, store: Store, notifier: Notifier, base_url: str, config: Config | None = None) -> None:
        self.store = store
        self.notifier = notifier
        self.base_url = base_url
        self.config = config if config is not None else load_config(store)[1]
        self._reps: dict[str, Rep] | None = None

    @property
    def reps(self) -> dict[str, Rep]:
        """The team, read once per Assigner (one per stream batch) and kept current by its own assignments."""
        if self._reps is None:
            self._reps = {rep.id: rep for rep in load_reps(self.store)}
        return self._reps

    def assign(self, lead_id: str, now: datetime) -> str | None:
        """Assign a lead that reached the configured stage without an owner; the rep id if this call won."""
        lead = self.store.get(lead_key(lead_id))
        if not lead or lead.get("owner") or lead.get("status") != "new" or "score_due" in lead \
                or lead.get("assign_blocked"):
            return None  # redelivered, already owned, or not ready: nothing to do
        if stage_rank(lead.get("stage", "lead")) < stage_rank(self.config.routing.assign_at):
            return None
        decision = self._decide(lead, now)
        if decision.rep_id is None:
            self._block(lead, decision, now)
            return None
        return decision.rep_id if self._hand_over(lead, decision, now, previous=None) else None

    def reassign(self, lead: dict[str, Any], now: datetime, to: str | None = None,
                 actor: str = "followup") -> str | None:
        """Move an owned lead to another rep (chosen by routing, or `to`); both reps are told."""
        if to is None:
            current = frozenset({lead["owner"]}) if lead.get("owner") else frozenset()
            decision = self._decide(lead, now, exclude=current)
            if decision.rep_id is None:
                self.store.put(timeline.entry(lead["id"], iso(now), "reassignment_failed", actor,
                                              reason=decision.reason, explanation=decision.explain()))
                return None
        else:
            decision = Decision(rep_id=to, rule_id=None, strategy="manual", skipped=[], reason=f"set by {actor}")
        previous = lead.get("owner")
        return decision.rep_id if self._hand_over(lead, decision, now, previous=previous, actor=actor) else None

    def _decide(self, lead: dict[str, Any], now: datetime, exclude: frozenset[str] = frozenset()) -> Decision:
        reps = list(self.reps.values())
        routing = self.config.routing
        rule_id, _ = pick_pool(lead, reps, routing)
        ticket = 0
        if routing.strategy in ("round_robin", "weighted"):
            ticket = self.store.next_number({"pk": "COUNTER#routing", "sk": f"{routing.strategy}#{pool_key(rule_id)}"})
        return choose_rep(lead, reps, routing, now, ticket, previous_owner=self._previous_owner(lead, now),
                          exclude=exclude)

    def _previous_owner(self, lead: dict[str, Any], now: datetime) -> str | None:
        """Sticky routing: who last owned someone from the same company (free-mail domains never count)."""
        domain = company_domain(lead.get("email") or "")
        days = self.config.routing.sticky_days
        if not domain or not days:
            return None
        found = self.store.get({"pk": f"DOMAIN#{domain}", "sk": "OWNER"}, consistent=False)
        if not found or found["assigned_at"] < iso(now - timedelta(days=days)):
            return None
        return str(found["owner"])

    def _block(self, lead: dict[str, Any], decision: Decision, now: datetime) -> None:
        retry_at = iso(now + ASSIGN_RETRY)
        changes = {"assign_blocked": decision.reason, "unassigned_reason": decision.reason, "assign_retry_at": retry_at}
        update = (Update().set(**changes, **plan.due_fields({**lead, **changes}, self.config))
                  .when("attribute_not_exists(#owner)"))
        entry = timeline.entry(lead["id"], iso(now), "unassigned", "assign", reason=decision.reason,
                               explanation=decision.explain())
        try:
            self.store.transact([self.store.update_action(lead_key(lead["id"]), update), self.store.put_action(entry)])
        except ConditionFailed:
            return
        self.notifier.publish("lead.unassigned", {"lead_id": lead["id"], "reason": decision.reason})

    def _hand_over(self, lead: dict[str, Any], decision: Decision, now: datetime, previous: str | None,
                   actor: str = "assign") -> bool:
        assert decision.rep_id is not None
        at = iso(now)
        changes: dict[str, Any] = {"owner": decision.rep_id, "status": "assigned", "assigned_at": at,
                                   "updated_at": at, "reminders_sent": 0, "unassigned_reason": None,
                                   "sla_breached": None, "reassign_retry_at": None}
        update = Update().set(**changes, **plan.due_fields({**lead, **changes}, self.config))
        if previous is None:
            update.when("attribute_not_exists(#owner) AND #status = :new", new="new")
        else:
            update.when("#owner = :previous AND #assigned_at = :was", previous=previous, was=lead["assigned_at"])
        actions = [self.store.update_action(lead_key(lead["id"]), update),
                   counters_action(self.store, decision.rep_id, open_leads=1, assigned=1),
                   self.store.put_action(timeline.entry(lead["id"], at, "assigned", actor, owner=decision.rep_id,
                                                        previous_owner=previous, rule=decision.rule_id,
                                                        strategy=decision.strategy, explanation=decision.explain()))]
        if previous is not None:
            actions.append(counters_action(self.store, previous, open_leads=-1))
        domain = company_domain(lead.get("email") or "")
        if domain:
            actions.append(self.store.put_action({"pk": f"DOMAIN#{domain}", "sk": "OWNER", "owner": decision.rep_id,
                                                  "assigned_at": at}))
        try:
            self.store.transact(actions)
        except ConditionFailed:
            logger.info("another writer assigned this lead first", extra={"lead_id": lead["id"]})
            return False
        self._count(decision.rep_id, previous)
        self._tell(lead, decision, now, previous)
        return True

    def _count(self, rep_id: str, previous: str | None) -> None:
        mine = self.reps.get(rep_id)
        if mine:
            self.reps[rep_id] = mine.model_copy(update={"open_leads": mine.open_leads + 1,
                                                        "assigned_total": mine.assigned_total + 1})
        old = self.reps.get(previous or "")
        if old:
            self.reps[old.id] = old.model_copy(update={"open_leads": old.open_leads - 1})

    def _contact(self, rep_id: str) -> dict[str, Any] | None:
        rep = self.reps.get(rep_id)
        return {"name": rep.name, "email": rep.email} if rep else None

    def _tell(self, lead: dict[str, Any], decision: Decision, now: datetime, previous: str | None) -> None:
        """Only the writer that won gets here, so each assignment sends its emails once."""
        assert decision.rep_id is not None
        rep = self._contact(decision.rep_id)
        deadline = iso(now + timedelta(minutes=self.config.followup.first_contact_sla_minutes))
        if rep:
            self.notifier.send(emails.new_owner(lead, rep, deadline, self.base_url))
        old_rep = self._contact(previous) if previous else None
        if old_rep and rep:
            self.notifier.send(emails.taken_away(lead, old_rep, rep, self.base_url))
        created = parse_iso(lead["created_at"])
        notify.count("TimeToAssign", round((now - created).total_seconds(), 3), MetricUnit.Seconds)
        self.notifier.publish("lead.assigned", {"lead_id": lead["id"], "owner": decision.rep_id,
                                                "previous_owner": previous, "strategy": decision.strategy,
                                                "rule": decision.rule_id, "source": lead["source"]})
        logger.info("lead assigned", extra={"lead_id": lead["id"], "strategy": decision.strategy})
