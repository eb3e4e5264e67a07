"""The owner's view through the local stack: filtered lists across pages, the funnel, the timeline, erasure."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import statistics
import time
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.e2e

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"leadwire-e2e-webhook-secret-32b!").decode()
TYPEFORM_SECRET = "typeform-e2e-secret"
REPS = ("ana", "bo", "cy")


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {"WEBHOOK_SECRETS": WEBHOOK_SECRET, "TYPEFORM_SECRET": TYPEFORM_SECRET, "GOOGLE_ADS_KEY": "g-key"}


def signed_webhook(stack, lead: dict, message_id: str):
    body = json.dumps({"type": "lead.created", "data": lead}).encode()
    stamp = str(int(time.time()))
    key = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    signature = base64.b64encode(hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    return stack.request("POST", "/webhooks/generic", data=body, auth=False, headers={
        "content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": stamp,
        "webhook-signature": f"v1,{signature.decode()}"})


def google_lead(stack, number: int, email: str):
    body = {"lead_id": f"g-{number}", "google_key": "g-key", "form_id": 1, "campaign_id": 2,
            "user_column_data": [{"column_id": "EMAIL", "string_value": email},
                                 {"column_id": "FULL_NAME", "string_value": f"Gia N{number:03d}Z"}]}
    return stack.request("POST", "/webhooks/google", body, auth=False)


@pytest.fixture(scope="module")
def population(stack):
    """200 leads over three sources, three owners, several stages and statuses; returns them as stored."""
    for rep in REPS:
        assert stack.request("PUT", f"/reps/{rep}", {"name": rep.title(), "email": f"{rep}@team.example"}).status == 200
    ids = []
    for number in range(200):
        email = f"person{number:03d}@company{number:03d}.example"
        title = "Founder" if number % 3 == 0 else "Analyst"
        if number % 4 == 0:
            answer = signed_webhook(stack, {"full_name": f"Wes N{number:03d}Z", "email": email, "job_title": title},
                                    f"msg_{number}")
        elif number % 4 == 1:
            answer = google_lead(stack, number, email)
        else:
            answer = stack.request("POST", "/leads", {"name": f"Web N{number:03d}Z", "email": email,
                                                     "job_title": title}, auth=False)
        assert answer.status in (200, 201), answer.body
        ids.append(answer.json().get("id") if number % 4 != 1 else None)
    stack.drain()
    leads = stack.request("GET", "/leads?limit=100").json()
    everyone = leads["items"]
    while leads["cursor"]:
        leads = stack.request("GET", f"/leads?limit=100&cursor={leads['cursor']}").json()
        everyone += leads["items"]
    assert len(everyone) == 200
    for index, lead in enumerate(everyone):
        if index % 5 == 0:
            stack.request("POST", f"/leads/{lead['id']}/events", {"type": "demo_request"})
        if index % 7 == 0:
            assert stack.request("PATCH", f"/leads/{lead['id']}", {"status": "contacted"}).status == 200
        if index % 11 == 0:
            assert stack.request("PATCH", f"/leads/{lead['id']}", {"status": "won"}).status == 200
    stack.drain()
    return [stack.request("GET", f"/leads/{lead['id']}").json() for lead in everyone]


def every_page(stack, query: str) -> list[str]:
    ids, cursor = [], None
    while True:
        answer = stack.request("GET", f"/leads?limit=25&{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status == 200, answer.body
        page = answer.json()
        ids += [lead["id"] for lead in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            return ids


def test_every_filter_combination_returns_exactly_the_matching_leads_across_pages(stack, population):
    stages = sorted({lead["stage"] for lead in population})
    statuses = sorted({lead["status"] for lead in population})
    sources = sorted({lead["source"] for lead in population})
    assert len(stages) >= 2 and len(statuses) >= 3 and len(sources) == 3
    for stage, status, owner, source in itertools.product([None, *stages], [None, *statuses], [None, *REPS],
                                                          [None, *sources]):
        wanted = {"stage": stage, "status": status, "owner": owner, "source": source}
        query = "&".join(f"{name}={value}" for name, value in wanted.items() if value)
        expected = [lead["id"] for lead in sorted(population, key=lambda lead: lead["created_at"], reverse=True)
                    if all(lead[name] == value for name, value in wanted.items() if value)]
        got = every_page(stack, query)
        assert len(got) == len(set(got)), f"duplicates for {query}"
        assert set(got) == set(expected), f"wrong leads for {query}"


def test_the_funnel_equals_what_the_records_say(stack, population):
    # When the owner asks for today's funnel
    today = datetime.now(UTC).date().isoformat()
    report = stack.request("GET", f"/reports/funnel?from={today}&to={today}").json()

    # Then every figure equals the one computed from the leads themselves
    for source in {lead["source"] for lead in population}:
        mine = [lead for lead in population if lead["source"] == source]
        figures = report["by_source"][source]
        assert figures["leads"] == len(mine)
        assert figures["mql"] == sum(lead["stage"] in ("mql", "sql") for lead in mine)
        assert figures["sql"] == sum(lead["stage"] == "sql" for lead in mine)
        assert figures["won"] == sum(lead["status"] == "won" for lead in mine)
        contacts = sorted((datetime.fromisoformat(lead["first_contact_at"].replace("Z", "+00:00"))
                           - datetime.fromisoformat(lead["created_at"].replace("Z", "+00:00"))).total_seconds()
                          for lead in mine if lead["first_contact_at"])
        assert figures["first_contact_minutes"]["contacted"] == len(contacts)
        if contacts:
            median = statistics.median_low(contacts)
            # times to first contact are kept as a sketch within 2%, and the report then rounds to 0.01 minute:
            # the two errors add up
            true_minutes = median / 60
            assert abs(figures["first_contact_minutes"]["median"] - true_minutes) <= 0.02 * true_minutes + 0.005 + 1e-9


def test_the_timeline_tells_the_whole_story_oldest_first(stack, population):
    lead = next(lead for lead in population if lead["status"] == "won")
    items = stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
    kinds = [item["kind"] for item in items]
    assert kinds[0] == "submission"
    assert {"scored", "assigned", "status_changed"} <= set(kinds)
    assert [item["at"] for item in items] == sorted(item["at"] for item in items)


def test_erasure_leaves_nothing_of_the_person_and_a_new_submission_starts_fresh(stack, population):
    # Given a lead with events, timeline and dedupe keys
    lead = population[5]
    # When the owner erases it
    assert stack.request("DELETE", f"/leads/{lead['id']}").status == 204

    # Then it is gone, and no item anywhere in the table carries the person's email or name
    assert stack.request("GET", f"/leads/{lead['id']}").status == 404
    dump = stack.request("GET", "/_local/table").body.decode()
    assert lead["email"] not in dump
    assert lead["last_name"] not in dump
    erased = [event for event in stack.events() if event["detail-type"] == "lead.erased"]
    assert erased and lead["email"] not in json.dumps(erased)

    # And the same person submitting again makes a new lead
    again = stack.request("POST", "/leads", {"name": "Back Again", "email": lead["email"]}, auth=False)
    assert again.status == 201 and again.json()["id"] != lead["id"]


def test_api_keys_are_required_and_wrong_ones_get_no_detail(stack):
    assert stack.request("GET", "/leads", auth=False).status == 401
    answer = stack.request("GET", "/leads", headers={"authorization": "Bearer wrong"})
    assert answer.status == 401
    assert answer.json()["details"] == []


def test_the_owners_routes_authenticate_before_they_parse_anything(stack):
    # Given requests without a key whose bodies or parameters would fail validation
    refused = [
        stack.request("PUT", "/config", {"scoring": "not a document"}, auth=False),
        stack.request("PATCH", "/leads/abc", {"status": "nonsense"}, auth=False),
        stack.request("PUT", "/reps/Not%20An%20Id", data=b"--not multipart--", auth=False,
                      headers={"content-type": "multipart/form-data; boundary=x"}),
        stack.request("GET", "/leads?limit=-5", auth=False),
    ]

    # Then each is a plain 401 that names nothing of the route or its schema
    assert [answer.status for answer in refused] == [401, 401, 401, 401]
    assert all(answer.json() == {"error": "unauthorized", "message": "missing or invalid API key", "details": []}
               for answer in refused)


def test_an_unknown_route_answers_in_the_documented_error_shape(stack):
    answer = stack.request("GET", "/no/such/route")

    assert answer.status == 404 and set(answer.json()) == {"error", "message", "details"}
