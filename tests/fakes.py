"""In-memory doubles of what leadwire talks to, for the service tests: the table (the store package's own
MemoryTable), a notifier that records, an SES client that records, and a Graph API that answers from a dict."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
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
class RefusingNotifier(RecordingNotifier):
    """A notifier whose email service refuses the next `refusals` emails (every one while it is None) with `error`,
    then records them as `RecordingNotifier` does."""

    refusals: int | None = None
    error: Exception = field(default_factory=lambda: ConnectionError("Throttling"))

    def send(self, email: Email) -> None:
        if self.refusals is None or self.refusals > 0:
            self.refusals = None if self.refusals is None else self.refusals - 1
            raise self.error
        super().send(email)


class RecordingSes:
    """The SES v2 client's send_email, for the notifier itself: keeps every request."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.calls.append(request)
        return {"MessageId": "m-1"}


@dataclass
class FakeGraph:
    """Implements the LeadSource protocol: lead nodes by leadgen id; an id it does not know is a failed call."""

    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        self.calls.append(leadgen_id)
        return self.leads.get(leadgen_id)


@dataclass
class FakeMetaApi:
    """Implements the LeadsSource protocol in memory: forms and their leads (newest first, `page_size` to a page),
    each Page's subscribed apps, and every Conversions API post; `refuse` holds the errors the next calls raise."""

    page_size: int = 100
    forms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # form id -> lead nodes
    page_forms_of: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    subscribed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    posts: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    refuse: dict[str, list[Exception]] = field(default_factory=dict)  # call name -> errors, in order
    calls: list[tuple[str, str]] = field(default_factory=list)

    def _call(self, name: str, node: str) -> None:
        self.calls.append((name, node))
        waiting = self.refuse.get(name)
        if waiting:
            raise waiting.pop(0)

    def form_leads(self, form_id: str, since_epoch: int, deadline: float) -> Iterator[list[dict[str, Any]]]:
        self._call("form_leads", form_id)
        matching = [node for node in self.forms.get(form_id, []) if _epoch(node["created_time"]) > since_epoch]
        matching.sort(key=lambda node: node["created_time"], reverse=True)
        for start in range(0, len(matching), self.page_size):
            yield matching[start:start + self.page_size]

    def page_forms(self, page_id: str, deadline: float) -> list[dict[str, Any]]:
        self._call("page_forms", page_id)
        return self.page_forms_of.get(page_id, [])

    def subscribed_apps(self, page_id: str, deadline: float) -> list[dict[str, Any]]:
        self._call("subscribed_apps", page_id)
        return self.subscribed.get(page_id, [{"id": "1", "subscribed_fields": ["leadgen"]}])

    def send_events(self, dataset_id: str, events: list[dict[str, Any]], deadline: float) -> dict[str, Any]:
        self._call("send_events", dataset_id)
        self.posts.append((dataset_id, events))
        return {"events_received": len(events)}


def _epoch(created_time: str) -> int:
    return int(datetime.strptime(created_time, "%Y-%m-%dT%H:%M:%S%z").timestamp())
