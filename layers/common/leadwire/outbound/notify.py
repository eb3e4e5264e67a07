"""The only module that sends anything out: emails through SES, domain events to the EventBridge bus."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from leadwire.runtime.metrics import count

logger = Logger(child=True)

# Each domain event is also a CloudWatch metric, so the dashboard and alarms see what the bus sees.
EVENT_METRICS = {"lead.qualified": "LeadsQualified", "lead.assigned": "LeadsAssigned",
                 "lead.unassigned": "LeadsUnassigned", "lead.sla_breached": "SlaBreaches", "lead.stale": "LeadsStale",
                 "lead.erased": "LeadsErased"}


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    kind: str = "notice"
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe on nurture email, the lead to a rep
    to_person: bool = False  # to the person a lead is (not a rep): under the daily cap per address


@dataclass(frozen=True)
class Event:
    """A domain event for the owner's bus: ids and facts only, never personal data."""

    detail_type: str
    detail: dict[str, Any]


Message = Email | Event


class NotDelivered(Exception):
    """SES or EventBridge did not take the message (throttled, rejected, failed entry): the outbox tries again."""


class Notifier(Protocol):
    """Where the domain sends what leaves leadwire: emails to people, domain events to the owner's systems."""

    def send(self, email: Email) -> None: ...

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


class AwsNotifier:
    """Emails through SES (API v2: v1's SendEmail cannot set headers), domain events to the EventBridge bus."""

    def __init__(self, sender: str, bus_name: str, ses: Any | None = None, events: Any | None = None) -> None:
        self.sender = sender
        self.bus_name = bus_name
        self._ses = ses
        self._events = events

    @property
    def ses(self) -> Any:
        if self._ses is None:
            import boto3

            self._ses = boto3.client("sesv2")
        return self._ses

    @property
    def events(self) -> Any:
        if self._events is None:
            import boto3

            self._events = boto3.client("events")
        return self._events

    def send(self, email: Email) -> None:
        body: dict[str, Any] = {"Text": {"Data": email.text, "Charset": "UTF-8"}}
        if email.html:
            body["Html"] = {"Data": email.html, "Charset": "UTF-8"}
        message: dict[str, Any] = {"Subject": {"Data": email.subject, "Charset": "UTF-8"}, "Body": body}
        if email.headers:
            message["Headers"] = [{"Name": name, "Value": value} for name, value in email.headers.items()]
        self.ses.send_email(FromEmailAddress=self.sender, Destination={"ToAddresses": [email.to]},
                            Content={"Simple": message})
        count("EmailsSent")
        logger.info("email sent", extra={"kind": email.kind})

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        """A domain event such as lead.assigned; details carry ids and facts, never personal data."""
        answer = self.events.put_events(Entries=[{
            "Source": "leadwire", "DetailType": detail_type, "EventBusName": self.bus_name,
            "Detail": json.dumps(detail, default=str),
        }])
        if answer.get("FailedEntryCount"):
            code = (answer.get("Entries") or [{}])[0].get("ErrorCode", "FailedEntry")
            raise NotDelivered(f"EventBridge did not take {detail_type}: {code}")
        if detail_type in EVENT_METRICS:
            count(EVENT_METRICS[detail_type])


def hand_to(notifier: Notifier, message: Message) -> None:
    """Send an email or publish an event, whichever the message is."""
    if isinstance(message, Email):
        notifier.send(message)
    else:
        notifier.publish(message.detail_type, message.detail)
