"""The funnel counters: one item per creation day and source, moved in the same transaction as what they count."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from leadwire.lead import LeadRecord
from leadwire.store import schema
from leadwire.store.table import Store, Update


def count_action(store: Store, lead: LeadRecord, first_contact_s: float | None = None,
                 **increments: int) -> dict[str, Any]:
    """A transaction action adding to the lead's cohort (the UTC day it arrived, its source)."""
    update = Update().add(**increments)
    if first_contact_s is not None:
        update.append(first_contact_s=[round(first_contact_s, 3)])
    return store.update_action(schema.funnel_cohort(lead.created_at[:10], lead.source), update)


def cohorts(store: Store, start_day: str, end_day: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(source, counters) for every cohort from `start_day` to `end_day`, inclusive."""
    for item in store.query_all(schema.FUNNEL_PARTITION, sk_between=schema.funnel_days(start_day, end_day)):
        yield schema.source_of_cohort(item["sk"]), item


def day_of(cohort: dict[str, Any]) -> str:
    """The UTC creation day (`2026-11-05`) a cohort's counters are for."""
    return schema.day_of_cohort(cohort["sk"])
