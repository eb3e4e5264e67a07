"""Nothing a person says is lost, over HTTP through the local stack: every submission kept whole, two people never
made one, the owner's merge, erasure that blocks nobody, signed platform deliveries always stored, and `_next`."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Answer, RunningStack
from tests.e2e.fake_graph import FakeGraph
from tests.e2e.fake_graph import fake_graph_server as fake_graph_server  # the `fake_graph` fixture, found by name
from tests.e2e.test_intake_doors import GRAPH_LEAD, META, TYPEFORM, browser_post, urlencoded

pytestmark = pytest.mark.e2e

REP = {"name": "Kai Keller", "email": "kai@kept.example"}


@pytest.fixture(scope="module")
def stack_env(fake_graph: FakeGraph) -> dict[str, str]:
    return {"META_GRAPH_URL": fake_graph.url, "META_GRAPH_TIMEOUT_S": "0.5", "META_PAGE_TOKEN": fake_graph.page_token,
            "META_APP_SECRET": META["secrets"]["app_secret"], "TYPEFORM_SECRET": TYPEFORM["secrets"]["webhook_secret"]}


@pytest.fixture(scope="module", autouse=True)
def rep(stack: RunningStack) -> str:
    assert stack.request("PUT", "/reps/kai", REP).status == 200
    return "kai"


def unique(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:6]}@kept.example"


def post_lead(stack: RunningStack, **fields: Any) -> Answer:
    answer = stack.request("POST", "/leads", fields, auth=False)
    assert answer.status in (200, 201), answer.body
    return answer


def lead(stack: RunningStack, lead_id: str) -> dict[str, Any]:
    answer = stack.request("GET", f"/leads/{lead_id}")
    assert answer.status == 200, answer.body
    return answer.json()


def submissions(stack: RunningStack, lead_id: str) -> list[dict[str, Any]]:
    answer = stack.request("GET", f"/leads/{lead_id}/submissions")
    assert answer.status == 200, answer.body
    return answer.json()["items"]


def timeline(stack: RunningStack, lead_id: str) -> list[dict[str, Any]]:
    return stack.request("GET", f"/leads/{lead_id}/timeline").json()["items"]


def emails_about(stack: RunningStack, words: str) -> list[dict[str, Any]]:
    return [email for email in stack.outbox() if words in email["subject"]]


def test_the_second_message_is_kept_and_reaches_the_owner(stack):
    # Given a person whose first message reached its owner
    email = unique("dana")
    first = post_lead(stack, name="Dana Fox", email=email, message="Quote for a kitchen, please").json()
    stack.drain()
    assert stack.wait_for(lambda: lead(stack, first["id"])["owner"]) == "kai"

    # When they come back with another message
    second = post_lead(stack, name="Dana Fox", email=email.upper(), message="Also the bathroom, call me after 5")

    # Then it merged, the lead shows the latest message and both are kept whole, oldest first
    assert (second.status, second.json()["id"]) == (200, first["id"])
    assert lead(stack, first["id"])["message"] == "Also the bathroom, call me after 5"
    kept = submissions(stack, first["id"])
    assert [item["message"] for item in kept] == ["Quote for a kitchen, please", "Also the bathroom, call me after 5"]
    assert kept[1]["typed"]["email"] == email.upper() and kept[1]["normalised"]["email"] == email
    merge_entry = next(entry for entry in timeline(stack, first["id"]) if entry["kind"] == "merge")
    assert merge_entry["detail"]["submission"] == kept[1]["id"]
    # And the owner got one email with the new message, and lead.returned was published
    [told] = emails_about(stack, "Dana Fox came back")
    assert told["to"] == REP["email"] and "Also the bathroom, call me after 5" in told["text"]
    assert told["subject"] == "Dana Fox came back: Also the bathroom, call me after 5"
    assert [event["detail"] for event in stack.events() if event["detail-type"] == "lead.returned"
            and event["detail"]["lead_id"] == first["id"]] == \
        [{"lead_id": first["id"], "status": "assigned", "reopened_from": None}]


def test_a_shared_phone_gives_two_leads_flagged_both_ways(stack):
    # When two colleagues send the form with the office phone
    anna = post_lead(stack, name="Anna Berg", email=unique("anna"), phone="+49 30 5550101").json()
    mike = post_lead(stack, name="Mike Roth", email=unique("mike"), phone="+49 30 5550101")

    # Then each is a lead of their own, and each lists the other
    assert mike.status == 201 and mike.json()["id"] != anna["id"]
    reason = "same phone, different email"
    assert lead(stack, anna["id"])["possible_duplicates"] == [{"id": mike.json()["id"], "reason": reason}]
    assert lead(stack, mike.json()["id"])["possible_duplicates"] == [{"id": anna["id"], "reason": reason}]
    assert lead(stack, mike.json()["id"])["first_name"] == "Mike"
    assert any(entry["kind"] == "possible_duplicate" for entry in timeline(stack, anna["id"]))


def test_the_owners_merge_moves_everything_and_is_idempotent(stack):
    # Given one person as two leads (two emails, the same phone)
    one = post_lead(stack, name="Lea Hahn", email=unique("lea"), phone="+49 30 5550202", message="First").json()
    other_email = unique("lea.home")
    two = post_lead(stack, name="Lea Hahn", email=other_email, phone="+49 30 5550202", message="Second").json()

    # When the owner merges the second into the first, twice
    merged = stack.request("POST", f"/leads/{one['id']}/merge", {"from": two["id"]})
    again = stack.request("POST", f"/leads/{one['id']}/merge", {"from": two["id"]})

    # Then the first lead has both submissions, both emails, the other's timeline, and the other is gone
    assert (merged.status, again.status) == (200, 200), merged.body
    assert merged.json()["touches"] == again.json()["touches"] == 2
    assert merged.json()["other_values"]["email"] == [other_email]
    assert merged.json()["possible_duplicates"] == []
    assert [item["message"] for item in submissions(stack, one["id"])] == ["First", "Second"]
    assert sum(entry["kind"] == "submission" for entry in timeline(stack, one["id"])) == 2
    assert stack.request("GET", f"/leads/{two['id']}").status == 404
    # And the other email now finds the merged lead
    assert post_lead(stack, email=other_email, message="Third").json()["id"] == one["id"]


def test_no_merge_into_a_closed_lead(stack):
    won = post_lead(stack, name="Wyn Gold", email=unique("wyn")).json()
    other = post_lead(stack, name="Wyn Gold", email=unique("wyn.home")).json()
    stack.drain()
    assert stack.request("PATCH", f"/leads/{won['id']}", {"status": "won"}).status == 200

    refused = stack.request("POST", f"/leads/{won['id']}/merge", {"from": other["id"]})

    assert refused.status == 409
    assert refused.json()["error"] == "conflict" and "won" in refused.json()["message"]
    assert refused.json()["details"] == [{"field": "id", "reason": "lead is won"}]


def test_after_erasing_one_lead_nobody_is_blocked(stack):
    # Given two colleagues sharing a phone, as two flagged leads
    anna_email, mike_email = unique("anna.e"), unique("mike.e")
    anna = post_lead(stack, name="Anna Erl", email=anna_email, phone="+49 30 5550303").json()
    mike = post_lead(stack, name="Mike Erl", email=mike_email, phone="+49 30 5550303").json()

    # When the first is erased
    assert stack.request("DELETE", f"/leads/{anna['id']}").status == 204

    # Then the other person submits with a 2xx into their own lead, and the erased one gets a fresh lead
    assert post_lead(stack, name="Mike Erl", email=mike_email, phone="+49 30 5550303").json()["id"] == mike["id"]
    fresh = post_lead(stack, name="Anna Erl", email=anna_email, phone="+49 30 5550303")
    assert fresh.status == 201 and fresh.json()["id"] not in (anna["id"], mike["id"])


def signed_typeform(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    digest = hmac.new(TYPEFORM["secrets"]["webhook_secret"].encode(), raw, hashlib.sha256).digest()
    signature = "sha256=" + base64.b64encode(digest).decode()
    return raw, {"content-type": "application/json", "typeform-signature": signature}


def test_a_long_typeform_answer_is_stored_whole_and_a_bad_email_set_aside(stack):
    # Given a signed response with a 6,000-character message and an invalid email
    body = copy.deepcopy(TYPEFORM["body_json"])
    body["event_id"] = uuid.uuid4().hex
    answers = body["form_response"]["answers"]
    for answer in answers:
        if answer["type"] == "email":
            answer["email"] = "lena@@broken"
    story = "We need a new kitchen. " * 261
    answers.append({"type": "text", "text": story, "field": {"id": "msg1", "ref": "message", "type": "long_text"}})
    raw, headers = signed_typeform(body)

    # When Typeform delivers it
    answer = stack.request("POST", "/webhooks/typeform", data=raw, headers=headers, auth=False)

    # Then it is stored: the message whole, the email set aside with the reason, the phone used
    assert answer.status == 201, answer.body
    stored = lead(stack, answer.json()["id"])
    aside = {item["field"]: item for item in stored["set_aside"]}
    assert len(story) > 6000 and aside["message"]["value"] == story
    assert aside["email"]["value"] == "lena@@broken" and aside["email"]["reason"]
    assert stored["email"] is None and stored["phone"] == "+4930123456789"
    [kept] = submissions(stack, stored["id"])
    assert kept["typed"]["message"] == story


def test_a_meta_notification_with_one_unreadable_change_stores_the_others(stack, fake_graph):
    # Given a notification with two leads and one change that names no lead
    ids = [str(uuid.uuid4().int % 10**15) for _ in range(2)]
    for number, leadgen_id in enumerate(ids):
        graph = copy.deepcopy(GRAPH_LEAD["response_json"])
        graph["id"] = leadgen_id
        graph["field_data"] = [{"name": "email", "values": [unique(f"meta{number}")]},
                               {"name": "full_name", "values": [f"Meta Person{number}"]}]
        fake_graph.add_lead(graph)
    notification = copy.deepcopy(META["body_json"])
    good = notification["entry"][0]["changes"][0]
    notification["entry"][0]["changes"] = [
        {**good, "value": {**good["value"], "leadgen_id": ids[0]}},
        {"field": "leadgen", "value": {"page_id": "1", "leadgen_id": "../me"}},
        {**good, "value": {**good["value"], "leadgen_id": ids[1]}}]
    raw = json.dumps(notification).encode()
    signature = hmac.new(META["secrets"]["app_secret"].encode(), raw, hashlib.sha256).hexdigest()

    # When Meta delivers it
    answer = stack.request("POST", "/webhooks/meta", data=raw, auth=False, headers={
        "content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"})

    # Then both readable leads are stored and the unreadable change is reported, not fatal
    assert answer.status == 200, answer.body
    assert [item["status"] for item in answer.json()["leads"]] == ["created", "created"]
    assert [item["change"] for item in answer.json()["unreadable"]] == [1]
    assert all(lead(stack, item["id"])["source_ref"] in ids for item in answer.json()["leads"])


@pytest.mark.parametrize(("next_url", "location"), [
    ("/thanks-for-asking", "https://shop.example/thanks-for-asking"),
    ("https://evil.example/", None),
])
def test_next_relative_goes_to_the_form_page_and_foreign_to_our_thank_you_page(stack, next_url, location):
    body = urlencoded(name="Nia Next", email=unique("nia"), _next=next_url)

    answer = browser_post(stack, body, "application/x-www-form-urlencoded")

    assert answer.status == 303, answer.body
    if location:
        assert answer.headers["location"] == location
    else:
        assert answer.headers["location"].endswith("/thanks")
        assert "evil.example" not in answer.headers["location"]
        page = stack.request("GET", "/thanks", auth=False)
        assert page.status == 200 and b"Thank you" in page.body


def test_twenty_concurrent_submissions_by_one_person_make_one_lead_with_twenty_submissions(stack):
    person = {"name": "Cy Twenty", "email": unique("cy"), "message": "Hello"}

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda n: stack.request("POST", "/leads", {**person, "message": f"Hello {n}"},
                                                        auth=False), range(20)))

    assert sorted(answer.status for answer in answers) == [200] * 19 + [201], [answer.body for answer in answers]
    [lead_id] = {answer.json()["id"] for answer in answers}
    assert lead(stack, lead_id)["touches"] == 20
    kept = submissions(stack, lead_id)
    assert sorted(item["message"] for item in kept) == sorted(f"Hello {n}" for n in range(20))
