"""The owner's console (`GET /console`): a static page, its script and stylesheet shipped beside this module, and
the one server-rendered part it shows, a lead, from the same templates as the rep's lead page."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from leadwire.config import Config
from leadwire.lead import TRANSITIONS, LeadRecord
from leadwire.owner.leads import SETTABLE
from leadwire.pages.lead_page import Page, entry
from leadwire.pages.lead_view import STATUS_WORDS, view
from leadwire.pages.render import render
from leadwire.routing.reps import Rep

CONSOLE = Path(__file__).resolve().parent / "console"
ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8",
          "icon.svg": "image/svg+xml"}


@cache
def headers() -> dict[str, str]:
    """Only our own script and stylesheet, requests only to this API, never framed, cached or sent as a referrer."""
    policy = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
              "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
    return {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
            "Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


@cache
def _file(name: str) -> str:
    return (CONSOLE / name).read_text(encoding="utf-8")


@cache
def _page() -> str:
    from leadwire.pages.nurture import PLACEHOLDERS

    return render("console/page.html", placeholders=PLACEHOLDERS)


def page() -> Page:
    """The console itself: the sign-in form and the empty screens its script fills (the same for everyone)."""
    return Page(200, _page(), headers())


def asset(name: str) -> tuple[str, str] | None:
    """(content type, text) of one of the console's files; None for any other name."""
    kind = ASSETS.get(name)
    return (kind, _file(name)) if kind else None


def lead(lead: LeadRecord, reps: list[Rep], config: Config, entries: list[dict[str, Any]], now: datetime,
         messages: list[str], duplicates: dict[str, str]) -> str:
    """The lead as the rep's page shows it (in its owner's time zone), with the owner's actions; `duplicates` names
    each possible duplicate."""
    owner = next((rep for rep in reps if rep.id == lead.owner), None)
    card = view(lead, owner.timezone if owner else None, config, now)
    statuses = sorted(TRANSITIONS.get(lead.status, frozenset()) & SETTABLE)
    return render("console/lead.html", card=card, lead=lead, now=now, reps=reps, statuses=statuses,
                  status_words=STATUS_WORDS, duplicates=duplicates, messages=messages,
                  timeline=[entry(item, card.timezone, now) for item in reversed(entries)])
