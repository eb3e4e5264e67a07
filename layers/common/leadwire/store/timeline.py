"""Everything that happened to a lead, as items in its partition: timeline entries and engagement events."""

from __future__ import annotations

from typing import Any

from leadwire.store import schema
from leadwire.store.table import Store


def entry(lead_id: str, at: str, kind: str, actor: str, **detail: Any) -> dict[str, Any]:
    """A timeline item; `actor` is who did it (intake, score, assign, followup, api, or a rep id)."""
    return {**schema.timeline_entry(lead_id, at), "kind": kind, "at": at, "actor": actor, "detail": detail}


def event_item(lead_id: str, event_id: str, kind: str, at: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An engagement event (`email_open`, `demo_request`, ...): a scoring input, stored once per id."""
    return {**schema.event(lead_id, event_id), "event_id": event_id, "type": kind, "at": at, "detail": detail}


def events(store: Store, lead_id: str) -> list[dict[str, Any]]:
    return list(store.query_all(schema.lead_partition(lead_id), schema.EVENT_PREFIX))


def read(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """Timeline entries and engagement events, oldest first."""
    items = [item for item in store.query_all(schema.lead_partition(lead_id)) if not schema.is_lead_item(item)]
    return sorted((_shown(item) for item in items), key=lambda item: item["at"])


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    if schema.is_event(item):
        return {"at": item["at"], "kind": f"event:{item['type']}", "actor": "api",
                "detail": {"id": item["event_id"], **item.get("detail", {})}}
    return {"at": item["at"], "kind": item["kind"], "actor": item["actor"], "detail": item.get("detail", {})}
