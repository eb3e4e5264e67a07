"""Everything that happened to a lead, as items in its partition: timeline entries and engagement events."""

from __future__ import annotations

from typing import Any

from leadwire.lead import LeadInput
from leadwire.store import packing, schema
from leadwire.store.table import Store, as_stored


def entry(lead_id: str, at: str, kind: str, actor: str, **detail: Any) -> dict[str, Any]:
    """A timeline item; `actor` is who did it (intake, score, assign, followup, api, or a rep id)."""
    return named_entry(lead_id, at, None, kind, actor, **detail)


def named_entry(lead_id: str, at: str, name: str | None, kind: str, actor: str, **detail: Any) -> dict[str, Any]:
    """A timeline item keyed by `name`, which only its change has: written again by a retry, it is still one entry
    (without a name, a random one)."""
    return {**schema.timeline_entry(lead_id, at, name), "kind": kind, "at": at, "actor": actor, "detail": detail}


def event_item(lead_id: str, event_id: str, kind: str, at: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An engagement event (`email_open`, `demo_request`, ...): a scoring input, stored once per id."""
    return {**schema.event(lead_id, event_id), "event_id": event_id, "type": kind, "at": at, "detail": detail}


def events(store: Store, lead_id: str) -> list[dict[str, Any]]:
    return list(store.query_all(schema.lead_partition(lead_id), schema.EVENT_PREFIX))


def read(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """Timeline entries (a submission's inside it: `with_entry`) and engagement events, oldest first."""
    items = [item for item in store.query_all(schema.lead_partition(lead_id))
             if not schema.is_lead_item(item) and (not schema.is_submission(item) or "kind" in item)]
    return sorted((_shown(item) for item in items), key=lambda item: item["at"])


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    if schema.is_event(item):
        return {"at": item["at"], "kind": f"event:{item['type']}", "actor": "api",
                "detail": {"id": item["event_id"], **item.get("detail", {})}}
    return {"at": item["at"], "kind": item["kind"], "actor": item["actor"], "detail": item.get("detail", {})}


def submission_item(lead_id: str, at: str, lead: LeadInput, outcome: str) -> dict[str, Any]:
    """A submission kept whole: every field as the sender typed it and as normalised, where it came from, the
    consent given, anything set aside, and the instant. Its `id` is what the timeline entry points to. What the
    person sent is packed (`store.packing`): the typed and normalised copies repeat each other, and a submission of
    1.1 KB costs four write units in its transaction where one under 1 KB costs two."""
    key = schema.submission(lead_id, at)
    normalised = lead.model_dump(mode="json", exclude_none=True,
                                 exclude={"typed", "set_aside", "needs_review", "resend"})
    kept = {"source": lead.source, "source_ref": lead.source_ref, "typed": lead.typed, "normalised": normalised,
            "utm": lead.utm, "referrer": lead.referrer, "landing_page": lead.landing_page,
            "consent": lead.consent.model_dump(mode="json") if lead.consent else None,
            "set_aside": lead.set_aside, "submitted_at": lead.submitted_at, "message": lead.message}
    return {**key, "at": at, "outcome": outcome, "kept": packing.pack(as_stored(kept))}


def with_entry(submission: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The submission item carrying the timeline entry that tells of it: one item written where two were (each at
    least a write unit, two in the intake's transaction); `read` shows it as the entry. Submissions stored before
    have their entry apart."""
    return {**submission, **{name: entry[name] for name in _ENTRY}}


_ENTRY = ("kind", "actor", "detail")


def submission_shown(item: dict[str, Any]) -> dict[str, Any]:
    """A submission as the API shows it: its id, instant and outcome, and what was kept (packed, or, for
    submissions stored before packing, as plain attributes)."""
    shown = {name: value for name, value in item.items() if name not in ("pk", "sk", "kept", *_ENTRY)}
    return {"id": schema.submission_id(item), **shown, **(packing.unpack(item["kept"]) if "kept" in item else {})}


def submission_id(item: dict[str, Any]) -> str:
    return schema.submission_id(item)
