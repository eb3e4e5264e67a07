"""The dry run of a candidate rules document and owner-written nurture templates, through the local stack."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta
from typing import Any

import pytest

from leadwire.clock import iso, parse_iso

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def team(stack: Any) -> None:
    for rep_id in ("uma", "vic"):
        assert stack.request("PUT", f"/reps/{rep_id}", {"name": rep_id.title(), "email": f"{rep_id}@team.example"}
                             ).status == 200


def new_lead(stack: Any, consent: bool = False, **fields: str) -> dict[str, Any]:
    body = {"name": "Walt Wait", "email": f"walt.{uuid.uuid4().hex[:8]}@shop.example", **fields,
            **({"consent": "yes", "consent_text": "Send me news"} if consent else {})}
    answer = stack.request("POST", "/leads", body, auth=False)
    assert answer.status == 201, answer.body
    stack.drain()
    return stack.request("GET", f"/leads/{answer.json()['id']}").json()


def test_the_dry_run_saves_nothing_and_matches_what_saving_and_rescoring_then_produce(stack):
    # Given leads of several fits under the rules in force, one of them closed
    leads = [new_lead(stack, company="Shop", job_title="Founder"), new_lead(stack, company="Shop"),
             new_lead(stack, phone="+49 30 9876543"), new_lead(stack, email=f"x{uuid.uuid4().hex[:6]}@gmail.com"),
             new_lead(stack, company="Closed Co", job_title="Owner")]
    closed = leads[-1]
    for status in ("contacted", "won"):
        assert stack.request("PATCH", f"/leads/{closed['id']}", {"status": status}).status == 200
    current = stack.request("GET", "/config").json()
    table_before = stack.request("GET", "/_local/table").json()
    candidate = copy.deepcopy(current["document"])
    candidate["scoring"]["mql"], candidate["scoring"]["sql"] = 10, 30
    candidate["scoring"]["fit"] = [
        {"id": "company", "if": {"field": "company", "op": "exists"}, "points": 12},
        {"id": "founder", "if": {"field": "job_title", "op": "matches", "value": "(?i)founder|owner"}, "points": 25},
        {"id": "freemail", "if": {"field": "email_domain", "op": "in", "value": ["gmail.com"]}, "points": -5}]

    # When the owner asks for the dry run
    answer = stack.request("POST", "/config/preview", candidate)

    # Then it answers the moves, and nothing at all was written
    assert answer.status == 200, answer.body
    preview = answer.json()
    assert preview["saved"] is False and preview["config_version"] == current["version"]
    assert stack.request("GET", "/_local/table").json() == table_before
    predicted = {change["id"]: change["candidate"] for change in preview["changes"]}
    assert {leads[0]["id"], leads[1]["id"], leads[3]["id"]} <= set(predicted)
    assert closed["id"] not in predicted  # closed leads are not re-scored
    assert {"from": "lead", "to": "sql", "count": 1} in preview["moves"]

    # When the owner saves the candidate and the follow-up sweeps re-score every open lead
    saved = stack.request("PUT", "/config", candidate)
    assert saved.status == 200 and saved.json()["version"] == current["version"] + 1
    sweep_at = parse_iso(max(lead["updated_at"] for lead in leads)) + timedelta(seconds=2)
    stack.sweep(iso(sweep_at.replace(microsecond=0)))
    stack.drain()

    # Then each lead stands where the dry run said
    for lead in leads:
        after = stack.request("GET", f"/leads/{lead['id']}").json()
        expected = predicted.get(lead["id"], {"score": lead["score"], "stage": lead["stage"], "owner": lead["owner"]})
        assert (after["score"], after["stage"], after["owner"]) == (
            expected["score"], expected["stage"], expected["owner"]), lead["id"]
        if lead is not closed:
            assert after["config_version"] == current["version"] + 1


def test_a_candidate_with_an_unknown_placeholder_is_refused_naming_it_and_saves_nothing(stack):
    current = stack.request("GET", "/config").json()
    candidate = copy.deepcopy(current["document"])
    candidate["followup"]["templates"]["welcome"]["body"] = "Hi {{ first_name }} from {{ shop_name }}"

    for method, path in (("POST", "/config/preview"), ("PUT", "/config")):
        answer = stack.request(method, path, candidate)
        assert answer.status == 422, answer.body
        assert answer.json()["details"][0]["field"] == "followup.templates.welcome.body"
        assert "unknown placeholder shop_name" in answer.json()["details"][0]["reason"]
    assert stack.request("GET", "/config").json()["version"] == current["version"]


def test_an_owner_written_template_reaches_the_nurture_email(stack):
    # Given the owner's own first nurture email, saved in the rules
    document = stack.request("GET", "/config").json()["document"]
    document["business_name"] = "Harbor Heating"
    document["followup"]["templates"]["autumn"] = {
        "subject": "{{ first_name }}, your boiler check with {{ business }}",
        "body": "Hi {{ first_name }},\n\nautumn is here: shall {{ business }} look at {{ company }}'s boiler?"}
    document["followup"]["nurture"] = [{"after_hours": 0, "template": "autumn"}]
    document["followup"]["double_opt_in"] = False  # this business confirmed consent on its own form
    assert stack.request("PUT", "/config", document).status == 200
    preview = stack.request("POST", "/config/templates/preview", document["followup"]["templates"]["autumn"])
    assert preview.json()["subject"] == "Dana, your boiler check with Harbor Heating"

    # When someone who agreed to marketing email comes in and the sweep runs a minute later
    lead = new_lead(stack, consent=True, name="Ola Nord", company="Nord & Co")
    seen = len(stack.outbox())
    stack.sweep(iso(parse_iso(lead["created_at"]).replace(microsecond=0) + timedelta(minutes=1)))

    # Then the email is the owner's text for that person, with the unsubscribe link
    mail = [mail for mail in stack.outbox()[seen:] if mail["to"] == lead["email"]]
    assert len(mail) == 1
    assert mail[0]["subject"] == "Ola, your boiler check with Harbor Heating"
    assert mail[0]["text"].startswith("Hi Ola,\n\nautumn is here: shall Harbor Heating look at Nord & Co's boiler?")
    assert "/unsubscribe?t=" in mail[0]["text"]
