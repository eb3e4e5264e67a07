"""Signed unsubscribe links: the token names the lead and carries an HMAC, so it cannot be forged or altered."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from urllib.parse import quote

from leadwire.clock import iso
from leadwire.errors import Forbidden
from leadwire.store import timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store


def _signature(secret: str, lead_id: str) -> str:
    digest = hmac.new(secret.encode(), f"unsubscribe:{lead_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(secret: str, lead_id: str) -> str:
    return f"{lead_id}.{_signature(secret, lead_id)}"


def link(base_url: str, secret: str, lead_id: str) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe?t={quote(token(secret, lead_id))}"


def lead_of(secret: str, given: str) -> str:
    """The lead a token names; Forbidden for a forged, altered or truncated token."""
    lead_id, _, signature = given.partition(".")
    if not secret or not lead_id or not hmac.compare_digest(signature.encode(), _signature(secret, lead_id).encode()):
        raise Forbidden("this unsubscribe link is not valid")
    return lead_id


def unsubscribe(store: Store, secret: str, given: str, now: datetime) -> bool:
    """Stop nurture email for the lead; True the first time, False when it was already unsubscribed or erased."""
    lead_id = lead_of(secret, given)
    at = iso(now)
    return LeadRepository(store).unsubscribe(
        lead_id, at, timeline.entry(lead_id, at, "unsubscribed", "lead", via="email link"),
        timeline.event_item(lead_id, "unsubscribe", "unsubscribe", at, {"via": "email link"}))
