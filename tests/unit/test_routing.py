"""Routing: the pool a rule picks, who is eligible, and each strategy's fairness, with the clock passed in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadwire.config import Routing
from leadwire.routing.reps import Rep
from leadwire.routing.strategies import Decision, choose_rep, company_domain, pick_pool, pool_key

# Thursday 2026-10-01 07:30 UTC: 09:30 in Berlin, 03:30 in New York, 16:30 in Tokyo
THURSDAY_MORNING_IN_EUROPE = datetime(2026, 10, 1, 7, 30, tzinfo=UTC)
NINE_TO_FIVE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def rep(rep_id: str, **fields: Any) -> Rep:
    return Rep.model_validate({"id": rep_id, "name": rep_id.title(), "email": f"{rep_id}@example.com", **fields})


def routing(**fields: Any) -> Routing:
    return Routing.model_validate(fields)


def lead(**fields: Any) -> dict[str, Any]:
    return {"id": "lead-1", "source": "website", "email": "kim@acme.example", **fields}


def team(*rep_ids: str, **fields: Any) -> list[Rep]:
    return [rep(rep_id, **fields) for rep_id in rep_ids]


def owners(reps: Sequence[Rep], config: Routing, tickets: range, **lead_fields: Any) -> Counter[str | None]:
    return Counter(choose_rep(lead(**lead_fields), reps, config, THURSDAY_MORNING_IN_EUROPE, ticket).rep_id
                   for ticket in tickets)


TERRITORIES = routing(rules=[
    {"id": "dach", "if": {"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}, "reps": ["anna", "ben"]},
    {"id": "spanish", "if": {"field": "fields.language", "op": "equals", "value": "es"}, "reps": ["carla"]},
    {"id": "partners", "if": {"field": "source", "op": "equals", "value": "webhook"}, "reps": ["dave"]},
])


# --- fairness ------------------------------------------------------------------------------------------------------

def test_round_robin_gives_three_equal_reps_exactly_100_of_300_leads() -> None:
    assert owners(team("anna", "ben", "carla"), routing(strategy="round_robin"), range(300)) == \
        {"anna": 100, "ben": 100, "carla": 100}


def test_round_robin_takes_turns_in_a_stable_order_whatever_order_the_reps_come_in() -> None:
    reps = team("carla", "anna", "ben")
    config = routing(strategy="round_robin")

    chosen = [choose_rep(lead(), reps, config, THURSDAY_MORNING_IN_EUROPE, ticket).rep_id for ticket in range(6)]

    assert chosen == ["anna", "ben", "carla", "anna", "ben", "carla"]


def test_weighted_gives_weights_3_2_1_exactly_150_100_50_of_300_leads() -> None:
    reps = [rep("anna", weight=3), rep("ben", weight=2), rep("carla", weight=1)]

    assert owners(reps, routing(strategy="weighted"), range(300)) == {"anna": 150, "ben": 100, "carla": 50}


def test_weighted_is_smooth_like_nginx_not_in_bursts() -> None:
    # nginx's own example: weights 5/1/1 interleave as a a b a c a a, never five a's in a row
    reps = [rep("a", weight=5), rep("b", weight=1), rep("c", weight=1)]
    config = routing(strategy="weighted")

    chosen = "".join(str(choose_rep(lead(), reps, config, THURSDAY_MORNING_IN_EUROPE, ticket).rep_id)
                     for ticket in range(14))

    assert chosen == "aabacaa" * 2


@given(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=6), st.integers(0, 10_000))
def test_weighted_gives_each_rep_its_weight_in_any_window_of_one_period(weights: list[int], start: int) -> None:
    # Given reps r0, r1, … with the drawn weights
    reps = [rep(f"r{index}", weight=weight) for index, weight in enumerate(weights)]

    # When one full period of consecutive tickets is handed out, starting anywhere
    handed_out = owners(reps, routing(strategy="weighted"), range(start, start + sum(weights)))

    # Then everyone got exactly their weight
    assert handed_out == {f"r{index}": weight for index, weight in enumerate(weights)}


def test_least_loaded_picks_fewest_open_then_fewest_assigned_then_id() -> None:
    config = routing(strategy="least_loaded")

    def chosen(*reps: Rep) -> str | None:
        return choose_rep(lead(), list(reps), config, THURSDAY_MORNING_IN_EUROPE, ticket=0).rep_id

    assert chosen(rep("anna", open_leads=3), rep("ben", open_leads=1), rep("carla", open_leads=2)) == "ben"
    assert chosen(rep("anna", open_leads=1, assigned_total=9), rep("ben", open_leads=1, assigned_total=4)) == "ben"
    assert chosen(rep("ben", open_leads=1, assigned_total=4), rep("anna", open_leads=1, assigned_total=4)) == "anna"


def test_least_loaded_never_exceeds_a_capacity_while_leads_open_and_close() -> None:
    # Given three reps with different caps and a lead closed after every second assignment
    reps = {rep_id: rep(rep_id, capacity=capacity) for rep_id, capacity in (("anna", 4), ("ben", 6), ("carla", 8))}
    config = routing(strategy="least_loaded")
    blocked: list[Decision] = []

    # When 100 leads arrive
    for number in range(100):
        decision = choose_rep(lead(), list(reps.values()), config, THURSDAY_MORNING_IN_EUROPE, ticket=number)
        if decision.rep_id is None:
            blocked.append(decision)
        else:
            owner = reps[decision.rep_id]
            reps[owner.id] = owner.model_copy(update={"open_leads": owner.open_leads + 1,
                                                      "assigned_total": owner.assigned_total + 1})
        if number % 2:
            busiest = max(reps.values(), key=lambda candidate: candidate.open_leads)
            reps[busiest.id] = busiest.model_copy(update={"open_leads": busiest.open_leads - 1})

        # Then no rep ever holds more open leads than their capacity
        assert all(r.capacity is not None and r.open_leads <= r.capacity for r in reps.values())

    # And once everyone was full, leads waited with the reason instead of overflowing anyone
    assert blocked
    assert {decision.reason for decision in blocked} == {"all reps on the team at capacity"}
    assert sum(r.assigned_total for r in reps.values()) == 100 - len(blocked)


def test_round_robin_and_weighted_also_skip_reps_at_capacity() -> None:
    reps = [rep("anna", capacity=2, open_leads=2), rep("ben", weight=3), rep("carla", capacity=1)]

    for strategy in ("round_robin", "weighted"):
        assert "anna" not in owners(reps, routing(strategy=strategy), range(30))


# --- rules narrow the pool -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("lead_fields", "rule_id", "pool"), [
    ({"country": "DE"}, "dach", ["anna", "ben"]),
    ({"country": "CH", "source": "webhook"}, "dach", ["anna", "ben"]),  # the first matching rule wins
    ({"country": "US", "fields": {"language": "es"}}, "spanish", ["carla"]),
    ({"country": "FR", "source": "webhook"}, "partners", ["dave"]),
    ({"country": "US"}, None, ["anna", "ben", "carla", "dave", "erik"]),
    ({}, None, ["anna", "ben", "carla", "dave", "erik"]),
])
def test_the_first_matching_rule_narrows_the_pool(lead_fields: dict[str, Any], rule_id: str | None,
                                                  pool: list[str]) -> None:
    reps = team("erik", "dave", "carla", "ben", "anna")

    chosen_rule, chosen_pool = pick_pool(lead(**lead_fields), reps, TERRITORIES)

    assert (chosen_rule, [r.id for r in chosen_pool]) == (rule_id, pool)


def test_every_lead_lands_in_its_territory() -> None:
    reps = team("anna", "ben", "carla", "dave", "erik")

    assert owners(reps, TERRITORIES, range(10), country="AT") == {"anna": 5, "ben": 5}
    assert owners(reps, TERRITORIES, range(10), fields={"language": "es"}) == {"carla": 10}
    assert owners(reps, TERRITORIES, range(10), source="webhook") == {"dave": 10}
    assert owners(reps, TERRITORIES, range(10), country="US") == {"anna": 2, "ben": 2, "carla": 2, "dave": 2,
                                                                   "erik": 2}


def test_the_pool_is_known_before_choosing_so_the_caller_can_draw_its_ticket() -> None:
    reps = team("anna", "ben", "carla", "dave")
    dach_lead = lead(country="DE")

    rule_id, _ = pick_pool(dach_lead, reps, TERRITORIES)
    decision = choose_rep(dach_lead, reps, TERRITORIES, THURSDAY_MORNING_IN_EUROPE, ticket=7)

    assert decision.rule_id == rule_id == "dach"
    assert pool_key(rule_id) == pool_key(decision) == "rule:dach"
    assert pool_key(None) == "team"


def test_a_rule_naming_no_rep_on_the_team_gives_a_reason() -> None:
    decision = choose_rep(lead(country="DE"), team("carla", "dave"), TERRITORIES, THURSDAY_MORNING_IN_EUROPE, 0)

    assert (decision.rep_id, decision.rule_id) == (None, "dach")
    assert decision.reason == "rule 'dach' names no rep on the team"


# --- eligibility ---------------------------------------------------------------------------------------------------

def test_reps_outside_their_own_working_hours_are_skipped() -> None:
    # Given reps in Berlin, New York and Tokyo working nine to five, at 09:30 Berlin time
    reps = [rep("berlin", timezone="Europe/Berlin", working_hours=NINE_TO_FIVE),
            rep("newyork", timezone="America/New_York", working_hours=NINE_TO_FIVE),
            rep("tokyo", timezone="Asia/Tokyo", working_hours=NINE_TO_FIVE)]

    # When working hours count
    handed_out = owners(reps, routing(working_hours=True), range(10))

    # Then New York (03:30) gets nothing
    assert handed_out == {"berlin": 5, "tokyo": 5}
    # And with working hours off everyone takes turns
    assert set(owners(reps, routing(working_hours=False), range(9))) == {"berlin", "newyork", "tokyo"}


def test_the_skipped_rep_and_their_local_time_are_in_the_decision() -> None:
    reps = [rep("berlin", timezone="Europe/Berlin", working_hours=NINE_TO_FIVE),
            rep("newyork", timezone="America/New_York", working_hours=NINE_TO_FIVE)]

    decision = choose_rep(lead(), reps, routing(working_hours=True), THURSDAY_MORNING_IN_EUROPE, ticket=1)

    assert decision.rep_id == "berlin"
    assert decision.skipped == [{"rep": "newyork",
                                 "reason": "outside working hours: Thu 03:30 in America/New_York"}]


def test_on_the_weekend_nobody_is_working_and_the_lead_waits_with_the_reason() -> None:
    reps = [rep("berlin", timezone="Europe/Berlin", working_hours=NINE_TO_FIVE),
            rep("tokyo", timezone="Asia/Tokyo", working_hours=NINE_TO_FIVE)]
    saturday = datetime(2026, 10, 3, 10, 0, tzinfo=UTC)

    decision = choose_rep(lead(), reps, routing(working_hours=True), saturday, ticket=0)

    assert decision.rep_id is None
    assert decision.reason == "all reps on the team outside working hours"
    assert [entry["rep"] for entry in decision.skipped] == ["berlin", "tokyo"]


def test_the_daylight_saving_switch_decides_who_is_at_work_at_the_same_utc_time() -> None:
    # Given a Berlin rep and a UTC rep, both nine to five; 07:30 UTC is 08:30 in Berlin before the switch
    reps = [rep("berlin", timezone="Europe/Berlin", working_hours=NINE_TO_FIVE),
            rep("london", timezone="UTC", working_hours={"mon": ["07:00-17:00"]})]
    config = routing(working_hours=True)

    before = choose_rep(lead(), reps, config, datetime(2026, 3, 23, 7, 30, tzinfo=UTC), ticket=0)
    after = choose_rep(lead(), reps, config, datetime(2026, 3, 30, 7, 30, tzinfo=UTC), ticket=0)

    assert before.rep_id == "london"
    assert before.skipped == [{"rep": "berlin", "reason": "outside working hours: Mon 08:30 in Europe/Berlin"}]
    assert (after.rep_id, after.skipped) == ("berlin", [])  # 09:30 CEST: both at work, berlin's turn


def test_inactive_reps_are_skipped() -> None:
    reps = [rep("anna", active=False), rep("ben"), rep("carla")]

    assert owners(reps, routing(), range(10)) == {"ben": 5, "carla": 5}


@pytest.mark.parametrize(("reps", "config", "lead_fields", "reason"), [
    ([rep("anna", active=False), rep("ben", active=False), rep("carla")], TERRITORIES, {"country": "DE"},
     "no active rep in pool 'dach'"),
    ([rep("anna", capacity=1, open_leads=1), rep("ben", capacity=3, open_leads=5)], routing(), {},
     "all reps on the team at capacity"),
    ([rep("anna", active=False), rep("ben", capacity=1, open_leads=1)], routing(), {},
     "no eligible rep on the team"),
    ([], routing(), {}, "no reps on the team"),
])
def test_no_eligible_rep_gives_a_human_reason(reps: list[Rep], config: Routing, lead_fields: dict[str, Any],
                                              reason: str) -> None:
    decision = choose_rep(lead(**lead_fields), reps, config, THURSDAY_MORNING_IN_EUROPE, ticket=0)

    assert (decision.rep_id, decision.reason) == (None, reason)


# --- sticky owners and reassignment --------------------------------------------------------------------------------

def test_a_returning_person_goes_back_to_their_eligible_previous_owner() -> None:
    decision = choose_rep(lead(), team("anna", "ben", "carla"), routing(), THURSDAY_MORNING_IN_EUROPE, ticket=0,
                          previous_owner="carla")

    assert (decision.rep_id, decision.strategy) == ("carla", "sticky")


@pytest.mark.parametrize(("carla", "why"), [
    (rep("carla", active=False), "previous owner carla skipped"),
    (rep("carla", capacity=2, open_leads=2), "previous owner carla skipped"),
    (rep("carla", timezone="America/New_York", working_hours=NINE_TO_FIVE), "previous owner carla skipped"),
    (None, "previous owner carla not in the pool"),
])
def test_an_ineligible_previous_owner_gives_way_to_the_strategy(carla: Rep | None, why: str) -> None:
    reps = [*team("anna", "ben"), *([carla] if carla else [])]

    decision = choose_rep(lead(), reps, routing(working_hours=True), THURSDAY_MORNING_IN_EUROPE, ticket=0,
                          previous_owner="carla")

    assert (decision.rep_id, decision.strategy) == ("anna", "round_robin")
    assert decision.reason.startswith(why)


def test_a_previous_owner_outside_the_matching_rules_pool_is_not_sticky() -> None:
    decision = choose_rep(lead(country="DE"), team("anna", "ben", "carla"), TERRITORIES, THURSDAY_MORNING_IN_EUROPE,
                          ticket=0, previous_owner="carla")

    assert decision.rep_id in {"anna", "ben"}


@pytest.mark.parametrize("strategy", ["round_robin", "weighted", "least_loaded"])
def test_reassignment_never_picks_the_rep_it_excludes(strategy: str) -> None:
    # Given the current owner is the least loaded and heaviest rep, and was the previous owner too
    reps = [rep("anna", weight=5), rep("ben", open_leads=3), rep("carla", open_leads=4)]

    # When reassigning away from anna at every possible turn
    decisions = [choose_rep(lead(), reps, routing(strategy=strategy), THURSDAY_MORNING_IN_EUROPE, ticket,
                            previous_owner="anna", exclude=frozenset({"anna"})) for ticket in range(20)]

    # Then anna never gets it back
    assert all(decision.rep_id in {"ben", "carla"} for decision in decisions)
    assert all(decision.skipped == [{"rep": "anna", "reason": "excluded"}] for decision in decisions)


def test_reassignment_in_a_pool_of_one_finds_no_other_rep() -> None:
    decision = choose_rep(lead(fields={"language": "es"}), team("anna", "carla"), TERRITORIES,
                          THURSDAY_MORNING_IN_EUROPE, ticket=0, exclude=frozenset({"carla"}))

    assert (decision.rep_id, decision.reason) == (None, "no other rep in pool 'spanish'")


# --- explanation and determinism -----------------------------------------------------------------------------------

def test_the_explanation_says_rule_strategy_choice_and_who_was_skipped_why() -> None:
    reps = [rep("anna", active=False), rep("ben", timezone="America/New_York", working_hours=NINE_TO_FIVE),
            rep("carla")]
    config = routing(working_hours=True, rules=[
        {"id": "everyone", "if": {"field": "email", "op": "exists"}, "reps": ["anna", "ben", "carla"]}])

    explanation = choose_rep(lead(), reps, config, THURSDAY_MORNING_IN_EUROPE, ticket=5).explain()

    assert explanation == ("rule 'everyone' matched; pool: anna, ben, carla; round_robin chose carla "
                           "(turn 5 of 1 eligible); skipped: anna (inactive), "
                           "ben (outside working hours: Thu 03:30 in America/New_York)")


def test_the_explanation_of_a_lead_left_waiting() -> None:
    explanation = choose_rep(lead(), [rep("anna", active=False)], routing(strategy="least_loaded"),
                             THURSDAY_MORNING_IN_EUROPE, ticket=0).explain()

    assert explanation == ("no rule matched, whole team; pool: anna; least_loaded: nobody chosen "
                           "(no active rep on the team); skipped: anna (inactive)")


def test_a_hand_made_decision_explains_itself_too() -> None:
    decision = Decision(rep_id="ben", rule_id=None, strategy="manual", skipped=[], reason="set by api")

    assert decision.explain() == "no rule matched, whole team; manual chose ben (set by api)"


def test_the_same_inputs_always_give_the_same_decision() -> None:
    reps = [rep("anna", weight=2), rep("ben", weight=1, timezone="Asia/Tokyo", working_hours=NINE_TO_FIVE)]
    config = routing(strategy="weighted", working_hours=True)

    first = choose_rep(lead(), reps, config, THURSDAY_MORNING_IN_EUROPE, ticket=41)

    assert choose_rep(lead(), list(reversed(reps)), config, THURSDAY_MORNING_IN_EUROPE, ticket=41) == first


# --- sticky by company domain --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "domain"), [
    ("kim@acme.example", "acme.example"),
    ("Kim.Lee@Sales.ACME.co.uk", "sales.acme.co.uk"),
    ("kim@live.acme.com", "live.acme.com"),  # a company subdomain that starts like a free-mail brand
    ("kim@gmail.com", None),
    ("kim@GoogleMail.com", None),
    ("kim@yahoo.co.uk", None),
    ("kim@yahoo.com.br", None),
    ("kim@hotmail.fr", None),
    ("kim@outlook.com", None),
    ("kim@icloud.com", None),
    ("kim@gmx.de", None),
    ("kim@gmx.net", None),
    ("kim@web.de", None),
    ("kim@proton.me", None),
    ("kim@protonmail.com", None),
    ("kim@mail.ru", None),
    ("kim@yandex.ru", None),
    ("not an address", None),
    ("kim@localhost", None),
    ("", None),
    (None, None),
])
def test_company_domain_ignores_free_mail(email: str | None, domain: str | None) -> None:
    assert company_domain(email) == domain
