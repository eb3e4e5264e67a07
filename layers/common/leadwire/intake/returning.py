"""A returning person is news: the owner hears every message since the last one they saw, and `lead.returned` is
published. A lost or unqualified lead has reopened for assignment by then (back to its last owner when they are
active); a won lead stays won and its owner is told."""

from __future__ import annotations

from datetime import datetime

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

logger = Logger(child=True)


def announce(leads: LeadRepository, notifier: Notifier, known: LeadRecord, reopened_from: str | None, now: datetime,
             links: RepLinks | None, config: Config) -> None:
    """After the merge that made the return is stored: one event, and one email to the owner who still has it.
    Both go through the outbox, written right after the merge (not in its transaction: the email needs the lead as
    merged), so a failing SES or EventBridge is retried by the sweep."""
    delivery = Delivery(leads.store, notifier)
    returned = Event("lead.returned", {"lead_id": known.id, "status": "new" if reopened_from else known.status,
                                       "reopened_from": reopened_from})
    rep = load_rep(leads.store, known.owner) if known.owner and not reopened_from else None
    lead = leads.get(known.id)
    if rep is None or lead is None:  # reopened: its next owner's email shows every message
        delivery.later_now(outbox.intents(known.id, now, returned))
        return
    messages = [str(item["message"]) for item in leads.submissions_after(known.id, known.owner_told_at
                                                                         or known.assigned_at)
                if item.get("message")]
    page_url = links.lasting(config.followup.rep_link_days).url(lead.id, rep.id, now) if links else None
    delivery.later_now(outbox.intents(known.id, now, returned,
                                      emails.returned(lead, rep, messages, config, now, page_url)))
    leads.set_owner_told(known.id, iso(now))
    logger.info("owner told of a return", extra={"lead_id": known.id})
