"""The management side of a lead: show, list, move its status (by hand or to a new owner), record engagement."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from leadwire import money
from leadwire.clock import iso, parse_iso
from leadwire.errors import Conflict, LeadNotFound, ValidationFailed
from leadwire.followup.plan import planner
from leadwire.followup.rep_links import RepLinks
from leadwire.intake.normalize import normalize_email, normalize_phone
from leadwire.lead import CONTACTED_OR_LATER, TRANSITIONS, LeadRecord, Stage, Status
from leadwire.model import Model
from leadwire.outbound import conversions
from leadwire.outbound.notify import Notifier
from leadwire.routing.assignment import Assigner
from leadwire.store import currency, timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.outcomes import AlreadyExists, ChangedMeanwhile, Gone
from leadwire.store.reps import load_rep
from leadwire.store.table import Store

MAX_PAGE = 100
SettableStatus = Literal["contacted", "qualified", "won", "lost", "unqualified"]
SETTABLE: frozenset[str] = CONTACTED_OR_LATER
PURCHASE = "purchase"
BUILTIN_EVENT_TYPES = frozenset({"email_open", "link_click", "page_view", "pricing_view", "demo_request",
                                 "meeting_booked", "unsubscribe", "returned", PURCHASE})


class LeadPatch(Model):
    model_config = ConfigDict(extra="forbid")

    status: SettableStatus | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=64)
    value: money.Amount | None = None  # the deal, with `"status": "won"`


class EngagementIn(Model):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    at: datetime | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    value: money.Amount | None = None  # what a `purchase` was worth


class LeadFilters(Model):
    stage: Stage | None = None
    status: Status | None = None
    owner: str | None = None
    source: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    stuck: bool | None = None
    needs_review: bool | None = None

    def keeps(self, lead: LeadRecord) -> bool:
        """The filters the indexes cannot answer: whether the lead is parked as stuck, and waiting for review."""
        return (self.stuck is None or bool(lead.stuck) == self.stuck) and \
            (self.needs_review is None or lead.needs_review == self.needs_review)


def load(store: Store, lead_id: str) -> LeadRecord:
    lead = LeadRepository(store).get(lead_id)
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead


def show(store: Store, lead_id: str) -> dict[str, Any]:
    return load(store, lead_id).shown()


def list_page(store: Store, filters: LeadFilters, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first; filters by owner, stage, status, source and creation time, never a Scan. `stuck`: only the leads
    parked as stuck, from their own list (the other filters then apply to each page)."""
    if filters.stuck is True:
        return _stuck_page(store, filters, limit, cursor)
    created = (filters.created_from or "0", filters.created_to or "9") \
        if (filters.created_from or filters.created_to) else None
    equal = {name: value for name, value in (("stage", filters.stage), ("status", filters.status),
                                             ("source", filters.source)) if value}
    narrowed = filters.stuck is not None or filters.needs_review is not None
    page = LeadRepository(store).page(max(1, min(limit, MAX_PAGE)), cursor, owner=filters.owner, created=created,
                                      keep=filters.keeps if narrowed else None, **equal)
    return {"items": [lead.shown() for lead in page.leads], "cursor": page.cursor}


def find(store: Store, email: str | None, phone: str | None, default_region: str | None) -> dict[str, Any]:
    """The lead of this exact email or phone (as normalised at intake), as a one-item list, or an empty one."""
    if bool(email) == bool(phone):
        raise ValidationFailed([{"field": "email", "reason": "give either email or phone"}])
    if email:
        found = LeadRepository(store).find_person(email=normalize_email(email))
    else:
        e164, typed = normalize_phone(phone, default_region)
        found = LeadRepository(store).find_person(phone=e164) if e164 else None
        if typed and not e164:
            raise ValidationFailed([{"field": "phone", "reason": "not a phone number leadwire can read"}])
    return {"items": [found.shown()] if found else [], "cursor": None}


def _stuck_page(store: Store, filters: LeadFilters, limit: int, cursor: str | None) -> dict[str, Any]:
    page = LeadRepository(store).stuck_page(max(1, min(limit, MAX_PAGE)), cursor)
    wanted = {name: value for name, value in (("stage", filters.stage), ("status", filters.status),
                                              ("owner", filters.owner), ("source", filters.source)) if value}
    kept = [lead for lead in page.leads if filters.keeps(lead)
            and all(getattr(lead, name) == value for name, value in wanted.items())]
    return {"items": [lead.shown() for lead in kept], "cursor": page.cursor}


