"""The transactional outbox: the emails and domain events one change causes are one intent item, written in the same
transaction as that change. A sender delivers its messages in order and deletes it. The intent's sort key is when
the sweep should try it (a few minutes after it was written, later after each failure), so the sweep finds what is
due by querying the outbox partitions themselves: an intent delivered at once, as nearly all are, is two writes and
no index entry.

A change's timeline entry rides in its first intent when that costs the intent no write unit more (`carrying`): the
delivery writes it before any message, so it is written as surely as the messages are sent, outside the
transaction, at half its write units there."""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from leadwire.clock import iso
from leadwire.outbound.notify import Email, Event, Message
from leadwire.store import packing, schema
from leadwire.store.outcomes import failed_at
from leadwire.store.table import ConditionFailed, Store, Update, as_stored

FIRST_RETRY = timedelta(minutes=2)  # the sender that wrote it delivers it at once; the sweep only if that failed
MESSAGE_KINDS = frozenset({"email", "event"})
WRITE_UNIT_BYTES = 1024  # DynamoDB bills a write unit for every kilobyte of an item, rounded up
_NUMBER_BYTES = 21  # the most a number can take


def intents(lead_id: str | None, now: datetime, *messages: Message) -> list[dict[str, Any]]:
    """The intent of `messages` (none without messages), to be written with the change that causes them."""
    if not messages:
        return []
    kinds = ["email" if isinstance(message, Email) else "event" for message in messages]
    packed = [{"type": kind, "body": asdict(message)} for kind, message in zip(kinds, messages, strict=True)]
    return [{**intent_item(lead_id, now, "+".join(dict.fromkeys(kinds)), packed), "sent": 0}]


def carrying(entry: dict[str, Any] | None, intents: list[dict[str, Any]]
             ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The timeline entry and intents a change writes: the entry in the first intent, if it fits in the write units
    the intent costs anyway (None then comes back for the entry); otherwise both as they are."""
    if entry is None or not intents:
        return entry, intents
    first, *rest = intents
    loaded = {**first, "entry": packing.pack(as_stored(entry))}
    if _write_units(loaded) > _write_units(first):
        return entry, intents
    return None, [loaded, *rest]


def carried_entry(intent: dict[str, Any]) -> dict[str, Any] | None:
    """The timeline entry an intent carries (`carrying`), or None."""
    return packing.unpack(intent["entry"]) if intent.get("entry") else None


def _write_units(item: dict[str, Any]) -> int:
    return -(-sum(len(name.encode()) + _bytes(value) for name, value in item.items()) // WRITE_UNIT_BYTES)


def _bytes(value: Any) -> int:
    """How many bytes DynamoDB counts a value as (a number at its longest)."""
    if isinstance(value, dict):
        return 3 + sum(len(str(name).encode()) + _bytes(item) + 1 for name, item in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(_bytes(item) + 1 for item in value)
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes | bytearray):
        return len(value)
    return 1 if value is None or isinstance(value, bool) else _NUMBER_BYTES


def intent_item(lead_id: str | None, now: datetime, kind: str, payload: Any,
                due_in: timedelta = FIRST_RETRY) -> dict[str, Any]:
    """One intent of any kind (its sender reads `payload`), due for the sweep `due_in` from now."""
    intent_id = secrets.token_hex(10)
    return {**schema.outbox_intent(intent_id, iso(now + due_in)), "intent_id": intent_id, "kind": kind,
            "payload": packing.pack(payload), "lead_id": lead_id, "attempts": 0, "created_at": iso(now)}


def carries_messages(intent: dict[str, Any]) -> bool:
    """An intent of emails and events (the notifier sends them), rather than one a sender of its own delivers."""
    return set(str(intent["kind"]).split("+")) <= MESSAGE_KINDS


def messages_of(intent: dict[str, Any]) -> list[Message]:
    """The intent's messages in the order they are sent."""
    return [Email(**part["body"]) if part["type"] == "email" else Event(**part["body"]) for part in unpacked(intent)]


def message_id(intent: dict[str, Any], number: int) -> str:
    """The id of the intent's `number`th message, the same on every retry: the intent's own for its first event."""
    events = [position for position, part in enumerate(unpacked(intent)) if part["type"] == "event"]
    return intent["intent_id"] if not events or number == events[0] else f"{intent['intent_id']}-{number}"


def unpacked(intent: dict[str, Any]) -> Any:
    """The payload as stored (packed: an email with its HTML part is a few kilobytes, and every kilobyte is a write
    unit, twice in the transaction that writes it, once more when it is deleted); for messages,
    `{"type": "email" | "event", "body": …}` each."""
    return packing.unpack(intent["payload"])


def put_actions(store: Store, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [store.put_action(item) for item in items]


def write(store: Store, items: list[dict[str, Any]]) -> None:
    """Intents of a change that was already written on its own (at least once: see the README)."""
    for item in items:
        store.put(item)


def due(store: Store, upto: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """Intents whose delivery is due by `upto`, the longest waiting first in each outbox partition."""
    found: list[dict[str, Any]] = []
    for partition in schema.outbox_shards():
        items, _ = store.query(partition, sk_between=schema.outbox_due_by(iso(upto)), limit=limit)
        found += items
    return found


def waiting_of(store: Store, lead_id: str) -> list[dict[str, Any]]:
    """Every intent of a lead still in the outbox: those a first delivery left for the sweep (few; an intent
    delivered at once is gone already)."""
    return [item for partition in schema.outbox_shards() for item in store.query_all(partition)
            if item.get("lead_id") == lead_id]


def delivered(store: Store, intent: dict[str, Any], *also: dict[str, Any]) -> None:
    """The intent is done; `also` (a timeline entry saying so) is written in the same transaction."""
    if also:
        store.transact([store.delete_action(schema.plain_key(intent)), *(store.put_action(item) for item in also)])
        return
    store.delete(schema.plain_key(intent))


def replaced(store: Store, intent: dict[str, Any], items: list[dict[str, Any]], *also: dict[str, Any]) -> bool:
    """The intent is done by becoming `items` (the intents of its messages), with the actions `also`, in one
    write; False when another sender had done it first."""
    try:
        store.transact([store.delete_action(schema.plain_key(intent), "attribute_exists(pk)"),
                        *put_actions(store, items), *also])
    except ConditionFailed as failure:
        if failed_at(failure, 0):
            return False
        raise
    return True


def partly_sent(store: Store, intent: dict[str, Any], sent: int) -> None:
    """Remember that the first `sent` messages went out, so the sweep sends only the rest."""
    with suppress(ConditionFailed):  # delivered or moved by a sweep meanwhile
        store.update(schema.plain_key(intent), Update().set(sent=sent).when("attribute_exists(pk)"))


def deferred(store: Store, intent: dict[str, Any], retry_at: datetime, error: str, sent: int = 0) -> bool:
    """Count the failed attempt and wait until `retry_at` (the intent moves to that instant in its partition),
    remembering how many of its messages went out; False when another sender took the intent meanwhile."""
    moved = {**intent, **schema.outbox_intent(intent["intent_id"], iso(retry_at)), "attempts": intent["attempts"] + 1,
             "sent": sent, "last_error": error, "due_at": iso(retry_at)}
    try:
        store.transact([store.delete_action(schema.plain_key(intent), "attempts = :seen", seen=intent["attempts"]),
                        store.put_action(moved)])
    except ConditionFailed:
        return False
    return True
