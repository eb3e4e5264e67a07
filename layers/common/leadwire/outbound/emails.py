"""The words of every email leadwire sends: to the owner of a lead, and nurture email to the person."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadwire.config import Config, NurtureTemplate
from leadwire.lead import LeadRecord
from leadwire.outbound.notify import Email
from leadwire.pages import nurture as nurture_templates
from leadwire.pages.lead_view import LeadView, person_name, view
from leadwire.pages.render import render
from leadwire.routing.reps import Rep

__all__ = ["LEAD_HEADER", "new_link", "new_owner", "nurture", "opt_in_request", "person_name", "reminder",
           "returned", "taken_away"]

LEAD_HEADER = "X-Leadwire-Lead"  # on every email to a rep: the id of the lead it is about


def _to_rep(kind: str, subject: str, template: str, lead: LeadRecord, rep: Rep, config: Config, now: datetime,
            page_url: str | None, **values: Any) -> Email:
    """An email to a rep from `pages/templates/email/<template>.txt|.html`: the lead page link first, and the lead's
    id in a header for mail rules and scripts (the link's token names nothing)."""
    card = view(lead, rep.timezone, config, now)
    context = {"rep": rep, "card": card, "lead": lead, "page_url": page_url, "now": now, **values}
    return Email(to=rep.email, kind=kind, subject=subject, text=render(f"email/{template}.txt", **context),
                 html=render(f"email/{template}.html", **context), headers={LEAD_HEADER: lead.id})


def _about(card: LeadView) -> str:
    """`Dana Fox (Fox Builders), senior +20`: who, and the reason they matter most."""
    return card.who + (f", {card.top_reason}" if card.top_reason else "")


def new_owner(lead: LeadRecord, rep: Rep, config: Config, now: datetime, page_url: str | None,
              messages: list[str] | None = None) -> Email:
    """`messages`: everything the person wrote, when they wrote more than once before this owner got the lead."""
    card = view(lead, rep.timezone, config, now)
    due = f" — call by {card.deadline.clock}" if card.deadline else ""
    return _to_rep("owner_assigned", f"New lead: {_about(card)}{due}", "new_owner", lead, rep, config, now,
                   page_url, messages=messages or [])


def reminder(lead: LeadRecord, rep: Rep, config: Config, now: datetime, page_url: str | None) -> Email:
    card = view(lead, rep.timezone, config, now)
    due = f" — first contact due {card.deadline.clock}, {card.deadline.words}" if card.deadline else ""
    return _to_rep("owner_reminder", f"Reminder: {_about(card)} is waiting{due}", "reminder", lead, rep, config,
                   now, page_url)


def taken_away(lead: LeadRecord, rep: Rep, new_rep: Rep, config: Config, now: datetime,
               page_url: str | None) -> Email:
    card = view(lead, rep.timezone, config, now)
    return _to_rep("owner_reassigned_away", f"Lead {card.who} was reassigned to {new_rep.name}", "taken_away",
                   lead, rep, config, now, page_url, new_rep=new_rep)


def returned(lead: LeadRecord, rep: Rep, messages: list[str], config: Config, now: datetime,
             page_url: str | None) -> Email:
    """A known person sent another submission: every message since the last one the owner saw."""
    card = view(lead, rep.timezone, config, now)
    latest = messages[-1] if messages else ""
    return _to_rep("owner_returned", f"{card.who} came back: {_first_line(latest) or 'another submission'}",
                   "returned", lead, rep, config, now, page_url, messages=messages)


def new_link(lead: LeadRecord, rep: Rep, config: Config, now: datetime, page_url: str | None) -> Email:
    """The rep asked for a new link from one that no longer works."""
    card = view(lead, rep.timezone, config, now)
    return _to_rep("owner_new_link", f"Your new link: {card.who}", "new_link", lead, rep, config, now, page_url,
                   days=config.followup.rep_link_days)


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


def nurture(lead: LeadRecord, template: str, business: str, unsubscribe_url: str,
            written: Mapping[str, NurtureTemplate] | None = None) -> Email:
    """The nurture email of step `template`: the owner's text of that name (`followup.templates`, rendered in the
    sandbox), else the built-in one."""
    subject, body = nurture_templates.render(nurture_templates.chosen(template, written), lead, business)
    text = body + f"\n\nNo more emails like this: {unsubscribe_url}\n"
    markup = "".join(f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in body.split("\n\n"))
    markup += f'<p><a href="{html.escape(unsubscribe_url)}">Unsubscribe</a></p>'
    return Email(to=lead.email or "", kind=f"nurture_{template}", subject=subject, text=text, html=markup,
                 headers=unsubscribe_headers(unsubscribe_url), to_person=True)


def opt_in_request(lead: LeadRecord, business: str, confirm_url: str) -> Email:
    """Double opt-in: the one email a person gets before confirming their consent, with the link to confirm it."""
    values = {"person": lead.first_name or "there", "business": business, "confirm_url": confirm_url}
    return Email(to=lead.email or "", kind="opt_in_request", subject=f"Please confirm: emails from {business}",
                 text=render("email/opt_in.txt", **values), html=render("email/opt_in.html", **values),
                 to_person=True)


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link, one click, no page."""
    return {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
