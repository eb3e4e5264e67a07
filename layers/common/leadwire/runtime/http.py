"""HTTP plumbing for the API: raw bodies, the instant of receipt, API keys, and validation errors as details."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from leadwire.errors import Malformed, PayloadTooLarge, Unauthorized

MAX_BODY_BYTES = 256 * 1024


def raw_body(event: Mapping[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    """The exact bytes the client sent (API Gateway base64-encodes form bodies), refused above `limit` (256 KiB
    unless a route that takes a file says more)."""
    body = event.get("body") or ""
    too_large = PayloadTooLarge(f"body is over {limit // 1024} KiB")
    if len(body) > limit * 4 // 3 + 4:
        raise too_large
    try:
        data = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
    except ValueError as error:
        raise Malformed("body is not valid base64") from error
    if len(data) > limit:
        raise too_large
    return data


def received_at(event: Mapping[str, Any]) -> datetime:
    """The instant API Gateway received the request."""
    epoch_ms = event.get("requestContext", {}).get("timeEpoch")
    return datetime.fromtimestamp(epoch_ms / 1000, UTC) if epoch_ms else datetime.now(UTC)


def check_api_key(authorization: str | None, key_hashes: Sequence[bytes]) -> None:
    """`Authorization: Bearer <key>`, compared in constant time against the hashes of every valid key."""
    scheme, _, key = (authorization or "").partition(" ")
    given = hashlib.sha256(key.strip().encode()).digest()
    matched = False
    for expected in key_hashes:
        matched |= hmac.compare_digest(given, expected)
    if scheme.lower() != "bearer" or not key.strip() or not matched:
        raise Unauthorized("missing or invalid API key")


def validation_details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Pydantic's error list as `{field, reason}`, the field as a dotted path without the `body` prefix."""
    details = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        details.append({"field": ".".join(location) or "body", "reason": str(error.get("msg", "invalid"))})
    return details
