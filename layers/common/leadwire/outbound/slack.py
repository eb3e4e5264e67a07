"""Slack incoming-webhook messages in blocks: a new assignment, a breached first-contact deadline, a returning lead.

Within Slack's limits: a header's text at most 150 characters, a section's 3,000, a button's 75 and its URL 3,000,
the fallback text kept short; user text is escaped for mrkdwn (`&`, `<`, `>`), so a name cannot post a link or a
mention. Slack takes about one message per second per webhook; `Pacer` keeps to that, and a 429 is retried later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EVENTS = ("lead.assigned", "lead.sla_breached", "lead.returned")
HEADER_MAX, SECTION_MAX, BUTTON_MAX, URL_MAX, FALLBACK_MAX = 150, 3000, 75, 3000, 300
TOP_REASONS = 3


@dataclass(frozen=True)
class LeadCard:
    """What a message says about the lead, in the words the lead page uses."""

    name: str
    company: str | None
    score: int | None
    stage: str | None
    reasons: list[tuple[str, float]]  # the top reasons, as the lead page orders them
    owner: str | None
    deadline: str | None  # the first-contact deadline, as words for people ("Tue 1 Dec, 14:15 UTC")
    page_url: str | None


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


HEADLINES = {"lead.assigned": "New lead for {owner}: {name}",
             "lead.sla_breached": "First contact overdue: {name}",
             "lead.returned": "{name} came back"}


def message(event_type: str, card: LeadCard) -> dict[str, Any]:
    """The message for one event about one lead."""
    headline = HEADLINES[event_type].format(owner=card.owner or "nobody yet", name=card.name)
    fields = [f"*Company*\n{escaped(cut(card.company or '—', 200))}",
              f"*Owner*\n{escaped(cut(card.owner or 'not assigned', 200))}"]
    if card.score is not None:
        fields.append(f"*Score*\n{card.score}" + (f" ({escaped(card.stage)})" if card.stage else ""))
    if card.deadline:
        fields.append(f"*First contact by*\n{escaped(cut(card.deadline, 200))}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(headline, HEADER_MAX), "emoji": False}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": text} for text in fields]},
    ]
    top = card.reasons[:TOP_REASONS]
    if top:
        lines = "\n".join(f"• {escaped(cut(rule, 200))}: {points:+g}" for rule, points in top)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": cut(f"*Why*\n{lines}", SECTION_MAX)}})
    if card.page_url and len(card.page_url) <= URL_MAX:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": cut("Open the lead", BUTTON_MAX)},
            "url": card.page_url, "style": "primary", "action_id": "open_lead"}]})
    return {"text": cut(headline, FALLBACK_MAX), "blocks": blocks}


@dataclass
class Pacer:
    """At most one message a second to each webhook from this container (Slack's limit per webhook)."""

    interval_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)

    def wait_turn(self, webhook: str) -> None:
        last = self._last.get(webhook)
        if last is not None:
            wait = last + self.interval_s - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last[webhook] = self.clock()
