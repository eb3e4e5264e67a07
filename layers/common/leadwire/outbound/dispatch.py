"""One attempt of one delivery: the signed webhook or the Slack message built, sent, and its answer recorded.

A 2xx is delivered; 410 Gone turns the subscription off; anything else (another status, a refused or unreachable
receiver, a timeout) is tried again with exponential backoff and jitter until 24 hours after the event, and after
that last try the delivery is failed: counted (`WebhooksFailed`, which an alarm watches) and logged. Attempts run
in the outbound function, woken by the table's stream, so a slow receiver never holds up the pipeline.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import parse_iso
from leadwire.followup.rep_links import RepLinks
from leadwire.lead import LeadRecord
from leadwire.outbound import receivers, slack, webhooks
from leadwire.owner.subscriptions import signing_secrets
from leadwire.pages.lead_view import person_name, view
from leadwire.runtime.metrics import count
from leadwire.store import subscriptions
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_rep
from leadwire.store.table import Store

logger = Logger(child=True)

RETRY_WINDOW = timedelta(hours=24)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=4)


def next_try(attempts: int, at: datetime, event_at: datetime, jitter: Callable[[], float] = random.random
             ) -> datetime | None:
    """When to try again after `attempts` failed ones, the last at `at`: 1, 2, 4 … minutes (at most 4 hours),
    each between half and all of it at random so receivers that failed together are not hit together again; the
    last try falls at 24 hours after the event, and None once that is past."""
    deadline = event_at + RETRY_WINDOW
    if at >= deadline:
        return None
    backoff = min(FIRST_BACKOFF * 2 ** max(0, attempts - 1), MAX_BACKOFF)
    return min(at + backoff * (0.5 + jitter() / 2), deadline)


@dataclass
class Dispatcher:
    store: Store
    links: RepLinks
    allow_local: bool = False
    post: Callable[..., receivers.Answer] = receivers.post
    wall_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    pacer: slack.Pacer = field(default_factory=slack.Pacer)

    def attempt(self, key: dict[str, Any]) -> str:
        """Make the attempt the delivery at `key` asks for; what became of it (delivered, retry, failed, gone,
        cancelled, or nothing when no attempt is asked for any more)."""
        delivery = subscriptions.load_delivery(self.store, key)
        if delivery is None or delivery["status"] != "pending" or delivery.get("send") is None:
            return "nothing"
        at = parse_iso(str(delivery["send_at"]))
        subscription = subscriptions.load(self.store, str(delivery["subscription_id"]))
        if subscription is None or not subscription.get("active"):
            return self._record(delivery, "cancelled", at, None, "the subscription is deleted or turned off")
        sent_at = self.wall_clock()
        request = self._slack(subscription, delivery, sent_at) if subscription["kind"] == "slack" \
            else self._webhook(subscription, delivery, sent_at)
        if request is None:
            return self._record(delivery, "cancelled", at, None, "the lead was erased")
        body, headers = request
        try:
            if subscription["kind"] == "slack":
                self.pacer.wait_turn(str(subscription["id"]))
            answer = self.post(str(subscription["url"]), body, headers, allow_local=self.allow_local)
        except (receivers.RefusedUrl, receivers.Unreachable, TimeoutError) as error:
            return self._retry(delivery, at, None, str(error) or type(error).__name__)
        if 200 <= answer.status < 300:
            count("WebhooksDelivered")
            return self._record(delivery, "delivered", at, answer.status, None)
        if answer.status == 410:
            subscriptions.deactivate(self.store, str(subscription["id"]), "the receiver answered 410 Gone",
                                     str(delivery["send_at"]))
            logger.warning("subscription turned off: its receiver answered 410",
                           extra={"subscription_id": subscription["id"]})
            return self._record(delivery, "gone", at, 410, "the receiver answered 410 Gone")
        return self._retry(delivery, at, answer.status, f"the receiver answered {answer.status}",
                           answer.retry_after_s)

    def _webhook(self, subscription: dict[str, Any], delivery: dict[str, Any], sent_at: datetime
                 ) -> tuple[bytes, dict[str, str]]:
        data = dict(delivery.get("facts") or {})
        if subscription.get("include_lead", True) and delivery.get("lead_id"):
            lead = LeadRepository(self.store).get(str(delivery["lead_id"]))
            data["lead"] = lead.shown() if lead else None
        body = webhooks.body(str(delivery["event_type"]), str(delivery["event_at"]), data)
        secrets = signing_secrets(subscription, sent_at)
        return body, webhooks.headers(str(delivery["delivery_id"]), body, secrets, sent_at)

    def _slack(self, subscription: dict[str, Any], delivery: dict[str, Any], sent_at: datetime
               ) -> tuple[bytes, dict[str, str]] | None:
        lead = LeadRepository(self.store).get(str(delivery.get("lead_id") or ""))
        if lead is None:
            return None
        message = slack.message(str(delivery["event_type"]), self._card(lead, sent_at))
        return json.dumps(message, ensure_ascii=False).encode(), {}

    def _card(self, lead: LeadRecord, now: datetime) -> slack.LeadCard:
        rep = load_rep(self.store, lead.owner) if lead.owner else None
        seen = view(lead, rep.timezone if rep else None, load_config(self.store)[1], now)
        page = self.links.url(lead.id, rep.id, now) if rep else None
        return slack.LeadCard(name=person_name(lead), company=lead.company, score=lead.score, stage=lead.stage,
                              reasons=[(reason.rule, reason.points) for reason in seen.reasons],
                              owner=rep.name if rep else lead.owner,
                              deadline=seen.deadline.clock if seen.deadline else None, page_url=page)

    def _retry(self, delivery: dict[str, Any], at: datetime, code: int | None, error: str,
               retry_after_s: float | None = None) -> str:
        attempts = int(delivery["attempts"]) + 1
        later = next_try(attempts, at, parse_iso(str(delivery["event_at"])))
        if later is not None and retry_after_s:
            later = max(later, min(at + timedelta(seconds=retry_after_s), at + MAX_BACKOFF))
        if later is None:
            count("WebhooksFailed")
            logger.error("delivery failed after its last try", extra={
                "subscription_id": delivery["subscription_id"], "webhook_id": delivery["delivery_id"],
                "attempts": attempts, "code": code})
            return self._record(delivery, "failed", at, code, error)
        logger.info("delivery to be tried again", extra={"subscription_id": delivery["subscription_id"],
                                                          "attempts": attempts, "code": code})
        return self._record(delivery, "pending", at, code, error, later, outcome="retry")

    def _record(self, delivery: dict[str, Any], status: str, at: datetime, code: int | None, error: str | None,
                later: datetime | None = None, outcome: str | None = None) -> str:
        subscriptions.record_attempt(self.store, delivery, status, at, code, error, later)
        return outcome or status
