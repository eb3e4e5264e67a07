"""A lead as a rep reads it, in their time zone: who, how to reach them, why they scored, and when to call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadwire.config import Config
from leadwire.followup.plan import first_contact_deadline
from leadwire.lead import SLA_STATUSES, LeadRecord, ScoreReason
from leadwire.pages.render import clock, in_words, local_time

STATUS_WORDS = {"new": "New", "assigned": "Waiting for first contact", "contacted": "Contacted",
                "qualified": "Qualified", "won": "Won", "lost": "Lost", "unqualified": "Not a fit", "stale": "Stale"}
CLOSED = frozenset({"won", "lost", "unqualified"})


def person_name(lead: LeadRecord) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return name or lead.company or "a new lead"


def top_reasons(lead: LeadRecord, count: int = 3) -> list[ScoreReason]:
    """What raised the score most, first; what lowered it after."""
    return sorted(lead.score_reasons, key=lambda reason: (reason.points <= 0, -abs(reason.points)))[:count]


@dataclass(frozen=True)
class Deadline:
    at: datetime
    clock: str  # "14:35 CET"
    words: str  # "in 12 minutes", "3 minutes ago"
    overdue: bool

    @property
    def phrase(self) -> str:
        return f"by {self.clock}, {self.words}"


@dataclass(frozen=True)
class LeadView:
    lead: LeadRecord
    name: str
    timezone: str
    reasons: list[ScoreReason]
    deadline: Deadline | None
    status_words: str
    closed: bool

    @property
    def top_reason(self) -> str | None:
        best = self.reasons[0] if self.reasons and self.reasons[0].points > 0 else None
        return f"{best.rule} {best.points:+g}" if best else None

    @property
    def campaign(self) -> str | None:
        return self.lead.utm.get("campaign")

    @property
    def phone(self) -> str | None:
        return self.lead.phone or self.lead.phone_raw

    @property
    def who(self) -> str:
        """`Dana Fox (Fox Builders)`: the name, with the company when it is not the name already."""
        company = self.lead.company
        return f"{self.name} ({company})" if company and company != self.name else self.name

    def when(self, moment: datetime, now: datetime) -> str:
        return local_time(moment, self.timezone, now)


def view(lead: LeadRecord, timezone: str | None, config: Config, now: datetime) -> LeadView:
    deadline_at = first_contact_deadline(lead, config) if lead.status in SLA_STATUSES else None
    deadline = Deadline(deadline_at, clock(deadline_at, timezone), in_words(deadline_at, now),
                        deadline_at <= now) if deadline_at else None
    return LeadView(lead=lead, name=person_name(lead), timezone=timezone or "UTC", reasons=top_reasons(lead),
                    deadline=deadline, status_words=STATUS_WORDS.get(lead.status, lead.status),
                    closed=lead.status in CLOSED)
