"""Delivering the outbox: right after the change that wrote an intent, and again from the sweep for any that
failed, with backoff, until SES or EventBridge take it or it is given up on (then the lead's timeline says so)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.outbound.fanout import fan_out
from leadwire.outbound.notify import Event, Notifier, count, hand_to
from leadwire.store import outbox, timeline
from leadwire.store.table import Store

logger = Logger(child=True)

MAX_ATTEMPTS = 8  # with the backoff below, about eight hours of retrying
MAX_BACKOFF = timedelta(hours=2)


class Delivery:
    def __init__(self, store: Store, notifier: Notifier) -> None:
        self.store = store
        self.notifier = notifier

    def now(self, intents: list[dict[str, Any]]) -> None:
        """Deliver what a change just wrote; what fails stays in the outbox for the sweep (never raised: the change
        is stored, and retrying the caller would not deliver it any sooner)."""
        for intent in intents:
            try:
                self._deliver(intent)
            except Exception as error:  # the intent is stored: the sweep delivers it later
                count("DeliveriesDeferred")
                logger.warning("delivery deferred to the sweep", extra={"kind": intent["kind"],
                                                                        "error": type(error).__name__})

    def later_now(self, intents: list[dict[str, Any]]) -> None:
        """For a change already stored on its own: write its intents, then deliver them (at least once)."""
        outbox.write(self.store, intents)
        self.now(intents)

    def retry_due(self, now: datetime, limit: int = 50) -> dict[str, int]:
        """The sweep's part: every intent due by `now`; returns how many were delivered, deferred, given up."""
        report = {"delivered": 0, "deferred": 0, "given_up": 0}
        for intent in outbox.due(self.store, now, limit):
            try:
                self._deliver(intent, now)
                report["delivered"] += 1
            except Exception as error:  # counted, and tried again later or given up on
                report[self._failed(intent, now, type(error).__name__)] += 1
        return report

    def _deliver(self, intent: dict[str, Any], now: datetime | None = None) -> None:
        message = outbox.message_of(intent)
        if isinstance(message, Event):  # the owner's subscriptions first: a retry of this intent writes none twice
            fan_out(self.store, intent, message, now or parse_iso(intent["created_at"]))
        hand_to(self.notifier, message)
        outbox.delivered(self.store, intent)

    def _failed(self, intent: dict[str, Any], now: datetime, error: str) -> str:
        attempts = int(intent["attempts"]) + 1
        if attempts < MAX_ATTEMPTS:
            outbox.deferred(self.store, intent, now + min(timedelta(minutes=2 ** attempts), MAX_BACKOFF), error)
            return "deferred"
        outbox.delivered(self.store, intent)  # given up: shown on the lead's timeline and counted for the alarm
        if intent.get("lead_id"):
            self.store.put(timeline.entry(intent["lead_id"], iso(now), "delivery_failed", "followup",
                                          message=intent["kind"], attempts=attempts, error=error,
                                          what=_what(intent)))
        count("DeliveriesGivenUp")
        logger.error("delivery given up", extra={"kind": intent["kind"], "attempts": attempts, "error": error})
        return "given_up"


def _what(intent: dict[str, Any]) -> str:
    """The email's kind or the event's type, for the timeline (never the address or the text)."""
    payload = outbox.unpacked(intent)
    return str(payload.get("kind") or payload.get("detail_type"))
