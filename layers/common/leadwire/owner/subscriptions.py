"""The owner's outbound subscriptions: signed webhooks to their own systems and Slack messages to their team.

A webhook's signing secret is generated here and answered once (when created, and when rotated); later reads show
only its last characters. Rotating keeps the previous secret valid for 24 hours, and deliveries meanwhile carry a
signature under each. A Slack incoming-webhook URL is a secret as well: it is never shown back whole.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field

from leadwire.clock import iso, parse_iso
from leadwire.errors import NotFound, ValidationFailed
from leadwire.model import Model
from leadwire.outbound import receivers, slack, webhooks
from leadwire.store import subscriptions
from leadwire.store.table import Store

SUBSCRIPTION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DOMAIN_EVENTS = ("lead.created", "lead.qualified", "lead.assigned", "lead.unassigned", "lead.sla_breached",
                 "lead.stale", "lead.returned", "lead.merged", "lead.erased")
ROTATION_GRACE = timedelta(hours=24)
SHOWN_CHARACTERS = 4
MAX_DELIVERIES_SHOWN = 50
EventType = Literal["lead.created", "lead.qualified", "lead.assigned", "lead.unassigned", "lead.sla_breached",
                    "lead.stale", "lead.returned", "lead.merged", "lead.erased"]


class SubscriptionIn(Model):
    """`PUT /subscriptions/{id}`: everything for a new one; for an existing one only what changes."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook", "slack"] | None = None
    url: str | None = Field(default=None, min_length=1, max_length=receivers.MAX_URL_LENGTH)
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=len(DOMAIN_EVENTS))
    active: bool | None = None
    include_lead: bool | None = None
    rotate_secret: bool = False


def put(store: Store, subscription_id: str, change: SubscriptionIn, now: datetime,
        allow_local: bool = False) -> tuple[bool, dict[str, Any]]:
    """Create or change a subscription; (created, what to answer). The answer holds the secret in full only when
    one was just made."""
    stored = subscriptions.load(store, subscription_id)
    at = iso(now)
    merged: dict[str, Any] = dict(stored or {"id": subscription_id, "created_at": at, "active": True,
                                              "include_lead": True, "secrets": []})
    for name in ("kind", "url", "events", "active", "include_lead"):
        value = getattr(change, name)
        if value is not None:
            merged[name] = sorted(set(value)) if name == "events" else value
    _validate(merged, stored, change, allow_local)
    if change.active:
        merged["deactivated_reason"] = None
    new_secret = None
    if merged["kind"] == "webhook" and (not merged["secrets"] or change.rotate_secret):
        new_secret = webhooks.new_secret()
        kept = [{**secret, "expires_at": secret.get("expires_at") or iso(now + ROTATION_GRACE)}
                for secret in merged["secrets"] if in_force(secret, now)]
        merged["secrets"] = [{"value": new_secret, "created_at": at, "expires_at": None}, *kept]
    merged["updated_at"] = at
    subscriptions.save(store, {name: value for name, value in merged.items() if value is not None})
    shown = show(merged, now)
    if new_secret:
        shown["secret"] = new_secret
    return stored is None, shown


def _validate(merged: dict[str, Any], stored: dict[str, Any] | None, change: SubscriptionIn,
              allow_local: bool) -> None:
    problems = [{"field": name, "reason": "required for a new subscription"}
                for name in ("kind", "url", "events") if merged.get(name) is None]
    if stored and change.kind and change.kind != stored["kind"]:
        problems.append({"field": "kind", "reason": "a subscription keeps its kind; delete it and create another"})
    if change.url is not None:
        try:
            receivers.check_url(change.url, allow_local)
        except receivers.RefusedUrl as refused:
            problems.append({"field": "url", "reason": str(refused)})
    if merged.get("kind") == "slack":
        unsupported = sorted(set(merged.get("events") or []) - set(slack.EVENTS))
        if unsupported:
            problems.append({"field": "events", "reason": f"Slack messages exist for {', '.join(slack.EVENTS)} "
                                                          f"only, not {', '.join(unsupported)}"})
        if change.rotate_secret:
            problems.append({"field": "rotate_secret", "reason": "a Slack subscription has no signing secret; "
                                                                "put a new url instead"})
    if problems:
        raise ValidationFailed(problems)


def in_force(secret: dict[str, Any], now: datetime) -> bool:
    return not secret.get("expires_at") or parse_iso(str(secret["expires_at"])) > now


def signing_secrets(subscription: dict[str, Any], now: datetime) -> list[str]:
    """Every secret a delivery at `now` is signed with: the newest, and during a rotation the previous one."""
    return [str(secret["value"]) for secret in subscription.get("secrets", []) if in_force(secret, now)]


def show(subscription: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The subscription without its secrets: the webhook's URL, a Slack URL's start and end, secrets' last
    characters."""
    url = str(subscription["url"])
    shown: dict[str, Any] = {
        "id": subscription["id"], "kind": subscription["kind"], "events": list(subscription["events"]),
        "active": bool(subscription["active"]), "include_lead": bool(subscription.get("include_lead", True)),
        "url": _masked(url) if subscription["kind"] == "slack" else url,
        "created_at": subscription["created_at"], "updated_at": subscription["updated_at"],
        "deactivated_reason": subscription.get("deactivated_reason"),
    }
    if subscription["kind"] == "webhook":
        shown["secrets"] = [{"ends_with": str(secret["value"])[-SHOWN_CHARACTERS:],
                             "created_at": secret["created_at"], "expires_at": secret.get("expires_at")}
                            for secret in subscription.get("secrets", []) if in_force(secret, now)]
    return shown


def _masked(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url[-SHOWN_CHARACTERS:]}"


def list_all(store: Store, now: datetime) -> dict[str, Any]:
    return {"items": [show(item, now) for item in subscriptions.load_all(store)], "cursor": None}


def get(store: Store, subscription_id: str) -> dict[str, Any]:
    found = subscriptions.load(store, subscription_id)
    if found is None:
        raise NotFound(f"no subscription with id {subscription_id}")
    return found


def delete(store: Store, subscription_id: str) -> None:
    """Pending deliveries to it are dropped at their next attempt."""
    if not subscriptions.remove(store, subscription_id):
        raise NotFound(f"no subscription with id {subscription_id}")


def deliveries(store: Store, subscription_id: str, limit: int) -> dict[str, Any]:
    """The latest deliveries, newest event first: event, status, the receiver's answer, when, the next try."""
    get(store, subscription_id)
    items = subscriptions.recent_deliveries(store, subscription_id, max(1, min(limit, MAX_DELIVERIES_SHOWN)))
    return {"items": [{
        "event_id": item["event_id"], "event_type": item["event_type"], "event_at": item["event_at"],
        "webhook_id": item["delivery_id"], "status": item["status"], "attempts": int(item["attempts"]),
        "last_code": int(item["last_code"]) if item.get("last_code") is not None else None,
        "last_error": item.get("last_error"), "last_attempt_at": item.get("last_attempt_at"),
        "next_try_at": item.get("due_at") if item["status"] == "pending" else None,
    } for item in items], "cursor": None}
