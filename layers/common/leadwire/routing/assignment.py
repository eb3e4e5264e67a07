"""Giving a lead its owner: exactly one, chosen by the routing rules, told once, explained on the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit

from leadwire.clock import iso, parse_iso
from leadwire.config import Config
from leadwire.followup.plan import planner
from leadwire.followup.rep_links import RepLinks
from leadwire.lead import LeadRecord
from leadwire.outbound import emails
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Event, Message, Notifier
from leadwire.routing.reps import Rep
from leadwire.routing.strategies import Decision, choose_rep, company_domain, pick_pool, pool_key
from leadwire.runtime import metrics
from leadwire.scoring.score import stage_rank
from leadwire.store import outbox, reps, timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store

logger = Logger(child=True)

# A lead nobody can take is tried again 5 minutes later at first, then at a slower pace: a quarter of the time it has
# waited, at most every 30 minutes (a business without reps, or a full team, is not looped over 288 times a day).
ASSIGN_RETRY = timedelta(minutes=5)
ASSIGN_RETRY_MAX = timedelta(minutes=30)


def assign_retry_after(lead: LeadRecord, now: datetime) -> timedelta:
    """How long a lead nobody can take now waits before the next try."""
    return min(max(ASSIGN_RETRY, (now - parse_iso(lead.created_at)) / 4), ASSIGN_RETRY_MAX)


class Assigner:
    def __init__(self, store: Store, notifier: Notifier, base_url: str, config: Config | None = None,
                 links: RepLinks | None = None) -> None:
        self.store = store
        self.notifier = notifier
        self.base_url = base_url
        self.config = config if config is not None else load_config(store)[1]
        # Without links (a caller that passes none) emails go out without the lead-page link.
        self.links = (links or RepLinks(base_url)).lasting(self.config.followup.rep_link_days)
        self.leads = LeadRepository(store, planner(self.config))
        self.delivery = Delivery(store, notifier)
        self._reps: dict[str, Rep] | None = None

    @property
    def reps(self) -> dict[str, Rep]:
        """The team, read once per Assigner (one per stream batch) and kept current by its own assignments."""
        if self._reps is None:
            self._reps = {rep.id: rep for rep in reps.load_reps(self.store)}
        return self._reps

    def assign(self, lead_id: str, now: datetime) -> str | None:
        """Assign a lead that reached the configured stage without an owner; the rep id if this call won."""
        lead = self.leads.get(lead_id)
        if not lead or lead.owner or lead.status != "new" or lead.score_due is not None or lead.assign_blocked:
            return None  # redelivered, already owned, or not ready: nothing to do
        if stage_rank(lead.stage) < stage_rank(self.config.routing.assign_at):
            return None
        decision = self._decide(lead, now)
        if decision.rep_id is None:
            self._block(lead, decision, now)
            return None
        return decision.rep_id if self._hand_over(lead, decision, now) else None

    def reassign(self, lead: LeadRecord, now: datetime, to: str | None = None, actor: str = "followup",
                 **detail: str) -> str | None:
        """Move an owned lead to another rep (chosen by routing, or `to`); both reps are told. `detail` goes to the
        timeline (a rep giving a lead back from the lead page: `via`)."""
        if to is None:
            decision = self._decide(lead, now, exclude=frozenset({lead.owner}) if lead.owner else frozenset())
            if decision.rep_id is None:
                if lead.reassign_retry_at is None:  # told once per owner; the retries that follow are quiet
                    self.store.put(timeline.entry(lead.id, iso(now), "reassignment_failed", actor,
                                                  reason=decision.reason, explanation=decision.explain(), **detail))
                return None
        else:
            decision = Decision(rep_id=to, rule_id=None, strategy="manual", skipped=[], reason=f"set by {actor}")
        return decision.rep_id if self._hand_over(lead, decision, now, actor=actor, **detail) else None

    def _decide(self, lead: LeadRecord, now: datetime, exclude: frozenset[str] = frozenset()) -> Decision:
        team = list(self.reps.values())
        routing = self.config.routing
        rule_id, _ = pick_pool(lead, team, routing)
        ticket = 0
        if routing.strategy in ("round_robin", "weighted"):
            ticket = reps.next_ticket(self.store, routing.strategy, pool_key(rule_id))
        return choose_rep(lead, team, routing, now, ticket, previous_owner=self._previous_owner(lead, now),
                          exclude=exclude)

    def _previous_owner(self, lead: LeadRecord, now: datetime) -> str | None:
        """Sticky routing: who had this lead before it closed (a returning person), else who last owned someone from
        the same company (free-mail domains never count)."""
        if lead.last_owner:
            return lead.last_owner
        domain = company_domain(lead.email or "")
        days = self.config.routing.sticky_days
        found = reps.company_owner(self.store, domain) if domain and days else None
        if not found or found[1] < iso(now - timedelta(days=days)):
            return None
        return found[0]

    def _block(self, lead: LeadRecord, decision: Decision, now: datetime) -> None:
        """Nobody can take the lead now: retry later; the timeline and the bus hear of it once per reason."""
        entry, told = None, []
        if lead.unassigned_reason != decision.reason:
            entry, told = outbox.carrying(
                timeline.entry(lead.id, iso(now), "unassigned", "assign", reason=decision.reason,
                               explanation=decision.explain()),
                outbox.intents(lead.id, now, Event("lead.unassigned", {"lead_id": lead.id, "reason": decision.reason})))
        if self.leads.block_assignment(lead, decision.reason, iso(now + assign_retry_after(lead, now)), entry, told):
            self.delivery.now(told)

    def _hand_over(self, lead: LeadRecord, decision: Decision, now: datetime, actor: str = "assign",
                   **detail: str) -> bool:
        assert decision.rep_id is not None
        at, previous = iso(now), lead.owner
        # A lead waiting for first contact becomes `assigned`; one already contacted keeps its status.
        status = "assigned" if lead.can_become("assigned") else lead.status
        entry, told = outbox.carrying(
            timeline.entry(lead.id, at, "assigned", actor, owner=decision.rep_id, previous_owner=previous,
                           rule=decision.rule_id, strategy=decision.strategy, explanation=decision.explain(), **detail),
            outbox.intents(lead.id, now, *self._news(lead.changed(owner=decision.rep_id, assigned_at=at), decision,
                                                     now, previous)))
        if not self.leads.hand_over(lead, decision.rep_id, status, at, entry, company_domain(lead.email or ""), told):
            logger.info("another writer assigned this lead first", extra={"lead_id": lead.id})
            return False
        self._count(decision.rep_id, previous)
        self.delivery.now(told)  # only the writer that won gets here, so each assignment is announced once
        metrics.count("TimeToAssign", round((now - parse_iso(lead.created_at)).total_seconds(), 3), MetricUnit.Seconds)
        logger.info("lead assigned", extra={"lead_id": lead.id, "strategy": decision.strategy})
        return True

    def _count(self, rep_id: str, previous: str | None) -> None:
        mine = self.reps.get(rep_id)
        if mine:
            self.reps[rep_id] = mine.model_copy(update={"open_leads": mine.open_leads + 1,
                                                        "assigned_total": mine.assigned_total + 1})
        old = self.reps.get(previous or "")
        if old:
            self.reps[old.id] = old.model_copy(update={"open_leads": old.open_leads - 1})

    def _messages(self, lead: LeadRecord) -> list[str]:
        """Everything the person wrote, for the new owner: a lead that came back before it was assigned (or was
        reopened) has more to say than its latest message."""
        if lead.touches <= 1:
            return [lead.message] if lead.message else []
        return [str(item["message"]) for item in self.leads.submissions_after(lead.id, None) if item.get("message")]

    def _news(self, lead: LeadRecord, decision: Decision, now: datetime, previous: str | None) -> list[Message]:
        """The emails to the new (and the previous) owner and the `lead.assigned` event, written with the handover."""
        assert decision.rep_id is not None
        news: list[Message] = []
        rep = self.reps.get(decision.rep_id)
        if rep:
            page = self.links.url(lead.id, rep.id, now)
            news.append(emails.new_owner(lead, rep, self.config, now, page, self._messages(lead)))
        old_rep = self.reps.get(previous) if previous else None
        if old_rep and rep:
            page = self.links.url(lead.id, old_rep.id, now)
            news.append(emails.taken_away(lead, old_rep, rep, self.config, now, page))
        news.append(Event("lead.assigned", {"lead_id": lead.id, "owner": decision.rep_id, "previous_owner": previous,
                                            "strategy": decision.strategy, "rule": decision.rule_id,
                                            "source": lead.source}))
        return news
