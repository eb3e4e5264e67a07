"""The funnel report: leads, stages, contact and outcomes per source, from the counters the store keeps per
creation day and source (moved in the same transaction as the change they count, so exact under redelivery)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from leadwire.errors import ValidationFailed
from leadwire.store import funnel as counters
from leadwire.store.table import Store

COUNTS = ("leads", "mql", "sql", "contacted", "won", "lost", "sla_breached")


def _percentile(buckets: Counter[int], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of all values at or below it (within the
    sketch's 2%)."""
    total = sum(buckets.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for index in sorted(buckets):
        seen += buckets[index]
        if seen >= rank:
            return counters.bucket_value(index)
    return None  # not reached: the ranks add up to the total


def _figures(counts: Mapping[str, float], first_contacts: Counter[int]) -> dict[str, Any]:
    leads = counts.get("leads", 0)

    def rate(part: float) -> float | None:
        return round(part / leads, 4) if leads else None

    def minutes(share: float) -> float | None:
        value = _percentile(first_contacts, share)
        return None if value is None else round(value / 60, 2)

    return {
        **{name: int(counts.get(name, 0)) for name in COUNTS},
        "mql_rate": rate(counts.get("mql", 0)), "sql_rate": rate(counts.get("sql", 0)),
        "won_rate": rate(counts.get("won", 0)), "sla_breach_rate": rate(counts.get("sla_breached", 0)),
        "first_contact_minutes": {"contacted": sum(first_contacts.values()), "median": minutes(0.5),
                                  "p90": minutes(0.9)},
    }


def funnel(store: Store, created_from: str, created_to: str) -> dict[str, Any]:
    """Figures for leads created between two days (inclusive, by UTC day), in total and per source."""
    start, end = created_from[:10], created_to[:10]
    if len(start) != 10 or len(end) != 10 or start > end:
        raise ValidationFailed([{"field": "from", "reason": "give ISO dates or instants with from <= to"}])
    per_source: dict[str, dict[str, float]] = {}
    contacts: dict[str, Counter[int]] = {}
    total: dict[str, float] = {}
    all_contacts: Counter[int] = Counter()
    days: dict[str, dict[str, int]] = {}
    for source, item in counters.cohorts(store, start, end):
        days.setdefault(counters.day_of(item), {})[source] = int(item.get("leads", 0))
        counts = per_source.setdefault(source, {})
        for name in COUNTS:
            counts[name] = counts.get(name, 0) + item.get(name, 0)
            total[name] = total.get(name, 0) + item.get(name, 0)
        cohort = counters.first_contacts(item)
        contacts.setdefault(source, Counter()).update(cohort)
        all_contacts.update(cohort)
    return {"from": start, "to": end, "total": _figures(total, all_contacts),
            "by_source": {source: _figures(counts, contacts[source]) for source, counts in sorted(per_source.items())},
            "leads_by_day": [{"day": day, "by_source": by_source} for day, by_source in sorted(days.items())]}
