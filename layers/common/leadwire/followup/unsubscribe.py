"""Signed unsubscribe links: the token names the lead and carries an HMAC, so it cannot be forged or altered."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qs, quote

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


PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'"}
_PAGE = ('<!doctype html><html lang="en"><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
         "<main><h1>{title}</h1>{body}</main></html>")
DONE_PAGE = _PAGE.format(title="You are unsubscribed",
                         body="<p>You will get no more emails like this.</p>")


def confirmation_page(given: str) -> str:
    """Asks before it acts: one button that POSTs the token back."""
    form = ('<p>Stop the emails you got after your enquiry?</p><form method="post" action="unsubscribe">'
            f'<input type="hidden" name="t" value="{html.escape(given)}">'
            "<button type=\"submit\">Unsubscribe</button></form>")
    return _PAGE.format(title="Unsubscribe", body=form)


def token_in(body: bytes, query: Mapping[str, str]) -> str:
    """The token of a POST: the page's form field, or the link's own query (RFC 8058 one-click)."""
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    return (fields.get("t") or [query.get("t", "")])[0]


def unsubscribe(store: Store, secret: str, given: str, now: datetime) -> bool:
    """Stop nurture email for the lead; True the first time, False when it was already unsubscribed or erased."""
    lead_id = lead_of(secret, given)
    at = iso(now)
    return LeadRepository(store).unsubscribe(
        lead_id, at, timeline.entry(lead_id, at, "unsubscribed", "lead", via="email link"),
        timeline.event_item(lead_id, "unsubscribe", "unsubscribe", at, {"via": "email link"}))
