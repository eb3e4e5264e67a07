"""Signed webhooks in the Standard Webhooks format, signed with its reference library.

The body is `{"type", "timestamp", "data"}`; the headers are `webhook-id` (the same on every attempt of one event
to one subscription, so a receiver can drop a repeat), `webhook-timestamp` (this attempt, Unix seconds) and
`webhook-signature`: one `v1,<base64 HMAC-SHA256>` per secret in force, space-separated, so a receiver that still
holds the old secret during a rotation verifies as well as one that has the new one.
"""

from __future__ import annotations

import base64
import json
import secrets as random_bytes
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks writes them."""
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(32)).decode()


def body(event_type: str, event_at: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "timestamp": event_at, "data": data}, separators=(",", ":"),
                      ensure_ascii=False, default=str).encode()


def headers(webhook_id: str, payload: bytes, secrets: list[str], sent_at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt, signed with every secret given."""
    text = payload.decode()
    signatures = " ".join(Webhook(secret).sign(webhook_id, sent_at, text) for secret in secrets)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signatures}
