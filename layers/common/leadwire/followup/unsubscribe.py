"""Signed unsubscribe links: the token names the lead and carries an HMAC, so it cannot be forged or altered."""

from __future__ import annotations

import html
from datetime import datetime

from leadwire.clock import iso
from leadwire.followup.person_links import PAGE_HEADERS, SignedLink, page, token_in
from leadwire.store import timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store

__all__ = ["DONE_PAGE", "PAGE_HEADERS", "confirmation_page", "lead_of", "link", "token", "token_in", "unsubscribe"]

_LINK = SignedLink("unsubscribe", "this unsubscribe link is not valid")
token, link, lead_of = _LINK.token, _LINK.link, _LINK.lead_of
DONE_PAGE = page("You are unsubscribed", "<p>You will get no more emails like this.</p>")


def confirmation_page(given: str) -> str:
    """Asks before it acts: one button that POSTs the token back."""
    form = ('<p>Stop the emails you got after your enquiry?</p><form method="post" action="unsubscribe">'
            f'<input type="hidden" name="t" value="{html.escape(given)}">'
            "<button type=\"submit\">Unsubscribe</button></form>")
    return page("Unsubscribe", form)


def unsubscribe(store: Store, secret: str, given: str, now: datetime) -> bool:
    """Stop nurture email for the lead; True the first time, False when it was already unsubscribed or erased."""
    lead_id = lead_of(secret, given)
    at = iso(now)
    return LeadRepository(store).unsubscribe(
        lead_id, at, timeline.entry(lead_id, at, "unsubscribed", "lead", via="email link"),
        timeline.event_item(lead_id, "unsubscribe", "unsubscribe", at, {"via": "email link"}))
