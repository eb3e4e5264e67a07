"""The funnel report: leads, stages, contact and outcomes per source, from the counters the store keeps per
cohort (creation day, door and attribution; moved in the same transaction as the change they count, so exact under
redelivery); and what the leads cost and brought, per attributed source and campaign, against the ad spend table."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from leadwire import money
from leadwire.errors import ValidationFailed
from leadwire.store import currency, spend
from leadwire.store import funnel as counters
from leadwire.store.table import Store

COUNTS = ("leads", "mql", "sql", "contacted", "won", "lost", "sla_breached")
MONEY_COUNTS = ("leads", "mql", "won", "value_won_minor")


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


def _days(created_from: str, created_to: str) -> tuple[str, str]:
    start, end = created_from[:10], created_to[:10]
    if len(start) != 10 or len(end) != 10 or start > end:
        raise ValidationFailed([{"field": "from", "reason": "give ISO dates or instants with from <= to"}])
    return start, end


def funnel(store: Store, created_from: str, created_to: str) -> dict[str, Any]:
    """Figures for leads created between two days (inclusive, by UTC day), in total and per source; and the money
    figures in total and per attributed source and campaign, with the spend of the same days."""
    start, end = _days(created_from, created_to)
    per_source: dict[str, dict[str, float]] = {}
    contacts: dict[str, Counter[int]] = {}
    total: dict[str, float] = {}
    all_contacts: Counter[int] = Counter()
    days: dict[str, dict[str, int]] = {}
    paid: dict[tuple[str, str], dict[str, int]] = {}
    cohorts = list(counters.cohorts(store, start, end))
    aliases = _campaign_aliases(rows := list(spend.rows_between(store, start, end)))
    for cohort, item in cohorts:
        source = cohort.source
        by_day = days.setdefault(cohort.day, {})
        by_day[source] = by_day.get(source, 0) + int(item.get("leads", 0))
        counts = per_source.setdefault(source, {})
        for name in COUNTS:
            counts[name] = counts.get(name, 0) + item.get(name, 0)
            total[name] = total.get(name, 0) + item.get(name, 0)
        found = counters.first_contacts(item)
        contacts.setdefault(source, Counter()).update(found)
        all_contacts.update(found)
        campaign = aliases.get((cohort.channel, cohort.campaign), cohort.campaign)
        _add(paid.setdefault((cohort.channel, campaign), {}), item)
    for row in rows:
        _add(paid.setdefault((row["source"], row["campaign"]), {}), {"spend_minor": row["amount_minor"]})
    books = currency.current(store)
    by_channel: dict[str, dict[str, int]] = {}
    for (channel, _), counts in paid.items():
        _add(by_channel.setdefault(channel, {}), counts)
    everything: dict[str, int] = {}
    for counts in by_channel.values():
        _add(everything, counts)
    return {"from": start, "to": end, "currency": books,
            "total": {**_figures(total, all_contacts), **_money(everything, books)},
            "by_source": {source: _figures(counts, contacts[source]) for source, counts in sorted(per_source.items())},
            "leads_by_day": [{"day": day, "by_source": by_source} for day, by_source in sorted(days.items())],
            "attribution": {
                "by_source": {channel: _money(counts, books) for channel, counts in sorted(by_channel.items())},
                "by_campaign": [{"source": channel, "campaign": campaign, **_money(counts, books)}
                                for (channel, campaign), counts in sorted(paid.items())]}}


def value_by_cohort(store: Store, created_from: str, created_to: str, cohort: str) -> dict[str, Any]:
    """What the leads that arrived each month are worth so far (a simple lifetime value), in total and per
    attributed source."""
    if cohort != "month":
        raise ValidationFailed([{"field": "cohort", "reason": "cohorts are by month (cohort=month)"}])
    start, end = _days(created_from, created_to)
    months: dict[str, dict[str, dict[str, int]]] = {}
    for found, item in counters.cohorts(store, start, end):
        by_channel = months.setdefault(found.day[:7], {})
        _add(by_channel.setdefault(found.channel, {}), item)
    books = currency.current(store)
    answer = []
    for month, by_channel in sorted(months.items()):
        everything: dict[str, int] = {}
        for counts in by_channel.values():
            _add(everything, counts)
        answer.append({"month": month, **_value(everything),
                       "by_source": {channel: _value(counts) for channel, counts in sorted(by_channel.items())}})
    return {"from": start, "to": end, "cohort": cohort, "currency": books, "months": answer}


def _campaign_aliases(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """A platform's campaign id (what Google lead forms carry as utm_campaign) → the campaign its spend names."""
    return {(row["source"], str(row["campaign_id"])): row["campaign"] for row in rows if row.get("campaign_id")}


def _add(into: dict[str, int], counts: Mapping[str, Any]) -> None:
    for name in (*MONEY_COUNTS, "spend_minor"):
        if name in counts:
            into[name] = into.get(name, 0) + int(counts[name])


def _money(counts: Mapping[str, int], books: str | None) -> dict[str, Any]:
    leads, mql, won = counts.get("leads", 0), counts.get("mql", 0), counts.get("won", 0)
    figures = money.figures(counts.get("spend_minor", 0), counts.get("value_won_minor", 0), leads, mql, won)
    shown = {name: money.shown_ratio(value) if name in ("roas", "lead_to_customer_rate") else value
             for name, value in figures.items()}
    return {"leads": leads, "mql": mql, "won": won, **shown, "currency": books}


def _value(counts: Mapping[str, int]) -> dict[str, Any]:
    leads, value = counts.get("leads", 0), counts.get("value_won_minor", 0)
    return {"leads": leads, "won": counts.get("won", 0), "value_won_minor": value,
            "value_per_lead_minor": money.per(value, leads)}
