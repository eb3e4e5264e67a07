"""The funnel counters: one item per cohort (creation day, door and attribution), moved in the same transaction as
what they count."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from leadwire.lead import LeadRecord
from leadwire.store import schema
from leadwire.store.table import Store, Update


@dataclass(frozen=True)
class Cohort:
    day: str
    source: str  # the door
    channel: str  # the attributed source (spend is matched by it)
    campaign: str


def cohort_sk(lead: LeadRecord) -> str:
    """The cohort a lead counts in for good: fixed when it is created (a lead stored before has its day and door)."""
    if lead.cohort:
        return lead.cohort
    return schema.legacy_funnel_cohort_sk(lead.created_at[:10], lead.source)


def new_cohort_sk(lead: LeadRecord) -> str:
    return schema.funnel_cohort_sk(lead.created_at[:10], lead.source, *lead.attribution())


def count_action(store: Store, lead: LeadRecord, first_contact_s: float | None = None,
                 **increments: int) -> dict[str, Any]:
    """A transaction action adding to the lead's cohort."""
    update = Update().add(**increments)
    if first_contact_s is not None:
        update.append(first_contact_s=[round(first_contact_s, 3)])
    return store.update_action(schema.funnel_cohort(cohort_sk(lead)), update)


def cohorts(store: Store, start_day: str, end_day: str) -> Iterator[tuple[Cohort, dict[str, Any]]]:
    """(cohort, counters) for every cohort from `start_day` to `end_day`, inclusive."""
    for item in store.query_all(schema.FUNNEL_PARTITION, sk_between=schema.funnel_days(start_day, end_day)):
        yield Cohort(*schema.cohort_of(item["sk"])), item
