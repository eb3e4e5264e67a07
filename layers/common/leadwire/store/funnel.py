"""The funnel counters: one item per cohort (creation day, door and attribution), moved in the same transaction as
what they count.

Times to first contact are kept as a sketch, not a list (a list grew with every contact, past DynamoDB's item size on
a busy day): counters of log-spaced buckets (`fc_<index>`), each bucket's values within ACCURACY of one another, so
any percentile read back is within 2% of the true one and an item holds at most a few hundred counters."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from leadwire.lead import LeadRecord
from leadwire.store import schema
from leadwire.store.table import Store, Update

ACCURACY = 0.02
_GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
_BUCKET = "fc_"


def bucket_of(seconds: float) -> int:
    """The bucket a time falls in: bucket i holds (γ^(i-1), γ^i] seconds; a second or less is bucket 0."""
    return max(0, math.ceil(math.log(max(seconds, 1.0), _GAMMA)))


def bucket_value(index: int) -> float:
    """The value a bucket stands for: within ACCURACY of every time it holds."""
    return 2 * _GAMMA ** index / (_GAMMA + 1)


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
    if first_contact_s is not None:
        increments = {**increments, f"{_BUCKET}{bucket_of(first_contact_s)}": 1}
    return store.update_action(schema.funnel_cohort(cohort_sk(lead)), Update().add(**increments))


def first_contacts(item: Mapping[str, Any]) -> Counter[int]:
    """The cohort's times to first contact, bucket by bucket (a cohort written before the sketch kept a list)."""
    found: Counter[int] = Counter({int(name.removeprefix(_BUCKET)): int(value) for name, value in item.items()
                                   if name.startswith(_BUCKET) and name.removeprefix(_BUCKET).isdigit()})
    found.update(bucket_of(float(seconds)) for seconds in item.get("first_contact_s", []))
    return found


def cohorts(store: Store, start_day: str, end_day: str) -> Iterator[tuple[Cohort, dict[str, Any]]]:
    """(cohort, counters) for every cohort from `start_day` to `end_day`, inclusive."""
    for item in store.query_all(schema.FUNNEL_PARTITION, sk_between=schema.funnel_days(start_day, end_day)):
        yield Cohort(*schema.cohort_of(item["sk"])), item
