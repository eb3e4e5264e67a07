"""In-memory doubles of what leadwire talks to, for the service tests: the table (the store package's own
MemoryTable), a notifier that records, and a Graph API that answers from a dict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadwire.outbound.notify import Email


@dataclass
class RecordingNotifier:
    """Implements the Notifier protocol: keeps every email and domain event instead of sending it."""

    emails: list[Email] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send(self, email: Email) -> None:
        self.emails.append(email)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.events.append((detail_type, detail))

    def sent_to(self, address: str) -> list[Email]:
        return [email for email in self.emails if email.to == address]

    def published(self, detail_type: str) -> list[dict[str, Any]]:
        return [detail for kind, detail in self.events if kind == detail_type]


@dataclass
class FakeGraph:
    """Implements the LeadSource protocol: lead nodes by leadgen id; an id it does not know is a failed call."""

    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        self.calls.append(leadgen_id)
        return self.leads.get(leadgen_id)
