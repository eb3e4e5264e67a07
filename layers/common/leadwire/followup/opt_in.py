"""Double opt-in: a person who ticked marketing consent gets one email asking them to confirm it, with a signed link
to a page whose button confirms (a GET changes nothing: mail scanners open links). Nurture email starts only then,
unless the owner turned it off (`followup.double_opt_in`)."""

from __future__ import annotations

import html
from datetime import datetime

from leadwire.clock import iso
from leadwire.followup.person_links import PAGE_HEADERS, SignedLink, page, token_in
from leadwire.followup.plan import planner
from leadwire.store import timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store

__all__ = ["DONE_PAGE", "PAGE_HEADERS", "confirm", "confirmation_page", "lead_of", "link", "token",
           "token_in"]

_LINK = SignedLink("opt-in", "this confirmation link is not valid")
token, link, lead_of = _LINK.token, _LINK.link, _LINK.lead_of


DONE_PAGE = page("Thank you, you are subscribed", "<p>You will get our emails. Every one has a link to stop them.</p>")


def confirmation_page(given: str, business: str) -> str:
    """Asks before it acts: one button that POSTs the token back."""
    form = (f"<p>Do you want emails from {html.escape(business)}? You asked for them when you got in touch.</p>"
            '<form method="post" action="opt-in">'
            f'<input type="hidden" name="t" value="{html.escape(given)}">'
            '<button type="submit">Yes, send me emails</button></form>'
            "<p>If you did not ask, close this page: nothing will be sent.</p>")
    return page("Confirm your subscription", form)


def confirm(store: Store, secret: str, given: str, now: datetime) -> bool:
    """Record the person's confirmation; True the first time, False when it was confirmed already or erased."""
    lead_id = lead_of(secret, given)
    leads = LeadRepository(store, planner(load_config(store)[1]))
    lead = leads.get(lead_id)
    if lead is None:
        return False
    at = iso(now)
    return leads.confirm_opt_in(lead, at, timeline.entry(lead_id, at, "opt_in_confirmed", "lead", via="email link"))
