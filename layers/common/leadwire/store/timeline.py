"""Everything that happened to a lead, as items beside it: `TL#<time>#<n>` entries and `EVT#<id>` engagement."""

from __future__ import annotations

import secrets
from typing import Any

from leadwire.store.table import Store


def entry(lead_id: str, at: str, kind: str, actor: str, **detail: Any) -> dict[str, Any]:
    """A timeline item; `actor` is who did it (intake, score, assign, followup, api, or a rep id)."""
    return {"pk": f"LEAD#{lead_id}", "sk": f"TL#{at}#{secrets.token_hex(3)}", "kind": kind, "at": at,
            "actor": actor, "detail": detail}


def read(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """Timeline entries and engagement events, oldest first."""
    items = [item for item in store.query_all(f"LEAD#{lead_id}") if item["sk"] != "LEAD"]
    shown = [_shown(item) for item in items]
    return sorted(shown, key=lambda item: item["at"])


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    if item["sk"].startswith("EVT#"):
        return {"at": item["at"], "kind": f"event:{item['type']}", "actor": "api",
                "detail": {"id": item["event_id"], **item.get("detail", {})}}
    return {"at": item["at"], "kind": item["kind"], "actor": item["actor"], "detail": item.get("detail", {})}
