"""The rep's lead page (`GET /l/{token}`): every state it can be in, rendered as a whole HTML page with the headers
that keep it private. The page only reads; its forms post the actions of `owner.rep_actions`."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from leadwire.clock import parse_iso
from leadwire.config import Config
from leadwire.lead import LeadRecord
from leadwire.owner.rep_actions import DONE_WORDS
from leadwire.pages.lead_view import STATUS_WORDS, view
from leadwire.pages.render import STATIC, in_words, local_time, render

KIND_WORDS = {
    "submission": "Came in", "merge": "Got in touch again", "scored": "Scored", "assigned": "Assigned",
    "unassigned": "Could not be assigned", "assignment_retried": "Assignment retried",
    "reassignment_failed": "Could not be given to someone else", "owner_reminded": "Reminder sent",
    "sla_breached": "First-contact deadline missed", "status_changed": "Status changed",
    "contact_attempt": "Called: no answer", "note": "Note", "nurture_sent": "Follow-up email sent",
    "unsubscribed": "Unsubscribed from emails", "stale": "Went stale", "enriched": "Details fetched",
    "delivery_failed": "An email or event could not be delivered",
}


@cache
def stylesheet() -> str:
    return (STATIC / "lead-page.css").read_text(encoding="utf-8")


@cache
def headers() -> dict[str, str]:
    """Private, never cached or indexed, no referrer leaks the token; only our own stylesheet, no script at all."""
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode()).digest()).decode()
    policy = (f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'self'; form-action 'self'; "
              "base-uri 'none'; frame-ancestors 'none'")
    return {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
            "Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


@dataclass(frozen=True)
class Page:
    status: int
    html: str
    headers: dict[str, str] = field(default_factory=headers)


def _page(status: int, template: str, **values: Any) -> Page:
    return Page(status, render(template, css=stylesheet(), **values))


NEW_LINK = "new_link"  # the action of the button on a link that no longer works


def notice(status: int, title: str, message: str, new_link: bool = False) -> Page:
    """A plain page with nothing personal: a bad, expired or used-up link, a refused post; with `new_link`, a
    button that asks for a new link by email."""
    return _page(status, "notice.html", title=title, message=message, new_link=NEW_LINK if new_link else None)


def elsewhere(status: int = 200) -> Page:
    return notice(status, "This lead is now with someone else",
                  "It was reassigned, so this link no longer shows it or acts on it. Nothing was changed.")


def entry(item: dict[str, Any], timezone: str, now: datetime) -> dict[str, Any]:
    detail = item.get("detail") or {}
    kind = item["kind"]
    words = KIND_WORDS.get(kind) or kind.replace("event:", "Engagement: ").replace("_", " ")
    if kind == "status_changed":
        words = f"{STATUS_WORDS.get(detail.get('previous'), detail.get('previous'))} → " \
                f"{STATUS_WORDS.get(detail.get('status'), detail.get('status'))}"
    elif kind == "assigned" and detail.get("owner"):
        words = f"Assigned to {detail['owner']}"
    elif kind == "submission" and detail.get("source"):
        words = f"Came in from {detail['source']}"
    actor = str(item.get("actor", ""))
    by = f"{actor.removeprefix('rep:')}" + (f", via {detail['via']}" if detail.get("via") else "")
    return {"at": parse_iso(item["at"]), "when": view_time(parse_iso(item["at"]), timezone, now), "words": words,
            "by": by, "text": detail.get("text"), "reason": detail.get("reason")}


def view_time(moment: datetime, timezone: str, now: datetime) -> str:
    return f"{local_time(moment, timezone, now)} ({in_words(moment, now)})"


def lead_page(lead: LeadRecord, timezone: str | None, config: Config, entries: list[dict[str, Any]],
              now: datetime, done: str | None, problem: str | None = None, status: int = 200,
              messages: list[str] | None = None) -> Page:
    card = view(lead, timezone, config, now)
    actions = _actions(lead)
    return _page(status, "lead.html", card=card, lead=lead, now=now, actions=actions,
                 messages=messages if messages is not None else ([lead.message] if lead.message else []),
                 timeline=[entry(item, card.timezone, now) for item in reversed(entries)],
                 confirmation=DONE_WORDS.get(done or ""), problem=problem, once=secrets.token_urlsafe(12))


def _actions(lead: LeadRecord) -> set[str]:
    """The buttons that make sense for the lead's status (the use cases check again on every post)."""
    shown = {"note"}
    if lead.status in ("new", "assigned", "stale", "unqualified"):
        shown |= {"contacted"}
    if lead.status in ("new", "assigned"):
        shown |= {"no_answer"}
    if lead.can_become("won"):
        shown |= {"won", "lost"}
    if lead.can_become("unqualified"):
        shown |= {"not_a_fit"}
    if lead.status in ("new", "assigned", "contacted", "qualified"):
        shown |= {"give_back"}
    return shown
