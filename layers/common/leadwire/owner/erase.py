"""Erasing a person (GDPR): everything about them in the table goes, and a `lead.erased` event says so."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Event, Notifier
from leadwire.owner.leads import load
from leadwire.store import outbox
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store


def erase(store: Store, notifier: Notifier, lead_id: str, now: datetime) -> None:
    """The lead, its events and timeline, and the dedupe keys it owns; the event carries no personal data."""
    told: list[dict[str, Any]] = []

    def announce(items: int) -> list[dict[str, Any]]:
        told.extend(outbox.intents(lead_id, now, Event("lead.erased", {"lead_id": lead_id, "items": items})))
        return told

    LeadRepository(store).erase(load(store, lead_id), announce)
    Delivery(store, notifier).now(told)
