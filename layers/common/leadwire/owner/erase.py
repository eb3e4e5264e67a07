"""Erasing a person (GDPR): everything about them in the table goes, and a `lead.erased` event says so."""

from __future__ import annotations

from leadwire.outbound.notify import Notifier
from leadwire.owner.leads import load
from leadwire.store.leads import LeadRepository
from leadwire.store.table import Store


def erase(store: Store, notifier: Notifier, lead_id: str) -> None:
    """The lead, its events and timeline, and the dedupe keys it owns; the event carries no personal data."""
    items = LeadRepository(store).erase(load(store, lead_id))
    notifier.publish("lead.erased", {"lead_id": lead_id, "items": items})
