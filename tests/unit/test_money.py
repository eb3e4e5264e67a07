"""The money arithmetic, by property: exact integers of minor units, no float anywhere, sums that add up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadwire import money
from leadwire.errors import ValidationFailed
from leadwire.owner import reports
from leadwire.store import schema
from leadwire.store.memory import MemoryTable
from leadwire.store.spend import put_rows
from leadwire.store.table import Update

minor_amounts = st.integers(min_value=0, max_value=10**12)
counts = st.integers(min_value=0, max_value=10**6)
SOURCES = ("google", "meta", "newsletter", "website")


@settings(deadline=None)  # a loaded CI machine is no reason to fail exact arithmetic
@given(minor_amounts, st.sampled_from(["EUR", "JPY", "KWD"]))
def test_an_amount_written_as_decimal_text_reads_back_as_its_minor_units(minor, currency):
    places = money.decimals(currency)
    text = f"{Decimal(minor).scaleb(-places):.{places}f}"
    assert money.to_minor(text, currency) == minor
    assert money.to_minor(Decimal(text), currency) == minor
    assert type(money.to_minor(text, currency)) is int


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=9))
def test_more_decimals_than_the_currency_has_are_refused_never_rounded(minor, extra):
    with pytest.raises(ValidationFailed):
        money.to_minor(f"{minor}.00{extra}", "EUR")


def test_a_float_is_refused():
    with pytest.raises(ValidationFailed):
        money.to_minor(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        money.Amount.model_validate({"amount": 0.1, "currency": "EUR"})


@settings(deadline=None)
@given(minor_amounts, counts)
def test_a_share_is_the_nearest_whole_minor_unit_and_none_for_nothing(total, count):
    share = money.per(total, count)
    if count == 0:
        assert share is None
        return
    assert type(share) is int
    assert abs(Decimal(share) * count - total) <= Decimal(count) / 2  # within half a unit per count


@settings(deadline=None)
@given(minor_amounts, minor_amounts, counts, counts, counts)
def test_every_figure_is_an_int_a_decimal_or_none(spend, value, leads, mql, won):
    for name, figure in money.figures(spend, value, leads, mql, won).items():
        assert figure is None or type(figure) in (int, Decimal), name
        assert not isinstance(figure, float), name


cohorts = st.lists(st.tuples(st.sampled_from(SOURCES), st.sampled_from(["", "fall", "spring"]),
                             st.integers(0, 50), st.integers(0, 10), minor_amounts), max_size=12)
spends = st.lists(st.tuples(st.sampled_from(SOURCES), st.sampled_from(["", "fall", "spring"]), minor_amounts),
                  max_size=12)


@settings(max_examples=60, deadline=None)
@given(cohorts, spends)
def test_the_sums_by_source_and_by_campaign_equal_the_total(found, spent):
    # Given counters and spend on one day, as the store keeps them
    table = MemoryTable()
    for source, campaign, leads, won, value in found:
        sk = schema.funnel_cohort_sk("2026-11-20", "website", source, campaign)
        table.update(schema.funnel_cohort(sk), Update().add(leads=leads, won=won, value_won_minor=value))
    put_rows(table, [{"day": "2026-11-20", "source": source, "account": str(number), "campaign": campaign,
                      "amount_minor": amount, "currency": "EUR"} for number, (source, campaign, amount) in
                     enumerate(spent)])

    # When the report adds them up
    report = reports.funnel(table, "2026-11-20", "2026-11-20")

    # Then each money sum by source and by campaign equals the total, and no money figure is a float
    total = report["total"]
    for name in ("spend_minor", "value_won_minor", "leads", "won"):
        assert sum(row[name] for row in report["attribution"]["by_source"].values()) == total[name]
        assert sum(row[name] for row in report["attribution"]["by_campaign"]) == total[name]
        assert type(total[name]) is int
    assert total["spend_minor"] == sum(amount for _, _, amount in spent)
    assert total["value_won_minor"] == sum(value for *_, value in found)
    for row in [total, *report["attribution"]["by_campaign"]]:
        assert all(type(row[name]) in (int, type(None)) for name in row if name.endswith("_minor"))
