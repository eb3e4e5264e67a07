"""Double opt-in: a person who ticked marketing consent gets one email asking them to confirm it, with a signed link
to a page whose button confirms (a GET changes nothing: mail scanners open links). Nurture email starts only then,
unless the owner turned it off (`followup.double_opt_in`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qs, quote

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.errors import Forbidden
from leadwire.followup.plan import planner
from leadwire.store import timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store


def _key(secret: str) -> bytes:
    """Derived from the unsubscribe secret: an opt-in token can never pass for an unsubscribe one, or back."""
    return hmac.new(secret.encode(), b"leadwire opt-in key v1", hashlib.sha256).digest()


def _signature(secret: str, lead_id: str) -> str:
    digest = hmac.new(_key(secret), f"opt-in:{lead_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(secret: str, lead_id: str) -> str:
    return f"{lead_id}.{_signature(secret, lead_id)}"


def link(base_url: str, secret: str, lead_id: str) -> str:
    return f"{base_url.rstrip('/')}/opt-in?t={quote(token(secret, lead_id))}"


def lead_of(secret: str, given: str) -> str:
    """The lead a token names; Forbidden for a forged, altered or truncated token."""
    lead_id, _, signature = given.partition(".")
    if not secret or not lead_id or not hmac.compare_digest(signature.encode(), _signature(secret, lead_id).encode()):
        raise Forbidden("this confirmation link is not valid")
    return lead_id


def asking(config: Config) -> bool:
    return config.followup.double_opt_in


PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'"}
_PAGE = ('<!doctype html><html lang="en"><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
         "<main><h1>{title}</h1>{body}</main></html>")
DONE_PAGE = _PAGE.format(title="Thank you, you are subscribed",
                         body="<p>You will get our emails. Every one has a link to stop them.</p>")


def confirmation_page(given: str, business: str) -> str:
    """Asks before it acts: one button that POSTs the token back."""
    form = (f"<p>Do you want emails from {html.escape(business)}? You asked for them when you got in touch.</p>"
            '<form method="post" action="opt-in">'
            f'<input type="hidden" name="t" value="{html.escape(given)}">'
            '<button type="submit">Yes, send me emails</button></form>'
            "<p>If you did not ask, close this page: nothing will be sent.</p>")
    return _PAGE.format(title="Confirm your subscription", body=form)


def token_in(body: bytes, query: Mapping[str, str]) -> str:
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    return (fields.get("t") or [query.get("t", "")])[0]


def confirm(store: Store, secret: str, given: str, now: datetime) -> bool:
    """Record the person's confirmation; True the first time, False when it was confirmed already or erased."""
    lead_id = lead_of(secret, given)
    leads = LeadRepository(store, planner(load_config(store)[1]))
    lead = leads.get(lead_id)
    if lead is None:
        return False
    at = iso(now)
    return leads.confirm_opt_in(lead, at, timeline.entry(lead_id, at, "opt_in_confirmed", "lead", via="email link"))
