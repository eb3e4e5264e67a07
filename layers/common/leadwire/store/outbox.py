"""The transactional outbox: every email and domain event is an intent item written in the same transaction as the
state change that causes it. A sender delivers it and deletes it; one not delivered waits in the sparse `due` index
(under shards of its own) for the sweep, with backoff, until it is delivered or given up on."""

from __future__ import annotations

import json
import secrets
import zlib
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from leadwire.clock import iso
from leadwire.outbound.notify import Email, Event, Message
from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store, Update

FIRST_RETRY = timedelta(minutes=2)  # the sender that wrote it delivers it at once; the sweep only if that failed


def intents(lead_id: str | None, now: datetime, *messages: Message) -> list[dict[str, Any]]:
    """The intent items of `messages`, to be written with the change that causes them."""
    return [intent_item(lead_id, now, "email" if isinstance(message, Email) else "event", asdict(message))
            for message in messages]


def intent_item(lead_id: str | None, now: datetime, kind: str, payload: dict[str, Any],
                due_in: timedelta = FIRST_RETRY) -> dict[str, Any]:
    """One intent of any kind (its sender reads `payload`), due for the sweep `due_in` from now."""
    intent_id = secrets.token_hex(10)
    return {**schema.outbox_intent(intent_id), "intent_id": intent_id, "kind": kind, "payload": _packed(payload),
            "lead_id": lead_id, "attempts": 0, "created_at": iso(now),
            "due_shard": schema.outbox_shard(intent_id), "due_at": iso(now + due_in)}


def message_of(intent: dict[str, Any]) -> Message:
    payload = unpacked(intent)
    return Email(**payload) if intent["kind"] == "email" else Event(**payload)


def unpacked(intent: dict[str, Any]) -> dict[str, Any]:
    return json.loads(zlib.decompress(bytes(intent["payload"])))


def _packed(payload: dict[str, Any]) -> bytes:
    """Compressed: an email with its HTML part is a few kilobytes, and every kilobyte is a write unit (twice in the
    transaction that writes it, once more when it is deleted)."""
    return zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)


def put_actions(store: Store, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [store.put_action(item) for item in items]


def write(store: Store, items: list[dict[str, Any]]) -> None:
    """Intents of a change that was already written on its own (at least once: see the README)."""
    for item in items:
        store.put(item)


def due(store: Store, upto: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """Intents whose delivery is due by `upto`, oldest first, over every outbox shard."""
    keys: list[dict[str, Any]] = []
    for shard in schema.outbox_shards():
        found, _ = store.query_index(schema.DUE, "due_shard", shard, range_name="due_at", upto=iso(upto),
                                     limit=limit, newest_first=False)
        keys += found
    return store.get_many({"pk": key["pk"], "sk": key["sk"]} for key in keys)


def delivered(store: Store, intent: dict[str, Any], *also: dict[str, Any]) -> None:
    """The intent is done; `also` (a timeline entry saying so) is written in the same transaction."""
    if also:
        store.transact([store.delete_action(schema.outbox_intent(intent["intent_id"])),
                        *(store.put_action(item) for item in also)])
        return
    store.delete(schema.outbox_intent(intent["intent_id"]))


def deferred(store: Store, intent: dict[str, Any], retry_at: datetime, error: str) -> bool:
    """Count the failed attempt and wait; False when another sender took the intent meanwhile."""
    update = (Update().set(due_at=iso(retry_at), last_error=error).add(attempts=1)
              .when("#attempts = :seen", seen=intent["attempts"]))
    try:
        store.update(schema.outbox_intent(intent["intent_id"]), update)
    except ConditionFailed:
        return False
    return True
