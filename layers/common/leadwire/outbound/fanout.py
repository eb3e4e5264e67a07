"""Each domain event, as the outbox delivers it, becomes one delivery for every active subscription that wants it.

Written before the event goes to the bus and keyed by the event and the subscription, so an event delivered again
(the bus refused it, the function stopped) finds its deliveries and writes none twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadwire.outbound.notify import Event
from leadwire.store import subscriptions
from leadwire.store.table import Store


def fan_out(store: Store, intent: dict[str, Any], event: Event, now: datetime,
            subscribed: list[dict[str, Any]]) -> int:
    """How many deliveries this event gained (the outbox intent that carries it gives its id and instant), among
    `subscribed`, the owner's subscriptions as read for the batch or request this event belongs to."""
    wanted = [subscription for subscription in subscribed
              if subscription.get("active") and event.detail_type in subscription.get("events", [])]
    facts = {"id": intent["intent_id"], "type": event.detail_type, "at": intent["created_at"],
             "facts": event.detail, "lead_id": intent.get("lead_id")}
    return sum(subscriptions.write_delivery(store, subscription["id"], facts, now) for subscription in wanted)
