"""The management side of a lead: show, list, move its status, record engagement, erase the person."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadwire.clock import iso, parse_iso
from leadwire.config import Config
from leadwire.errors import Conflict, LeadNotFound, ValidationFailed
from leadwire.followup import plan
from leadwire.intake.dedupe import person_keys, ref_key
from leadwire.lead import OPEN_STATUSES, Lead, Stage, Status
from leadwire.owner import reports
from leadwire.store import timeline
from leadwire.store.reps import counters_action, load_rep
from leadwire.store.table import LIST_PK, ConditionFailed, Store, Update, decode_cursor, encode_cursor, lead_key

MAX_PAGE = 100
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"contacted", "qualified", "won", "lost", "unqualified"}),
    "assigned": frozenset({"contacted", "qualified", "won", "lost", "unqualified"}),
    "contacted": frozenset({"qualified", "won", "lost", "unqualified"}),
    "qualified": frozenset({"contacted", "won", "lost", "unqualified"}),
    "stale": frozenset({"contacted", "qualified", "won", "lost", "unqualified"}),
    "unqualified": frozenset({"contacted"}),
    "won": frozenset(),
    "lost": frozenset(),
}
CONTACTED_OR_LATER = frozenset({"contacted", "qualified", "won", "lost", "unqualified"})
BUILTIN_EVENT_TYPES = frozenset({"email_open", "link_click", "page_view", "pricing_view", "demo_request",
                                 "meeting_booked", "unsubscribe"})


class LeadPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["contacted", "qualified", "won", "lost", "unqualified"] | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=64)


class EngagementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    at: datetime | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class LeadFilters(BaseModel):
    stage: Stage | None = None
    status: Status | None = None
    owner: str | None = None
    source: str | None = None
    created_from: str | None = None
    created_to: str | None = None


def load(store: Store, lead_id: str) -> dict[str, Any]:
    item = store.get(lead_key(lead_id))
    if item is None:
        raise LeadNotFound(lead_id)
    return item


def show(item: dict[str, Any]) -> dict[str, Any]:
    return Lead.model_validate(item).model_dump(mode="json")


def list_page(store: Store, filters: LeadFilters, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first from the `by_owner` or `by_created` index; other filters applied by DynamoDB, never a Scan."""
    limit = max(1, min(limit, MAX_PAGE))
    if filters.owner:
        index, hash_name, hash_value = "by_owner", "owner", filters.owner
    else:
        index, hash_name, hash_value = "by_created", "list_pk", LIST_PK
    wanted = {name: value for name, value in (("stage", filters.stage), ("status", filters.status),
                                              ("source", filters.source)) if value}
    between = (filters.created_from or "0", filters.created_to or "9") if (filters.created_from or filters.created_to) \
        else None
    keys: list[dict[str, Any]] = []
    start = decode_cursor(cursor)
    while True:
        found, start = store.query_index(index, hash_name, hash_value, range_name="created_at", between=between,
                                         filters=wanted, limit=limit - len(keys), cursor=start)
        keys += found
        if start is None or len(keys) >= limit:
            break
    items = store.get_many({"pk": key["pk"], "sk": key["sk"]} for key in keys)
    return {"items": [show(item) for item in items], "cursor": encode_cursor(start)}


def change(store: Store, lead_id: str, patch: LeadPatch, now: datetime, config: Config,
           reassign: Any) -> dict[str, Any]:
    """Apply a PATCH: a status move along the allowed transitions, and/or a new owner set by hand."""
    lead = load(store, lead_id)
    if patch.owner and patch.owner != lead.get("owner"):
        if load_rep(store, patch.owner) is None:
            raise ValidationFailed([{"field": "owner", "reason": f"no rep with id {patch.owner}"}])
        if reassign(lead, now, patch.owner) is None:
            raise Conflict("the lead changed meanwhile; read it again and retry")
        lead = load(store, lead_id)
    if patch.status and patch.status != lead["status"]:
        _move_status(store, lead, patch.status, now, config)
    return show(load(store, lead_id))