def change(store: Store, notifier: Notifier, lead_id: str, patch: LeadPatch, now: datetime,
           base_url: str, links: RepLinks | None = None) -> dict[str, Any]:
    """Apply a PATCH: a new owner set by hand (both reps are told), and/or a status move along the allowed ones."""
    assigner = Assigner(store, notifier, base_url, links=links)
    lead = load(store, lead_id)
    value = _value_of(store, patch.value) if patch.value else None
    if value is not None and patch.status != "won":
        raise ValidationFailed([{"field": "value", "reason": "a deal's value comes with \"status\": \"won\"; "
                                                             "later purchases: POST /leads/{id}/events"}])
    if patch.owner and patch.owner != lead.owner:
        if load_rep(store, patch.owner) is None:
            raise ValidationFailed([{"field": "owner", "reason": f"no rep with id {patch.owner}"}])
        if assigner.reassign(lead, now, to=patch.owner, actor="api") is None:
            raise Conflict("the lead changed meanwhile; read it again and retry")
        lead = load(store, lead_id)
    if patch.status and patch.status != lead.status:
        move_status(LeadRepository(store, planner(assigner.config)), lead, patch.status, now, value=value)
    return show(store, lead_id)


def _value_of(store: Store, amount: money.Amount, field: str = "value") -> tuple[int, str]:
    """(minor units, currency) of an amount in the business's currency; 422 for any other currency."""
    minor = amount.minor(field)
    return minor, currency.settle(store, amount.currency, f"{field}.currency")


def move_status(leads: LeadRepository, lead: LeadRecord, status: str, now: datetime, actor: str = "api",
                value: tuple[int, str] | None = None, **detail: Any) -> None:
    """Move the lead along an allowed transition; Conflict (with the allowed ones) otherwise, or when it moved
    meanwhile. `actor` and `detail` go to the timeline (a rep's lead page says `rep:<id>`, `via`, a reason). A Meta
    lead's move the config maps goes back to Meta with it (an outbox intent the sweep sends). A deal's `value`
    (minor units, currency) is added to the lead and its cohort in the same write as the win."""
    if not lead.can_become(status):
        allowed = sorted(TRANSITIONS.get(lead.status, frozenset()) & SETTABLE)
        raise Conflict(f"a {lead.status} lead cannot become {status}",
                       [{"field": "status", "reason": "transition not allowed", "allowed": allowed}])
    at = iso(now)
    changes: dict[str, Any] = {"status": status, "updated_at": at, "last_activity_at": at}
    counts = {status: 1} if status in ("won", "lost") else {}
    first_contact = None
    if status in CONTACTED_OR_LATER and not lead.first_contact_at:
        changes["first_contact_at"] = at
        first_contact = (now - parse_iso(lead.created_at)).total_seconds()
        counts["contacted"] = 1
    added: dict[str, int] = {}
    if value is not None:
        changes["currency"] = value[1]
        added["value_minor"] = counts["value_won_minor"] = value[0]
        detail = {**detail, "value_minor": value[0], "currency": value[1]}
    entry = timeline.entry(lead.id, at, "status_changed", actor, previous=lead.status, status=status, **detail)
    told = conversions.intents(lead, [status], load_config(leads.store)[1], now) if conversions.wanted(lead) else []
    try:
        leads.change_status(lead, changes, entry, counts, first_contact, told, added)
    except ChangedMeanwhile as error:
        raise Conflict("the lead changed meanwhile; read it again and retry") from error


def record_event(store: Store, lead_id: str, event: EngagementIn, now: datetime) -> tuple[str, bool]:
    """Store an engagement event once per id and mark the score due; (event id, True if new). A purchase's value
    is added to the lead and its cohort in the same write as the event, so a repeated id counts nothing twice."""
    known = BUILTIN_EVENT_TYPES | set(load_config(store)[1].scoring.engagement)
    if event.type not in known:
        raise ValidationFailed([{"field": "type", "reason": f"unknown event type; known: {', '.join(sorted(known))}"}])
    if (event.type == PURCHASE) != (event.value is not None):
        raise ValidationFailed([{"field": "value", "reason": "a purchase has a value, and only a purchase"}])
    value = _value_of(store, event.value) if event.value else None
    event_id = event.id or secrets.token_hex(8)
    at = iso(event.at) if event.at else iso(now)
    detail = {**event.detail, **({"value_minor": value[0], "currency": value[1]} if value else {})}
    item = timeline.event_item(lead_id, event_id, event.type, at, detail)
    repository = LeadRepository(store)
    try:
        if value is None:
            repository.record_event(lead_id, item, iso(now))
        else:
            repository.record_purchase(load(store, lead_id), item, iso(now), *value)
    except Gone as missing:
        raise LeadNotFound(lead_id) from missing
    except AlreadyExists:
        return event_id, False
    return event_id, True


def timeline_of(store: Store, lead_id: str) -> list[dict[str, Any]]:
    load(store, lead_id)
    return timeline.read(store, lead_id)


def submissions_of(store: Store, lead_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Every submission merged into the lead, kept whole, oldest first; cursor paging."""
    load(store, lead_id)
    items, next_cursor = LeadRepository(store).submissions(lead_id, max(1, min(limit, MAX_PAGE)), cursor)
    return {"items": items, "cursor": next_cursor}


def messages_of(store: Store, lead: LeadRecord) -> list[str]:
    """Everything the person wrote, oldest first: the message of each submission (the lead's own for a lead older
    than its submissions)."""
    said = [str(item["message"]) for item in LeadRepository(store).submissions_after(lead.id, None)
            if item.get("message")]
    return said or ([lead.message] if lead.message else [])


class MergeIn(Model):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
