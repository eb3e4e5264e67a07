"""Spend, deal value and the money figures of the funnel on the in-memory table: every figure by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from leadwire.errors import ValidationFailed
from leadwire.money import Amount
from leadwire.owner import reports, spend
from leadwire.owner.leads import EngagementIn, LeadPatch, change, record_event
from tests.unit.services.conftest import BASE_URL, T, stored, submit

SPEND_CSV = (b"\xef\xbb\xbfday,source,campaign,amount_minor,currency\n"
             b"2026-10-05,google,fall,30000,EUR\n"
             b"2026-10-05,meta,spring,10000,EUR\n"
             b"2026-10-06,google,fall,20000,EUR\n")


def won(table, notifier, lead_id: str, amount: str) -> None:
    patch = LeadPatch.model_validate({"status": "won", "value": {"amount": Decimal(amount), "currency": "EUR"}})
    change(table, notifier, lead_id, patch, T + timedelta(hours=1), BASE_URL)


def test_spend_rows_are_stored_and_a_bad_one_is_refused_by_number_and_field(table):
    # Given a CSV with a bad day on its third line
    body = SPEND_CSV.replace(b"2026-10-05,meta", b"2026-13-05,meta")

    # When it is loaded
    answer = spend.load(table, body, "text/csv")

    # Then the two good rows are stored and the bad one is named by its line and field
    assert answer["loaded"] == 2
    assert [(row["row"], row["field"]) for row in answer["refused"]] == [(3, "day")]
    rows = spend.read(table, "2026-10-01", "2026-10-31")["rows"]
    assert sorted((row["day"], row["source"], row["amount_minor"]) for row in rows) == [
        ("2026-10-05", "google", 30000), ("2026-10-06", "google", 20000)]


def test_loading_the_same_spend_again_changes_nothing(table):
    spend.load(table, SPEND_CSV, "text/csv")
    before = spend.read(table, "2026-10-01", "2026-10-31")
    spend.load(table, SPEND_CSV, "text/csv")
    assert spend.read(table, "2026-10-01", "2026-10-31") == before
    assert len(before["rows"]) == 3


def test_a_second_currency_is_refused_with_the_field_named(table):
    spend.load(table, SPEND_CSV, "text/csv")
    with pytest.raises(ValidationFailed) as refused:
        spend.load(table, b'{"rows": [{"day": "2026-10-07", "source": "google", "amount_minor": 5, '
                          b'"currency": "USD"}]}', "application/json")
    assert refused.value.details[0]["field"] == "currency"
    assert "EUR" in refused.value.details[0]["reason"]


def test_the_report_of_two_sources_matches_the_hand_computed_figures(table, notifier, team):
    # Given spend of 500.00 on google/fall and 100.00 on meta/spring
    spend.load(table, SPEND_CSV, "text/csv")
    # and three leads from google/fall, one from meta's platform
    google = [submit(table, email=f"g{n}@example.com", utm={"source": "google", "campaign": "fall"})
              for n in range(3)]
    meta = submit(table, email="m@example.com", utm={"source": "meta", "campaign": "spring"})
    # of which two google leads are won for 1250.00 and 99.99, and one buys again for 10.01
    won(table, notifier, google[0], "1250.00")
    won(table, notifier, google[1], "99.99")
    record_event(table, google[0], EngagementIn.model_validate(
        {"id": "order-1", "type": "purchase", "value": {"amount": "10.01", "currency": "EUR"}}), T)

    report = reports.funnel(table, "2026-10-05", "2026-10-06")

    fall = next(row for row in report["attribution"]["by_campaign"] if row["campaign"] == "fall")
    assert fall == {"source": "google", "campaign": "fall", "leads": 3, "mql": 0, "won": 2,
                    "spend_minor": 50000, "cost_per_lead_minor": 16667, "cost_per_mql_minor": None,
                    "cost_per_won_minor": 25000, "value_won_minor": 136000, "value_per_lead_minor": 45333,
                    "roas": 2.72, "lead_to_customer_rate": 0.6667, "currency": "EUR"}
    spring = report["attribution"]["by_source"]["meta"]
    assert (spring["leads"], spring["spend_minor"], spring["cost_per_lead_minor"], spring["roas"]) == \
        (1, 10000, 10000, 0.0)
    total = report["total"]
    assert (total["leads"], total["won"], total["spend_minor"], total["value_won_minor"]) == (4, 2, 60000, 136000)
    assert (total["cost_per_lead_minor"], total["cost_per_won_minor"], total["roas"]) == (15000, 30000, 2.2667)
    assert stored(table, google[0]).value_minor == 125000 + 1001
    assert meta


def test_a_purchase_sent_twice_counts_once(table, notifier, team):
    lead_id = submit(table)
    event = EngagementIn.model_validate({"id": "order-7", "type": "purchase",
                                         "value": {"amount": "20.00", "currency": "EUR"}})
    assert record_event(table, lead_id, event, T)[1] is True
    assert record_event(table, lead_id, event, T)[1] is False
    assert stored(table, lead_id).value_minor == 2000
    assert reports.funnel(table, "2026-10-05", "2026-10-05")["total"]["value_won_minor"] == 2000


def test_a_win_sent_twice_counts_its_value_once(table, notifier, team):
    lead_id = submit(table)
    won(table, notifier, lead_id, "1250.00")
    won(table, notifier, lead_id, "1250.00")
    assert stored(table, lead_id).value_minor == 125000
    assert reports.funnel(table, "2026-10-05", "2026-10-05")["total"]["value_won_minor"] == 125000


def test_a_value_in_another_currency_is_refused(table, notifier, team):
    lead_id = submit(table)
    won(table, notifier, lead_id, "10.00")
    other = submit(table, email="other@example.com")
    with pytest.raises(ValidationFailed) as refused:
        change(table, notifier, other, LeadPatch(status="won", value=Amount(amount="5", currency="USD")), T,
               BASE_URL)
    assert refused.value.details[0]["field"] == "value.currency"
    assert stored(table, other).status != "won"


def test_value_by_month_of_arrival(table, notifier, team):
    october = submit(table, email="a@example.com")
    november = submit(table, T + timedelta(days=40), email="b@example.com")
    won(table, notifier, october, "100.00")
    won(table, notifier, november, "30.00")
    months = reports.value_by_cohort(table, "2026-10-01", "2026-11-30", "month")["months"]
    assert [(month["month"], month["leads"], month["value_won_minor"]) for month in months] == [
        ("2026-10", 1, 10000), ("2026-11", 1, 3000)]


def test_a_campaign_of_any_length_or_script_still_makes_a_lead_and_a_key_dynamodb_takes(table):
    # A public form's UTM is whatever the link said: the counter key it becomes stays under DynamoDB's 1,024 bytes
    lead_id = submit(table, utm={"source": "𝔤" * 300, "campaign": "%#𝔣" * 300})
    cohort = stored(table, lead_id).cohort
    assert cohort is not None and len(cohort.encode()) < 1024
    assert reports.funnel(table, "2026-10-05", "2026-10-05")["total"]["leads"] == 1
