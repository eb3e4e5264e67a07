"""The owner joins two leads that are one person (`POST /leads/{id}/merge {"from": …}`): the other lead's
submissions, events, timeline and keys move over, every value is kept, and the other lead is gone. Repeating the
call changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadwire.clock import iso
from leadwire.errors import Conflict, NotFound, ValidationFailed
from leadwire.followup.plan import planner
from leadwire.intake.dedupe import kept_values
from leadwire.lead import CLOSED_STATUSES, LeadRecord
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Event, Notifier
from leadwire.owner.leads import load
from leadwire.store import outbox, timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import Store


def join(store: Store, notifier: Notifier, lead_id: str, from_id: str, now: datetime) -> dict[str, Any]:
    """Merge lead `from_id` into lead `lead_id`; the lead as it is then."""
    if from_id == lead_id:
        raise ValidationFailed([{"field": "from", "reason": "a lead cannot be merged into itself"}])
    leads = LeadRepository(store, planner(load_config(store)[1]))
    into = load(store, lead_id)
    other = leads.get(from_id)
    if other is None:
        if from_id in into.merged_from:
            return into.shown()  # merged already: the same answer again
        raise NotFound(f"no lead with id {from_id}", [{"field": "from", "reason": "no such lead"}])
    if into.status in CLOSED_STATUSES and from_id not in into.merged_from:
        raise Conflict(f"lead {lead_id} is {into.status}, and a closed lead takes no merge: merge it the other way "
                       f"(into {from_id}) or reopen it first",
                       [{"field": "id", "reason": f"lead is {into.status}"}])
    at = iso(now)
    entry = timeline.entry(into.id, at, "merged", "api", merged_from=other.id, touches=other.touches)
    news = outbox.intents(into.id, now, Event("lead.merged", {"lead_id": into.id, "merged_from": other.id}))
    try:
        merged_now = leads.join(into, other, combined(into, other), at, entry, also=outbox.put_actions(store, news))
    except ChangedMeanwhile as error:
        raise Conflict("the lead changed meanwhile; read it again and retry") from error
    if merged_now:
        Delivery(store, notifier).now(news)
    return load(store, lead_id).shown()


def combined(into: LeadRecord, other: LeadRecord) -> dict[str, Any]:
    """What `into` becomes: its own values, the other's where it had none, every other value in `other_values`."""
    fill, others = kept_values(into, other.model_dump(), other.other_values)
    duplicates = [duplicate for duplicate in [*into.possible_duplicates, *other.possible_duplicates]
                  if duplicate.id not in (into.id, other.id)]
    changes: dict[str, Any] = {**fill, "other_values": others,
                               "possible_duplicates": [duplicate.model_dump() for duplicate in
                                                       {duplicate.id: duplicate for duplicate in duplicates}.values()],
                               "fields": {**other.fields, **into.fields}}
    if other.message and not into.message:
        changes["message"] = other.message
    if other.needs_review is False and into.needs_review and (fill.get("email") or fill.get("phone")):
        changes["needs_review"] = False
    return changes
