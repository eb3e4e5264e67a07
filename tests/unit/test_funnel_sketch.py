"""The funnel's times to first contact as a sketch: bounded however many leads a day brings, percentiles within 2%."""

from __future__ import annotations

import math
import random

import pytest

from leadwire.lead import LeadRecord
from leadwire.owner import reports
from leadwire.store import funnel, schema
from leadwire.store.memory import MemoryTable


def lead(n: int) -> LeadRecord:
    return LeadRecord(id=f"l{n}", created_at="2026-10-05T09:00:00Z", updated_at="2026-10-05T09:00:00Z",
                      source="website", status="new", inputs_version=1)


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def test_ten_thousand_contacts_in_one_day_keep_the_cohort_small_and_the_percentiles_within_two_percent():
    # Given a busy day: 10,000 first contacts from a few seconds to three days after arrival
    table = MemoryTable()
    rng = random.Random(14)
    seconds = [rng.lognormvariate(math.log(900), 1.5) for _ in range(10_000)]
    for n, value in enumerate(seconds):
        table.transact([funnel.count_action(table, lead(n), first_contact_s=value, contacted=1)])

    # Then the cohort item holds a bounded number of counters, not a value per contact
    item = table.get(schema.funnel_cohort(funnel.cohort_sk(lead(0))))
    assert item is not None and len(item) < 400 and "first_contact_s" not in item
    # And the report's median and p90 are within the sketch's 2% of the exact nearest-rank ones
    figures = reports.funnel(table, "2026-10-05", "2026-10-05")["total"]["first_contact_minutes"]
    assert figures["contacted"] == 10_000
    assert figures["median"] == pytest.approx(nearest_rank(seconds, 0.5) / 60, rel=0.02)
    assert figures["p90"] == pytest.approx(nearest_rank(seconds, 0.9) / 60, rel=0.02)


def test_a_cohort_written_before_the_sketch_is_still_read():
    table = MemoryTable()
    legacy = schema.funnel_cohort(schema.legacy_funnel_cohort_sk("2026-10-04", "meta"))
    table.put({**legacy, "contacted": 3, "first_contact_s": [60.0, 120.0, 600.0]})

    figures = reports.funnel(table, "2026-10-04", "2026-10-04")["by_source"]["meta"]["first_contact_minutes"]

    assert figures["contacted"] == 3 and figures["median"] == pytest.approx(2.0, rel=0.02)
