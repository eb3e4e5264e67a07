"""Delivering the outbox: right after the change that wrote an intent, and again from the sweep for any that
failed, with backoff, until SES or EventBridge take it or it is given up on (then the lead's timeline says so). The
timeline entry an intent carries is written first."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.outbound.fanout import fan_out
from leadwire.outbound.notify import Email, Event, NotDelivered, Notifier, hand_to
from leadwire.runtime.metrics import count
from leadwire.store import limits, outbox, schema, subscriptions, timeline
from leadwire.store.table import Store

logger = Logger(child=True)

PERSON_EMAILS_PER_DAY = 3  # no person gets more leadwire emails a day (reps, the owner's team, are not capped)
MAX_ATTEMPTS = 8  # with the backoff below, about eight hours of retrying
MAX_BACKOFF = timedelta(hours=2)
FORGET_ATTEMPTS = 3  # deleting a delivered intent is tried this often before its messages risk going out again
FORGET_BACKOFF_S = 0.025
RETRY_PAGE = 50  # intents read at a time from each outbox partition by the sweep
RETRY_BUDGET_S = 60.0  # at most this much of a sweep goes to the outbox: reminders and escalations must not wait on it
RETRY_RESERVE_MS = 30_000  # and what it leaves of the sweep's time for the rest of its work
# A sender of another kind of intent (the Conversions API's `capi`): it sends, then marks the intent delivered.
Sender = Callable[[dict[str, Any], datetime], None]


class Delivery:
    def __init__(self, store: Store, notifier: Notifier, senders: Mapping[str, Sender] | None = None) -> None:
        self.store = store
        self.notifier = notifier
        self.senders = dict(senders or {})
        self._subscribed: list[dict[str, Any]] | None = None

    def now(self, intents: list[dict[str, Any]]) -> None:
        """Deliver what a change just wrote; what fails stays in the outbox for the sweep (never raised: the change
        is stored, and retrying the caller would not deliver it any sooner)."""
        for intent in intents:
            if not outbox.carries_messages(intent) and intent["kind"] not in self.senders:
                continue  # its sender runs in the sweep, which delivers it when due
            try:
                self._deliver(intent, parse_iso(intent["created_at"]))
            except Exception as error:  # the intent is stored: the sweep delivers it later
                if isinstance(error, _Undelivered) and error.sent:
                    outbox.partly_sent(self.store, intent, error.sent)
                count("DeliveriesDeferred")
                logger.warning("delivery deferred to the sweep", extra={
                    "kind": intent["kind"], "error": error.error if isinstance(error, _Undelivered) else
                    type(error).__name__})

    def later_now(self, intents: list[dict[str, Any]]) -> None:
        """For a change already stored on its own: write its intents, then deliver them (at least once)."""
        outbox.write(self.store, intents)
        self.now(intents)

    def retry_due(self, now: datetime, time_left_ms: Callable[[], int] | None = None, page: int = RETRY_PAGE
                  ) -> dict[str, int]:
        """The sweep's part: every intent due by `now`, a page at a time, the longest waiting first, until none is
        left or the sweep's share of time is spent (a backlog after an outage then drains over the next sweeps;
        `unfinished` says so). Returns how many were delivered, deferred, given up."""
        report = {"delivered": 0, "deferred": 0, "given_up": 0}
        deadline = time.monotonic() + RETRY_BUDGET_S
        tried: set[str] = set()  # one attempt each: an intent whose failure could not be recorded stays due
        while True:
            found = outbox.due(self.store, now, page)
            intents = [intent for intent in found if intent["intent_id"] not in tried]
            for intent in intents:
                if time.monotonic() > deadline or (time_left_ms is not None and time_left_ms() < RETRY_RESERVE_MS):
                    report["unfinished"] = 1
                    return report
                tried.add(intent["intent_id"])
                self._retry(intent, now, report)
            if not intents or len(found) < page:  # fewer than a page in all: no partition has more
                return report

    def _retry(self, intent: dict[str, Any], now: datetime, report: dict[str, int]) -> None:
        try:
            self._deliver(intent, now, late=True)
            report["delivered"] += 1
        except Exception as error:  # counted, and tried again later or given up on
            failure = error if isinstance(error, _Undelivered) else _Undelivered(type(error).__name__,
                                                                                  int(intent.get("sent", 0)))
            try:
                report[self._failed(intent, now, failure.error, failure.sent)] += 1
            except Exception:  # not even the attempt could be recorded: the intent is still due, as it was
                report["unrecorded"] = report.get("unrecorded", 0) + 1

    def _deliver(self, intent: dict[str, Any], now: datetime | None = None, late: bool = False) -> None:
        """The timeline entry it carries, then each message not yet sent, in order, then the intent is deleted;
        _Undelivered says how far it got. An event goes to the owner's subscriptions first, under an id of its own,
        so a retry writes none twice. An intent of another kind goes to its sender, which marks it delivered."""
        entry = self._unwritten_entry(intent, int(intent.get("sent", 0)), late)
        if entry is not None:
            self.store.put(entry)
        sender = self.senders.get(intent["kind"])
        if sender is not None:
            sender(intent, now or parse_iso(intent["created_at"]))
            return
        if not outbox.carries_messages(intent):
            raise NotDelivered(f"no sender for {intent['kind']} intents here")
        sent = int(intent.get("sent", 0))
        for number, message in enumerate(outbox.messages_of(intent)[sent:], sent):
            try:
                if isinstance(message, Email) and message.to_person and not self._within_cap(message, intent, number):
                    self._capped(intent, message)
                    continue
                if isinstance(message, Event):
                    fan_out(self.store, {**intent, "intent_id": outbox.message_id(intent, number)}, message,
                            now or parse_iso(intent["created_at"]), self._subscriptions())
                hand_to(self.notifier, message)
            except Exception as error:
                raise _Undelivered(type(error).__name__, number) from error
        self._forget(intent)

    def _unwritten_entry(self, intent: dict[str, Any], sent: int, late: bool) -> dict[str, Any] | None:
        """The timeline entry the intent carries, unless a message went out (the entry was written before it). A
        retry writes it again, and it is still one item. Late, from the sweep, only while the lead is there: an
        owner may have erased it, or joined it into another, meanwhile."""
        entry = outbox.carried_entry(intent)
        if entry is None or sent:
            return None
        if late and self.store.get(schema.lead(str(intent["lead_id"])), consistent=False) is None:
            return None
        return entry

    def _subscriptions(self) -> list[dict[str, Any]]:
        """The owner's subscriptions, read once for every event this Delivery carries: one batch of a stream, one
        request, one sweep (as the config is), so a subscription changed meanwhile counts from the next one."""
        if self._subscribed is None:
            self._subscribed = subscriptions.load_all(self.store)
        return self._subscribed

    def _forget(self, intent: dict[str, Any]) -> None:
        """Every message left: delete the intent, trying again after a transient failure (left in the outbox, its
        messages would be sent a second time by a later sweep)."""
        for attempt in range(FORGET_ATTEMPTS):
            try:
                outbox.delivered(self.store, intent)
                return
            except Exception:
                if attempt + 1 == FORGET_ATTEMPTS:
                    raise
            time.sleep(random.uniform(0, FORGET_BACKOFF_S * 2 ** attempt))

    def _within_cap(self, email: Email, intent: dict[str, Any], number: int) -> bool:
        """At most PERSON_EMAILS_PER_DAY to one person's address a day (by the day the email was written), each
        email counted once however often its delivery is tried."""
        day = str(intent["created_at"])[:10]
        address = hashlib.sha256(email.to.strip().lower().encode()).hexdigest()[:32]
        expires = int((parse_iso(f"{day}T00:00:00Z") + timedelta(days=2)).timestamp())
        return limits.count_once(self.store, "person-email", address, day, outbox.message_id(intent, number),
                                 PERSON_EMAILS_PER_DAY, expires)

    def _capped(self, intent: dict[str, Any], email: Email) -> None:
        """Not sent, and not retried: the cap is the point; the lead's timeline says so."""
        if intent.get("lead_id"):
            self.store.put(timeline.entry(intent["lead_id"], str(intent["created_at"]), "email_capped", "followup",
                                          what=email.kind, cap=PERSON_EMAILS_PER_DAY))
        count("EmailsCapped")
        logger.warning("email to a person not sent: their daily cap is reached", extra={"kind": email.kind})

    def _failed(self, intent: dict[str, Any], now: datetime, error: str, sent: int) -> str:
        attempts = int(intent["attempts"]) + 1
        if attempts < MAX_ATTEMPTS:
            outbox.deferred(self.store, intent, now + min(timedelta(minutes=2 ** attempts), MAX_BACKOFF), error, sent)
            return "deferred"
        carried = self._unwritten_entry(intent, sent, late=True)  # the change happened: its entry is kept
        outbox.delivered(self.store, intent, *([carried] if carried else []))  # shown on the timeline, alarmed on
        if intent.get("lead_id"):
            self.store.put(timeline.entry(intent["lead_id"], iso(now), "delivery_failed", "followup",
                                          message=intent["kind"], attempts=attempts, error=error,
                                          what=_what(intent, sent)))
        count("DeliveriesGivenUp")
        logger.error("delivery given up", extra={"kind": intent["kind"], "attempts": attempts, "error": error})
        return "given_up"


class _Undelivered(Exception):
    """A message of an intent was refused: why (the error's name), and how many before it went out."""

    def __init__(self, error: str, sent: int) -> None:
        super().__init__(error)
        self.error, self.sent = error, sent


def _what(intent: dict[str, Any], sent: int) -> str:
    """The kinds of the emails and types of the events not delivered, or the change another kind of intent carried,
    for the timeline (never an address or a text)."""
    if not outbox.carries_messages(intent):
        return str(outbox.unpacked(intent).get("change"))
    return ", ".join(str(part["body"].get("kind") if part["type"] == "email" else part["body"].get("detail_type"))
                     for part in outbox.unpacked(intent)[sent:])
