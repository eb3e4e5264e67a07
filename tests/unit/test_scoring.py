"""The score ledger: reasons that add up, decay by half-life, caps, stages that only rise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadwire.clock import iso
from leadwire.config import DEFAULT_CONFIG, Scoring
from leadwire.scoring import next_refresh_at, score_lead, stage_rank

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SCORING = DEFAULT_CONFIG.scoring
KNOWN = sorted(SCORING.engagement)


def event(kind: str, days_ago: float = 0) -> dict:
    return {"type": kind, "at": iso(NOW - timedelta(days=days_ago))}


def test_fit_rules_give_one_reason_each():
    lead = {"email": "ceo@gmail.com", "phone": "+4930123", "job_title": "Founder & CEO"}
    result = score_lead(lead, [], SCORING, NOW)
    assert {reason.rule: reason.points for reason in result.reasons} == \
        {"has-email": 10, "has-phone": 5, "senior": 20, "freemail": -10}
    assert (result.fit, result.engagement, result.score, result.stage) == (25, 0, 25, "lead")


def test_an_event_exactly_one_half_life_old_counts_half():
    result = score_lead({}, [event("demo_request", days_ago=SCORING.half_life_days)], SCORING, NOW)
    assert result.engagement == pytest.approx(15)


def test_caps_bound_each_event_type():
    opens = [event("email_open") for _ in range(20)]
    assert score_lead({}, opens, SCORING, NOW).engagement == 10


def test_unknown_event_types_score_nothing_and_future_events_count_in_full():
    result = score_lead({}, [event("fax_received"), event("link_click", days_ago=-3)], SCORING, NOW)
    assert [reason.rule for reason in result.reasons] == ["engagement:link_click"]
    assert result.engagement == 5


def test_stage_thresholds_and_the_stage_never_falls():
    assert score_lead({}, [event("demo_request"), event("pricing_view")], SCORING, NOW).stage == "mql"
    assert score_lead({}, [event("meeting_booked"), event("demo_request")], SCORING, NOW).stage == "sql"
    fallen = score_lead({}, [], SCORING, NOW, current_stage="sql")
    assert (fallen.stage, fallen.rose) == ("sql", False)


def test_refresh_is_planned_while_engagement_remains():
    assert next_refresh_at([], SCORING, NOW) is None
    refresh = next_refresh_at([event("meeting_booked")], SCORING, NOW)
    assert refresh is not None and NOW < refresh <= NOW + timedelta(days=1)


events = st.lists(st.tuples(st.sampled_from([*KNOWN, "other"]), st.floats(min_value=-5, max_value=400)),
                  max_size=30)
leads = st.fixed_dictionaries({}, optional={
    "email": st.sampled_from(["a@gmail.com", "b@acme.example", "nope"]), "phone": st.just("+4930123"),
    "job_title": st.sampled_from(["Owner", "Intern", ""]), "company": st.text(max_size=5)})


@settings(max_examples=200)
@given(lead=leads, happened=events)
def test_the_reasons_always_sum_to_the_score(lead, happened):
    result = score_lead(lead, [event(kind, days) for kind, days in happened], SCORING, NOW)
    assert sum(reason.points for reason in result.reasons) == pytest.approx(result.score, abs=1e-6)
    assert result.fit + result.engagement == pytest.approx(result.score, abs=1e-6)


@settings(max_examples=200)
@given(lead=leads, happened=events, extra=st.sampled_from([kind for kind in KNOWN
                                                          if SCORING.engagement[kind].points > 0]),
       days=st.floats(min_value=0, max_value=400))
def test_adding_a_positive_event_never_lowers_the_score(lead, happened, extra, days):
    before = score_lead(lead, [event(kind, age) for kind, age in happened], SCORING, NOW)
    after = score_lead(lead, [event(kind, age) for kind, age in happened] + [event(extra, days)], SCORING, NOW)
    assert after.score >= before.score - 0.01  # rounding of each reason to cents


@settings(max_examples=200)
@given(happened=events)
def test_caps_are_never_exceeded(happened):
    result = score_lead({}, [event(kind, days) for kind, days in happened], SCORING, NOW)
    for reason in result.reasons:
        cap = SCORING.engagement[reason.rule.removeprefix("engagement:")].max
        assert cap is None or abs(reason.points) <= cap


@given(stage=st.sampled_from(["lead", "mql", "sql"]), happened=events)
def test_the_stage_only_moves_up(stage, happened):
    result = score_lead({}, [event(kind, days) for kind, days in happened], SCORING, NOW, current_stage=stage)
    assert stage_rank(result.stage) >= stage_rank(stage)


def test_a_custom_half_life_is_honoured():
    scoring = Scoring.model_validate({**SCORING.model_dump(by_alias=True), "half_life_days": 7})
    assert score_lead({}, [event("demo_request", days_ago=14)], scoring, NOW).engagement == pytest.approx(7.5)
