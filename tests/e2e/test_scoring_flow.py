"""Scoring through the local stack: stages rise with engagement, decay shows on a far sweep, config re-scores."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadwire.clock import iso, parse_iso

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def a_rep(stack):
    stack.request("PUT", "/reps/sam", {"name": "Sam Seller", "email": "sam@team.example"})


def lead(stack, lead_id):
    return stack.request("GET", f"/leads/{lead_id}").json()


def test_a_lead_rises_from_lead_to_mql_to_sql_as_events_arrive(stack):
    # Given a plain lead with only an email (fit 10 under the default config)
    lead_id = stack.request("POST", "/leads", {"email": "olga@plain.example"}, auth=False).json()["id"]
    stack.drain()
    assert lead(stack, lead_id)["stage"] == "lead"

    # When a demo request arrives, then a meeting is booked
    assert stack.request("POST", f"/leads/{lead_id}/events", {"type": "demo_request"}).status == 201
    stack.drain()
    middle = lead(stack, lead_id)
    assert stack.request("POST", f"/leads/{lead_id}/events", {"type": "meeting_booked"}).status == 201
    stack.drain()
    final = lead(stack, lead_id)

    # Then it went lead → mql → sql, with the reasons shown and a lead.qualified event each time
    assert (middle["stage"], final["stage"]) == ("mql", "sql")
    rules = {reason["rule"]: reason["points"] for reason in final["score_reasons"]}
    assert rules["engagement:demo_request"] == pytest.approx(30, abs=0.01)
    assert rules["engagement:meeting_booked"] == pytest.approx(40, abs=0.01)
    assert sum(rules.values()) == pytest.approx(final["score"])
    qualified = [event["detail"]["stage"] for event in stack.events()
                 if event["detail-type"] == "lead.qualified" and event["detail"]["lead_id"] == lead_id]
    assert qualified == ["mql", "sql"]


def test_a_repeated_event_id_counts_once_and_an_unknown_lead_is_404(stack):
    lead_id = stack.request("POST", "/leads", {"email": "piet@repeat.example"}, auth=False).json()["id"]
    first = stack.request("POST", f"/leads/{lead_id}/events", {"id": "click-1", "type": "link_click"})
    again = stack.request("POST", f"/leads/{lead_id}/events", {"id": "click-1", "type": "link_click"})
    stack.drain()
    assert (first.status, again.status) == (201, 200)
    assert {r["rule"]: r["points"] for r in lead(stack, lead_id)["score_reasons"]}["engagement:link_click"] == 5
    assert stack.request("POST", "/leads/nope/events", {"type": "link_click"}).status == 404


def test_a_sweep_far_in_the_future_shows_the_engagement_decayed(stack):
    # Given a lead with a demo request (30 points) now
    lead_id = stack.request("POST", "/leads", {"email": "quinn@decay.example"}, auth=False).json()["id"]
    stack.request("POST", f"/leads/{lead_id}/events", {"type": "demo_request"})
    stack.drain()
    before = lead(stack, lead_id)

    # When the sweep runs one half-life (30 days) later
    later = parse_iso(before["updated_at"]) + timedelta(days=30)
    stack.sweep(iso(later))

    # Then the demo request counts about half
    after = lead(stack, lead_id)
    points = {r["rule"]: r["points"] for r in after["score_reasons"]}["engagement:demo_request"]
    assert points == pytest.approx(15, abs=0.5)
    assert after["score"] < before["score"]


def test_putting_a_new_config_rescores_existing_leads(stack):
    # Given a lead scored under the default config
    lead_id = stack.request("POST", "/leads", {"email": "rosa@rescore.example", "job_title": "Founder"},
                            auth=False).json()["id"]
    stack.drain()
    before = lead(stack, lead_id)
    document = stack.request("GET", "/config").json()["document"]

    # When the owner raises the thresholds and values seniority more
    document["scoring"].update(mql=80, sql=120)
    for rule in document["scoring"]["fit"]:
        if rule["id"] == "senior":
            rule["points"] = 50
    answer = stack.request("PUT", "/config", document)
    assert answer.status == 200
    stack.sweep(iso(parse_iso(before["updated_at"]) + timedelta(minutes=1)))

    # Then the lead was re-scored under the new version
    after = lead(stack, lead_id)
    assert after["config_version"] == answer.json()["version"]
    assert {r["rule"]: r["points"] for r in after["score_reasons"]}["senior"] == 50


def test_a_bad_config_is_refused_naming_the_field(stack):
    document = stack.request("GET", "/config").json()["document"]
    document["scoring"]["fit"][0]["if"] = {"field": "job_title", "op": "matches", "value": "(unclosed"}
    answer = stack.request("PUT", "/config", document)
    assert answer.status == 422
    assert any("scoring.fit.0.if" in detail["field"] for detail in answer.json()["details"])
