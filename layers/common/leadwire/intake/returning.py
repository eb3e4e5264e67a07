"""A returning person is news: the owner hears every message since the last one they saw, and `lead.returned` is
published. A lost or unqualified lead has reopened for assignment by then (back to its last owner when they are
active); a won lead stays won and its owner is told.

The news is an outbox intent of its own (`return`), written in the same transaction as the merge that made the
return: whatever fails after the merge (reading the owner, writing the email), the sweep announces it, so a
redelivery of the submission, a duplicate that stores nothing, loses nothing either. Its sender turns it into the
event and the owner's email in one write, then delivers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.followup.rep_links import RepLinks
from leadwire.lead import LeadRecord
from leadwire.outbound import emails
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Event, Notifier
from leadwire.store import outbox
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_rep
from leadwire.store.table import Store

logger = Logger(child=True)

KIND = "return"


def intent(known: LeadRecord, reopened_from: str | None, now: datetime) -> dict[str, Any]:
    """The return to announce, with what the announcement needs of the lead as it was before the merge: the owner
    who still has it (none once reopened: its next owner's email shows every message) and since when they know."""
    return outbox.intent_item(known.id, now, KIND, {
        "status": "new" if reopened_from else known.status, "reopened_from": reopened_from,
        "owner": None if reopened_from else known.owner, "since": known.owner_told_at or known.assigned_at})


class ReturnSender:
    """The outbox's sender of `return` intents (the intake's right after the merge, the sweep's when that failed)."""

    def __init__(self, store: Store, notifier: Notifier, links: RepLinks | None, config: Config) -> None:
        self.store = store
        self.notifier = notifier
        self.links = links
        self.config = config

    def __call__(self, intent: dict[str, Any], now: datetime) -> None:
        payload, lead_id = outbox.unpacked(intent), str(intent["lead_id"])
        leads = LeadRepository(self.store)
        messages: list[Any] = [Event("lead.returned", {"lead_id": lead_id, "status": payload["status"],
                                                       "reopened_from": payload["reopened_from"]})]
        told: list[dict[str, Any]] = []
        rep = load_rep(self.store, payload["owner"]) if payload["owner"] else None
        lead = leads.get(lead_id) if rep is not None else None
        if rep is not None and lead is not None:
            said = [str(item["message"]) for item in leads.submissions_after(lead_id, payload["since"])
                    if item.get("message")]
            page_url = self.links.lasting(self.config.followup.rep_link_days).url(lead_id, rep.id, now) \
                if self.links else None
            messages.append(emails.returned(lead, rep, said, self.config, now, page_url))
            told.append(leads.owner_told_action(lead_id, iso(now)))
        news = outbox.intents(lead_id, now, *messages)
        # The return becomes its messages once, even with the sweep trying it too. A lead erased since it was read
        # fails the write: the next try announces the return without the email.
        if not outbox.replaced(self.store, intent, news, *told):
            return  # another sender announced it meanwhile
        Delivery(self.store, self.notifier).now(news)
        logger.info("return announced", extra={"lead_id": lead_id, "owner_told": bool(told)})


def announce_now(store: Store, notifier: Notifier | None, links: RepLinks | None, config: Config,
                 intents: list[dict[str, Any]]) -> None:
    """Right after the write that stored `intents` (return intents among them): announce them, leaving to the
    sweep what fails (never raised: the return is stored); without a notifier, all of it."""
    if notifier is not None:
        Delivery(store, notifier, {KIND: ReturnSender(store, notifier, links, config)}).now(intents)
