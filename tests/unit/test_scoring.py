"""The score ledger: reasons that add up, decay by half-life, caps, stages that only rise, refreshes that keep
decay true."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadwire.clock import iso
from leadwire.config import Scoring, default_config
from leadwire.scoring.score import REFRESH_AT_LEAST_EVERY, next_refresh_at, score_lead, stage_rank

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SCORING = default_config().scoring
KNOWN = sorted(SCORING.engagement)
POSITIVE = [kind for kind in KNOWN if SCORING.engagement[kind].points > 0]


def event(kind: str, days_ago: float = 0) -> dict[str, Any]:
    return {"type": kind, "at": iso(NOW - timedelta(days=days_ago)), "detail": {}}


def scoring(**changes: Any) -> Scoring:
    return Scoring.model_validate({**SCORING.model_dump(by_alias=True), **changes})


def points_by_rule(lead: dict[str, Any], events: list[dict[str, Any]], rules: Scoring = SCORING) -> dict[str, float]:
    return {reason.rule: reason.points for reason in score_lead(lead, events, rules, NOW).reasons}


# --- fit ------------------------------------------------------------------------------------------------------------

def test_each_matching_fit_rule_gives_one_reason_named_by_its_id() -> None:
    lead = {"email": "ceo@gmail.com", "phone": "+4930123", "job_title": "Founder & CEO"}
    result = score_lead(lead, [], SCORING, NOW)
    assert points_by_rule(lead, []) == {"has-email": 10, "has-phone": 5, "senior": 20, "freemail": -10}
    assert (result.fit, result.engagement, result.score, result.stage, result.rose) == (25, 0, 25, "lead", False)


def test_a_lead_that_matches_nothing_scores_zero_with_no_reasons() -> None:
    result = score_lead({}, [], SCORING, NOW)
    assert (result.score, result.reasons) == (0, [])


# --- engagement -----------------------------------------------------------------------------------------------------

def test_engagement_gives_one_reason_per_event_type() -> None:
    events = [event("link_click"), event("link_click", days_ago=30), event("demo_request")]
    assert points_by_rule({}, events) == {"engagement:demo_request": 30, "engagement:link_click": 7.5}


def test_an_event_exactly_one_half_life_old_counts_half() -> None:
    result = score_lead({}, [event("demo_request", days_ago=SCORING.half_life_days)], SCORING, NOW)
    assert result.engagement == 15


def test_a_custom_half_life_is_honoured() -> None:
    assert score_lead({}, [event("demo_request", days_ago=14)], scoring(half_life_days=7), NOW).engagement == 7.5


def test_caps_bound_each_event_type() -> None:
    opens = [event("email_open") for _ in range(20)]
    assert points_by_rule({}, [*opens, event("link_click")]) == {"engagement:email_open": 10,
                                                                 "engagement:link_click": 5}


def test_a_cap_on_negative_points_bounds_their_magnitude() -> None:
    rules = scoring(engagement={"unsubscribe": {"points": -20, "max": 25}})
    assert score_lead({}, [event("unsubscribe")] * 3, rules, NOW).engagement == -25


def test_unknown_types_and_unreadable_times_score_nothing_and_future_events_count_in_full() -> None:
    events = [event("fax_received"), {"type": "demo_request", "at": "yesterday"}, {"type": "demo_request"},
              event("link_click", days_ago=-3)]
    result = score_lead({}, events, SCORING, NOW)
    assert [reason.rule for reason in result.reasons] == ["engagement:link_click"]
    assert result.engagement == 5


def test_engagement_that_decayed_below_a_cent_gives_no_reason() -> None:
    assert points_by_rule({}, [event("page_view", days_ago=30 * 20)]) == {}


def test_a_naive_now_is_taken_as_utc() -> None:
    naive = score_lead({}, [event("demo_request", days_ago=30)], SCORING, NOW.replace(tzinfo=None))
    assert naive.engagement == 15


def test_reasons_are_rounded_to_cents_and_add_up_exactly() -> None:
    # Given three types that each decay to a third of a point
    rules = scoring(half_life_days=1, engagement={kind: {"points": 1 / 3} for kind in ("a", "b", "c")})
    # When
    result = score_lead({"email": "x@y.example"}, [event("a"), event("b"), event("c")], rules, NOW)
    # Then
    assert [reason.points for reason in result.reasons] == [10, 0.33, 0.33, 0.33]
    assert (result.engagement, result.score) == (0.99, 10.99)


# --- stage ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("events", "stage"), [
    ([], "lead"),
    ([event("demo_request"), event("pricing_view")], "mql"),
    ([event("meeting_booked"), event("demo_request")], "sql"),
])
def test_the_stage_is_the_highest_threshold_reached(events: list[dict[str, Any]], stage: str) -> None:
    result = score_lead({}, events, SCORING, NOW)
    assert (result.stage, result.rose) == (stage, stage != "lead")


def test_a_score_exactly_on_a_threshold_reaches_it() -> None:
    assert score_lead({}, [event("demo_request")], scoring(mql=30), NOW).stage == "mql"


def test_the_stage_never_falls_and_rose_says_when_it_rises() -> None:
    fallen = score_lead({}, [], SCORING, NOW, current_stage="sql")
    risen = score_lead({}, [event("meeting_booked"), event("demo_request")], SCORING, NOW, current_stage="mql")
    assert (fallen.stage, fallen.rose) == ("sql", False)
    assert (risen.stage, risen.rose) == ("sql", True)


def test_stage_rank_orders_the_stages() -> None:
    assert [stage_rank(stage) for stage in ("lead", "mql", "sql", "unknown")] == [0, 1, 2, 0]


# --- refresh --------------------------------------------------------------------------------------------------------

def test_no_refresh_without_engagement() -> None:
    assert next_refresh_at([], SCORING, NOW) is None
    assert next_refresh_at([event("fax_received")], SCORING, NOW) is None
    assert next_refresh_at([event("page_view", days_ago=30 * 20)], SCORING, NOW) is None


def test_refresh_comes_after_a_point_of_drift() -> None:
    # 100 points with a one-day half-life lose a point within the first hour
    rules = scoring(half_life_days=1, engagement={"demo_request": {"points": 100}})
    assert next_refresh_at([event("demo_request")], rules, NOW) == NOW + timedelta(hours=1)


def test_refresh_comes_at_least_daily_while_engagement_remains() -> None:
    assert next_refresh_at([event("email_open")], SCORING, NOW) == NOW + REFRESH_AT_LEAST_EVERY


def test_refresh_also_follows_decaying_negative_engagement() -> None:
    assert next_refresh_at([event("unsubscribe")], SCORING, NOW) == NOW + REFRESH_AT_LEAST_EVERY


# --- properties -----------------------------------------------------------------------------------------------------

ages = st.floats(min_value=-5, max_value=400)  # negative: an event stamped after "now"
histories = st.lists(st.tuples(st.sampled_from([*KNOWN, "other"]), ages), max_size=30)
leads = st.fixed_dictionaries({}, optional={
    "email": st.sampled_from(["a@gmail.com", "b@acme.example", "nope"]), "phone": st.just("+4930123"),
    "job_title": st.sampled_from(["Owner", "Intern", ""]), "company": st.text(max_size=5)})
stages = st.sampled_from(["lead", "mql", "sql"])
engagement_rules = st.dictionaries(
    st.sampled_from(KNOWN),
    st.fixed_dictionaries({"points": st.floats(min_value=-50, max_value=50).filter(bool)},
                          optional={"max": st.floats(min_value=0.01, max_value=60)}),
    min_size=1)


def events_of(history: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [event(kind, days_ago) for kind, days_ago in history]


@given(lead=leads, history=histories, stage=stages)
def test_the_reasons_always_sum_to_the_score(lead: dict[str, Any], history: list[tuple[str, float]],
                                             stage: str) -> None:
    result = score_lead(lead, events_of(history), SCORING, NOW, current_stage=stage)
    assert round(sum(reason.points for reason in result.reasons), 2) == result.score
    assert round(result.fit + result.engagement, 2) == result.score
    assert all(round(reason.points, 2) == reason.points for reason in result.reasons)


@given(lead=leads, history=histories, extra=st.sampled_from(POSITIVE), days_ago=ages)
def test_adding_a_positive_event_never_lowers_the_score(lead: dict[str, Any], history: list[tuple[str, float]],
                                                        extra: str, days_ago: float) -> None:
    before = score_lead(lead, events_of(history), SCORING, NOW)
    after = score_lead(lead, [*events_of(history), event(extra, days_ago)], SCORING, NOW)
    assert after.score >= before.score
    assert stage_rank(after.stage) >= stage_rank(before.stage)


@given(points=st.integers(min_value=1, max_value=1000), half_life=st.integers(min_value=1, max_value=365))
def test_any_event_exactly_one_half_life_old_counts_half(points: int, half_life: int) -> None:
    rules = scoring(half_life_days=half_life, engagement={"demo_request": {"points": points}})
    result = score_lead({}, [event("demo_request", days_ago=half_life)], rules, NOW)
    assert result.engagement == round(points / 2, 2)


@given(rules=engagement_rules, history=st.lists(st.tuples(st.sampled_from(KNOWN), ages), max_size=40))
def test_caps_are_never_exceeded(rules: dict[str, Any], history: list[tuple[str, float]]) -> None:
    config = scoring(engagement=rules)
    for reason in score_lead({}, events_of(history), config, NOW).reasons:
        cap = config.engagement[reason.rule.removeprefix("engagement:")].max
        assert cap is None or abs(reason.points) <= cap


@given(stage=stages, history=histories, lead=leads)
def test_the_stage_only_moves_up(stage: str, history: list[tuple[str, float]], lead: dict[str, Any]) -> None:
    result = score_lead(lead, events_of(history), SCORING, NOW, current_stage=stage)
    assert stage_rank(result.stage) >= stage_rank(stage)
    assert result.rose is (stage_rank(result.stage) > stage_rank(stage))


@given(lead=leads, history=histories, seed=st.integers())
def test_deterministic_for_a_fixed_now_whatever_the_order_of_events(lead: dict[str, Any],
                                                                    history: list[tuple[str, float]],
                                                                    seed: int) -> None:
    events = events_of(history)
    shuffled = events[:]
    random.Random(seed).shuffle(shuffled)
    first = score_lead(lead, events, SCORING, NOW)
    assert score_lead(lead, events, SCORING, NOW) == first
    assert score_lead(lead, shuffled, SCORING, NOW) == first
    assert next_refresh_at(shuffled, SCORING, NOW) == next_refresh_at(events, SCORING, NOW)


@given(history=histories)
def test_a_refresh_is_planned_within_a_day_exactly_while_engagement_remains(
        history: list[tuple[str, float]]) -> None:
    events = events_of(history)
    refresh = next_refresh_at(events, SCORING, NOW)
    engaged = any(reason.rule.startswith("engagement:") for reason in score_lead({}, events, SCORING, NOW).reasons)
    assert (refresh is not None) is engaged
    assert refresh is None or NOW < refresh <= NOW + REFRESH_AT_LEAST_EVERY
