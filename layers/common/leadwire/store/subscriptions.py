"""Outbound subscriptions and their deliveries as stored.

A subscription is one item in the subscriptions partition. Each domain event it wants becomes one delivery item in
the subscription's own partition, written once (a second fan-out of the same event finds it and writes nothing).
The delivery item is its own outbox entry: while it waits it sits in the sparse `due` index under shards of its own,
and the attribute `send` asks the outbound function (which the stream wakes for items carrying it) for an attempt.
Recording the attempt removes `send`, so an attempt never wakes itself."""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from leadwire.clock import iso
from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store, Update

KEPT = timedelta(days=30)  # a delivery's history, for GET /subscriptions/{id}/deliveries
LEASE = timedelta(minutes=10)  # an attempt asked for but never recorded is asked for again after this


def load(store: Store, subscription_id: str) -> dict[str, Any] | None:
    return store.get(schema.subscription(subscription_id))


def load_all(store: Store) -> list[dict[str, Any]]:
    return list(store.query_all(schema.SUBSCRIPTIONS_PARTITION, schema.SUBSCRIPTION_PREFIX))


def save(store: Store, subscription: dict[str, Any]) -> None:
    store.put({**schema.subscription(subscription["id"]), **subscription})


def remove(store: Store, subscription_id: str) -> bool:
    try:
        store.delete(schema.subscription(subscription_id), "attribute_exists(pk)")
    except ConditionFailed:
        return False
    return True


def deactivate(store: Store, subscription_id: str, reason: str, at: str) -> None:
    """Turn a subscription off (its receiver answered 410 Gone); nothing if it was deleted meanwhile."""
    update = Update().set(active=False, deactivated_reason=reason, updated_at=at).when("attribute_exists(pk)")
    with suppress(ConditionFailed):
        store.update(schema.subscription(subscription_id), update)


def write_delivery(store: Store, subscription_id: str, event: dict[str, Any], now: datetime) -> bool:
    """The delivery of `event` (id, type, at, facts, lead_id) to one subscription, with its first attempt asked
    for; False when this event was fanned out to it before."""
    key = schema.delivery(subscription_id, event["at"], event["id"])
    delivery_id = f"{event['id']}.{subscription_id}"
    item = {**key, "delivery_id": delivery_id, "subscription_id": subscription_id, "event_id": event["id"],
            "event_type": event["type"], "event_at": event["at"],
            "facts": json.dumps(event["facts"], separators=(",", ":"), default=str),  # as the bus has them, nulls too
            "lead_id": event.get("lead_id"), "status": "pending", "attempts": 0, "send": 0, "send_at": iso(now),
            "due_shard": schema.hook_due_shard(delivery_id), "due_at": iso(now + LEASE),
            "expires_at": int((now + KEPT).timestamp())}
    try:
        store.put(item, "attribute_not_exists(pk)")
    except ConditionFailed:
        return False
    return True


def load_delivery(store: Store, key: dict[str, Any]) -> dict[str, Any] | None:
    item = store.get(schema.plain_key(key))
    return {**item, "facts": json.loads(item["facts"])} if item else None


def record_attempt(store: Store, delivery: dict[str, Any], status: str, at: datetime, code: int | None,
                   error: str | None, next_try: datetime | None) -> bool:
    """One attempt's outcome; `next_try` keeps the delivery pending until then. False when another attempt was
    recorded meanwhile (a redelivered stream record): that one counts."""
    update = (Update().set(status=status, last_attempt_at=iso(at), last_code=code, last_error=error)
              .add(attempts=1).remove("send")
              .when("#attempts = :seen AND #status = :pending", seen=delivery["attempts"], pending="pending"))
    if next_try is None:
        update.remove("due_shard", "due_at")
    else:
        update.set(due_at=iso(next_try), next_try_at=iso(next_try))
    try:
        store.update(schema.plain_key(delivery), update)
    except ConditionFailed:
        return False
    return True


def wake_due(store: Store, now: datetime, limit: int = 50) -> int:
    """Ask for an attempt of every delivery whose next try is due by `now` (the sweep's part); returns how many."""
    woken = 0
    for shard in schema.hook_due_shards():
        found, _ = store.query_index(schema.DUE, "due_shard", shard, range_name="due_at", upto=iso(now),
                                     limit=limit, newest_first=False)
        for delivery in store.get_many({"pk": key["pk"], "sk": key["sk"]} for key in found):
            update = (Update().set(send=int(delivery["attempts"]), send_at=iso(now), due_at=iso(now + LEASE))
                      .when("#due_at = :seen", seen=delivery["due_at"]))
            try:
                store.update(schema.plain_key(delivery), update)
            except ConditionFailed:
                continue  # an attempt was recorded meanwhile
            woken += 1
    return woken


def recent_deliveries(store: Store, subscription_id: str, limit: int) -> list[dict[str, Any]]:
    """The subscription's deliveries, newest event first."""
    items, _ = store.query(schema.deliveries_partition(subscription_id), schema.DELIVERY_PREFIX, limit=limit,
                           newest_first=True)
    return items
