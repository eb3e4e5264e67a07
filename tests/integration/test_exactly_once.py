"""Each lead exactly once: repeats create nothing, the same person merges, concurrency cannot split a person."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from leadwire.intake.dedupe import accept
from leadwire.lead import LeadInput
from leadwire.store import schema

pytestmark = pytest.mark.integration
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def lead_input(**fields) -> LeadInput:
    return LeadInput(**{"source": "website", "email": "ida@example.com", "first_name": "Ida", **fields})


def all_leads(store) -> list[dict]:
    return [item for item in store.client.scan(TableName=store.table)["Items"] if item["sk"]["S"] == "LEAD"]


def test_a_repeated_platform_id_answers_duplicate_and_changes_nothing(store):
    # Given a Google lead already stored
    first = accept(lead_input(source="google", source_ref="lead-1"), store, NOW)
    stored = store.get(schema.lead(first.lead_id))

    # When Google delivers the same lead id again
    again = accept(lead_input(source="google", source_ref="lead-1", company="Changed Ltd"), store, NOW)

    # Then it is a duplicate of the same lead, and nothing changed
    assert (first.outcome, again.outcome) == ("created", "duplicate")
    assert again.lead_id == first.lead_id
    assert store.get(schema.lead(first.lead_id)) == stored


def test_the_same_person_merges_filling_gaps_without_overwriting(store):
    # Given a lead with an email and a company
    first = accept(lead_input(company="Ida's Bakery"), store, NOW)

    # When the same person submits again with a phone and an empty company
    second = accept(lead_input(email="ida@example.com", phone="+4930123456", company=None, first_name="Idaa"),
                    store, NOW)

    # Then one lead holds both, the first name and company kept, touches counted
    lead = store.get(schema.lead(first.lead_id))
    assert (second.lead_id, second.outcome) == (first.lead_id, "merged")
    assert (lead["company"], lead["first_name"], lead["phone"], lead["touches"]) == \
        ("Ida's Bakery", "Ida", "+4930123456", 2)
    # And the new phone now finds the same person
    assert accept(lead_input(email=None, phone="+4930123456"), store, NOW).lead_id == first.lead_id


def test_fifty_concurrent_identical_submissions_make_one_lead(store):
    # When 50 identical submissions arrive at the same instant
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: accept(lead_input(), store, NOW), range(50)))

    # Then there is one lead, created once and merged 49 times
    assert len({result.lead_id for result in results}) == 1
    assert sorted(result.outcome for result in results).count("created") == 1
    assert len(all_leads(store)) == 1
    assert store.get(schema.lead(results[0].lead_id))["touches"] == 50


def test_fifty_concurrent_deliveries_of_one_webhook_id_make_one_lead(store):
    # When one webhook delivery is retried 50 times at once
    delivery = lead_input(source="webhook", source_ref="msg_1")
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: accept(delivery, store, NOW), range(50)))

    # Then one lead exists and every other delivery was a duplicate that changed nothing
    assert [result.outcome for result in results].count("created") == 1
    assert [result.outcome for result in results].count("duplicate") == 49
    assert store.get(schema.lead(results[0].lead_id))["touches"] == 1