def _move_status(store: Store, lead: dict[str, Any], status: str, now: datetime, config: Config) -> None:
    allowed = TRANSITIONS.get(lead["status"], frozenset())
    if status not in allowed:
        raise Conflict(f"a {lead['status']} lead cannot become {status}",
                       [{"field": "status", "reason": "transition not allowed", "allowed": sorted(allowed)}])
    at = iso(now)
    changes: dict[str, Any] = {"status": status, "updated_at": at, "last_activity_at": at}
    update = Update().set(**changes)
    if status in CONTACTED_OR_LATER:
        update.set_if_absent(first_contact_at=at)
        changes.setdefault("first_contact_at", lead.get("first_contact_at") or at)
    update.set(**plan.due_fields({**lead, **changes}, config))
    update.when("#status = :was", was=lead["status"])
    actions = [store.update_action(lead_key(lead["id"]), update),
               store.put_action(timeline.entry(lead["id"], at, "status_changed", "api", previous=lead["status"],
                                               status=status))]
    counts = {status: 1} if status in ("won", "lost") else {}
    first_contact = None
    if status in CONTACTED_OR_LATER and not lead.get("first_contact_at"):
        first_contact = (now - parse_iso(lead["created_at"])).total_seconds()
        counts["contacted"] = 1
    if counts or first_contact is not None:
        actions.append(reports.count_action(store, lead, first_contact_s=first_contact, **counts))
    was_open, is_open = lead["status"] in OPEN_STATUSES, status in OPEN_STATUSES
    if lead.get("owner") and was_open != is_open:
        actions.append(counters_action(store, lead["owner"], open_leads=-1 if was_open else 1))
    try:
        store.transact(actions)
    except ConditionFailed as error:
        raise Conflict("the lead changed meanwhile; read it again and retry") from error


def record_event(store: Store, lead_id: str, event: EngagementIn, now: datetime, config: Config) -> tuple[str, bool]:
    """Store an engagement event once per id and mark the score due; (event id, True if new)."""
    known = BUILTIN_EVENT_TYPES | set(config.scoring.engagement)
    if event.type not in known:
        raise ValidationFailed([{"field": "type", "reason": f"unknown event type; known: {', '.join(sorted(known))}"}])
    event_id = event.id or secrets.token_hex(8)
    at = iso(event.at) if event.at else iso(now)
    item = {"pk": f"LEAD#{lead_id}", "sk": f"EVT#{event_id}", "event_id": event_id, "type": event.type, "at": at,
            "detail": event.detail}
    touch = (Update().set(score_due=1, updated_at=iso(now), last_activity_at=iso(now)).add(inputs_version=1)
             .when("attribute_exists(pk)"))
    try:
        store.transact([store.put_action(item, "attribute_not_exists(pk)"),
                        store.update_action(lead_key(lead_id), touch)])
    except ConditionFailed as failure:
        if failure.reasons[1:2] == ["ConditionalCheckFailed"]:
            raise LeadNotFound(lead_id) from failure
        return event_id, False
    return event_id, True


def erase(store: Store, lead_id: str) -> dict[str, Any]:
    """Delete the person everywhere in the table: the lead, its events and timeline, and its dedupe keys."""
    lead = load(store, lead_id)
    keys = [{"pk": item["pk"], "sk": item["sk"]} for item in store.query_all(f"LEAD#{lead_id}")]
    for key in [*person_keys(lead), *(ref_key(lead["source"], ref) for ref in lead.get("refs", []))]:
        owner = store.get(key)
        if owner and owner.get("lead_id") == lead_id:
            keys.append(key)
    deletions = [key for key in keys if key["sk"] != "LEAD"] + [lead_key(lead_id)]
    for start in range(0, len(deletions), 100):
        store.transact([store.delete_action(key) for key in deletions[start:start + 100]])
    if lead.get("owner") and lead["status"] in OPEN_STATUSES:
        store.update({"pk": "REPS", "sk": f"REP#{lead['owner']}"}, Update().add(open_leads=-1))
    return {"lead_id": lead_id, "items": len(keys)}
