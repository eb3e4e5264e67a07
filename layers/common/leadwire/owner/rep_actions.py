"""What a rep does about a lead from its page (or an owner from the command line): contacted, no answer, a note,
not a fit, won, lost, give it back. One use case per action, each harmless when repeated (a double click). And from
a link that no longer works: ask for a new one, sent to the rep's own address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from aws_lambda_powertools import Logger
from pydantic import ConfigDict, Field

from leadwire.clock import iso
from leadwire.errors import Conflict, Forbidden, LeadNotFound, ValidationFailed
from leadwire.followup.plan import planner
from leadwire.followup.rep_links import RepLink, RepLinks
from leadwire.lead import LeadRecord
from leadwire.model import Model
from leadwire.outbound import emails
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Notifier
from leadwire.owner.leads import move_status
from leadwire.routing.assignment import Assigner
from leadwire.store import limits, outbox, timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_rep
from leadwire.store.table import Store

logger = Logger(child=True)

Action = Literal["contacted", "no_answer", "note", "not_a_fit", "won", "lost", "give_back"]
ACTIONS: tuple[str, ...] = ("contacted", "no_answer", "note", "not_a_fit", "won", "lost", "give_back")
STATUS_OF: dict[str, str] = {"contacted": "contacted", "not_a_fit": "unqualified", "won": "won", "lost": "lost"}
DONE_WORDS: dict[str, str] = {
    "contacted": "First contact recorded. Reminders for this lead have stopped.",
    "no_answer": "Call attempt logged. We will remind you to try again.",
    "note": "Note added to the timeline.",
    "not_a_fit": "Marked as not a fit.",
    "won": "Marked as won. Well done!",
    "lost": "Marked as lost.",
    "give_back": "The lead went to someone else. Thank you.",
    "already": "That was recorded already.",
}


class NowElsewhere(Forbidden):
    """The link's rep no longer owns the lead: the page says so and nothing can be done through it."""

    code = "not_your_lead"

    def __init__(self) -> None:
        super().__init__("this lead is now with someone else")


class RepAction(Model):
    """One action, as the lead page's forms (urlencoded) or the management API (JSON) send it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    action: Action
    note: str | None = Field(default=None, max_length=4000)
    reason: str | None = Field(default=None, max_length=500)
    once: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                             description="the id of the form sent, so a second click on it changes nothing")


@dataclass(frozen=True)
class Actor:
    """Who acts, as the timeline records it, and whose lead it must still be (a rep's; an owner may act on any)."""

    name: str
    via: str
    rep_id: str | None = None


def rep_actor(link: RepLink) -> Actor:
    return Actor(name=link.actor, via="lead page", rep_id=link.rep_id)


OWNER = Actor(name="api", via="management API")


def open_link(store: Store, links: RepLinks, token: str, now: datetime) -> tuple[RepLink, LeadRecord]:
    """The link and its lead; LinkInvalid or LinkExpired for a bad link, LeadNotFound once the lead was erased."""
    link = links.read(token, now)
    lead = LeadRepository(store).get(link.lead_id)
    if lead is None:
        raise LeadNotFound(link.lead_id)
    return link, lead


def belongs(lead: LeadRecord, actor: Actor) -> bool:
    return actor.rep_id is None or lead.owner == actor.rep_id


def act(store: Store, notifier: Notifier, links: RepLinks, lead: LeadRecord, actor: Actor, request: RepAction,
        now: datetime) -> str:
    """Do `request` on the lead as `actor`; the key of the confirmation to show (`DONE_WORDS`). NowElsewhere when
    the lead is no longer the actor's, Conflict when the lead's status does not allow the action."""
    if not belongs(lead, actor):
        raise NowElsewhere()
    assigner = Assigner(store, notifier, links.base_url, links=links)
    leads = LeadRepository(store, planner(assigner.config))
    at = iso(now)
    detail = {"via": actor.via, **({"reason": request.reason} if request.reason else {})}
    if request.action in STATUS_OF:
        return _move(leads, lead, STATUS_OF[request.action], now, actor, detail) or request.action
    if request.action == "give_back":
        if lead.status not in ("new", "assigned", "contacted", "qualified"):
            raise Conflict(f"a {lead.status} lead cannot be given back")
        if assigner.reassign(lead, now, actor=actor.name, **detail) is None:
            raise Conflict("nobody else can take this lead right now; it stays with you")
        return "give_back"
    if request.action == "no_answer":
        entry = timeline.entry(lead.id, at, "contact_attempt", actor.name, outcome="no answer", **detail)
        done = leads.log_contact_attempt(lead, at, entry, owner=actor.rep_id, action_id=request.once)
    else:
        if not request.note:
            raise ValidationFailed([{"field": "note", "reason": "write the note first"}])
        entry = timeline.entry(lead.id, at, "note", actor.name, text=request.note, **detail)
        done = leads.add_note(lead, at, entry, owner=actor.rep_id, action_id=request.once)
    return request.action if done else _why_not(store, lead.id, actor)


def _move(leads: LeadRepository, lead: LeadRecord, status: str, now: datetime, actor: Actor,
          detail: dict[str, str]) -> str | None:
    """None when moved; "already" when the lead has that status (a double click, or two tabs)."""
    if lead.status == status:
        return "already"
    try:
        move_status(leads, lead, status, now, actor=actor.name, **detail)
    except Conflict:
        again = leads.get(lead.id)
        if again is not None and again.status == status and belongs(again, actor):
            return "already"
        raise
    return None


def _why_not(store: Store, lead_id: str, actor: Actor) -> str:
    """A conditional write did not happen: the same form came twice, or the lead moved away or was erased."""
    lead = LeadRepository(store).get(lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    if not belongs(lead, actor):
        raise NowElsewhere()
    return "already"


NEW_LINKS_PER_DAY = 3  # per lead and rep: a link forwarded or left open in a tab cannot flood the rep's inbox


def send_new_link(store: Store, notifier: Notifier, links: RepLinks, token: str, now: datetime) -> bool:
    """Email a new link to the rep a link that no longer works was made for, at the address leadwire has for them
    (never to whoever asks), while the lead is still theirs; False when nothing was sent: not a link of ours, the
    lead gone or someone else's, or NEW_LINKS_PER_DAY sent today already."""
    made_for = links.made_for(token)
    lead = LeadRepository(store).get(made_for[0]) if made_for else None
    rep = load_rep(store, made_for[1]) if made_for else None
    if lead is None or rep is None or lead.owner != rep.id:
        return False
    window, forget_at = now.strftime("%Y-%m-%d"), int((now + timedelta(days=2)).timestamp())
    if limits.count(store, "new_link", f"{lead.id}.{rep.id}", window, forget_at) > NEW_LINKS_PER_DAY:
        return False
    config = load_config(store)[1]
    url = links.lasting(config.followup.rep_link_days).url(lead.id, rep.id, now)
    Delivery(store, notifier).later_now(outbox.intents(lead.id, now, emails.new_link(lead, rep, config, now, url)))
    logger.info("new lead-page link sent", extra={"lead_id": lead.id, "rep_id": rep.id})
    return True
