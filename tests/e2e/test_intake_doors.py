"""Every door a lead comes through, over HTTP through the local stack: each platform's own sample byte for byte,
a Graph API that fails, fifty deliveries at once, and the website form as a browser posts it."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from http.client import HTTPConnection
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from leadwire.clock import iso, parse_iso
from tests.e2e.conftest import Answer, RunningStack
from tests.e2e.fake_graph import FakeGraph
from tests.e2e.fake_graph import fake_graph_server as fake_graph_server  # the `fake_graph` fixture, found by name
from tests.fixtures import platform_sample

pytestmark = pytest.mark.e2e

META = platform_sample("meta_leadgen.json")
GRAPH_LEAD = platform_sample("meta_graph_lead.json")
HANDSHAKE = platform_sample("meta_verify_get.json")
GOOGLE = platform_sample("google_ads_lead.json")
TYPEFORM = platform_sample("typeform.json")
STANDARD_WEBHOOK = platform_sample("standard_webhooks_lead.json")
WEBHOOK_SECRETS = (STANDARD_WEBHOOK["secrets"]["signing_secret"],
                   STANDARD_WEBHOOK["secrets"]["previous_signing_secret"])
REP = {"name": "Rita Reyes", "email": "rita@shop.example"}
MAX_BODY = 256 * 1024

# Meta's standard question keys and the lead field each one fills; every other key is a custom question.
META_STANDARD_KEYS = {"email": "email", "phone_number": "phone", "post_code": "postal_code", "zip_code": "postal_code",
                      "city": "city", "country": "country", "company_name": "company", "job_title": "job_title",
                      "first_name": "first_name", "last_name": "last_name"}
# Google's column ids and the lead field each one fills.
GOOGLE_COLUMNS = {"EMAIL": "email", "PHONE_NUMBER": "phone", "POSTAL_CODE": "postal_code", "COMPANY_NAME": "company",
                  "JOB_TITLE": "job_title", "CITY": "city", "FIRST_NAME": "first_name", "LAST_NAME": "last_name"}


@pytest.fixture(scope="module")
def stack_env(fake_graph: FakeGraph) -> dict[str, str]:
    return {"META_GRAPH_URL": fake_graph.url, "META_GRAPH_TIMEOUT_S": "0.5", "META_PAGE_TOKEN": fake_graph.page_token,
            "META_APP_SECRET": META["secrets"]["app_secret"], "META_VERIFY_TOKEN": HANDSHAKE["secrets"]["verify_token"],
            "GOOGLE_ADS_KEY": GOOGLE["secrets"]["google_key"], "TYPEFORM_SECRET": TYPEFORM["secrets"]["webhook_secret"],
            "WEBHOOK_SECRETS": " ".join(WEBHOOK_SECRETS)}


@pytest.fixture(scope="module", autouse=True)
def rep(stack: RunningStack) -> str:
    assert stack.request("PUT", "/reps/rita", REP).status == 200
    return "rita"


# --- factories -------------------------------------------------------------------------------------------------
def deliver(stack: RunningStack, route: str, sample: dict[str, Any]) -> Answer:
    """A platform's sample request sent as the platform sends it: the same bytes, the same headers."""
    request = sample["request"]
    return stack.request(request["method"], route, data=request["body"].encode(), headers=request["headers"],
                         auth=False)


def full_name(name: str) -> tuple[str, str]:
    first, _, last = name.partition(" ")
    return first, last


def graph_lead(leadgen_id: str, email: str, name: str) -> dict[str, Any]:
    """The sample Graph lead, as another person."""
    lead = copy.deepcopy(GRAPH_LEAD["response_json"])
    lead["id"] = leadgen_id
    answers = {"email": [email], "full_name": [name]}
    lead["field_data"] = [{**item, "values": answers.get(item["name"], item["values"])} for item in lead["field_data"]
                          if item["name"] != "phone_number"]
    return lead


def new_leadgen_id() -> str:
    return str(uuid.uuid4().int % 10**15)


def notify_meta(stack: RunningStack, leadgen_id: str) -> Answer:
    """Meta's sample notification about another lead, signed with the app secret."""
    notification = copy.deepcopy(META["body_json"])
    notification["entry"][0]["changes"][0]["value"]["leadgen_id"] = leadgen_id
    body = json.dumps(notification, separators=(",", ":")).encode()
    signature = hmac.new(META["secrets"]["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return stack.request("POST", "/webhooks/meta", data=body, auth=False, headers={
        "content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"})


def webhook_body(**data: Any) -> bytes:
    """The sample Standard Webhooks lead, as another person."""
    body = copy.deepcopy(STANDARD_WEBHOOK["body_json"])
    body["data"].update(data)
    return json.dumps(body).encode()


def standard_webhook_headers(body: bytes, message_id: str, at: int | None = None) -> dict[str, str]:
    """Signed now with the current and the previous secret, as a sender does during rotation."""
    stamp = str(int(time.time()) if at is None else at)
    signed = f"{message_id}.{stamp}.".encode() + body
    signatures = [base64.b64encode(hmac.new(base64.b64decode(secret.removeprefix("whsec_")), signed,
                                            hashlib.sha256).digest()).decode() for secret in WEBHOOK_SECRETS]
    return {"content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": stamp,
            "webhook-signature": " ".join(f"v1,{signature}" for signature in signatures)}


def send_webhook(stack: RunningStack, body: bytes, headers: dict[str, str]) -> Answer:
    return stack.request("POST", "/webhooks/generic", data=body, headers=headers, auth=False)


def browser_post(stack: RunningStack, body: bytes, content_type: str) -> Answer:
    """A form post as a browser sends it; a 303 is not followed, so the test sees it."""
    address = urlsplit(stack.url)
    connection = HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    try:
        connection.request("POST", "/leads", body=body, headers={
            "content-type": content_type, "origin": "https://shop.example",
            "referer": "https://shop.example/contact", "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"})
        response = connection.getresponse()
        return Answer(response.status, {name.lower(): value for name, value in response.getheaders()}, response.read())
    finally:
        connection.close()


def urlencoded(**fields: str) -> bytes:
    return urlencode(fields).encode()


def multipart(fields: list[tuple[str, str]], boundary: str) -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def first_schedule_at_or_after(moment: datetime) -> datetime:
    """Scheduler fires at whole seconds: the first instant it can fire at or after `moment`."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def lead_of(stack: RunningStack, lead_id: str) -> dict[str, Any]:
    answer = stack.request("GET", f"/leads/{lead_id}")
    assert answer.status == 200, answer.body
    return answer.json()


def listed_leads(stack: RunningStack, query: str = "") -> list[dict[str, Any]]:
    leads, cursor = [], None
    while True:
        page = stack.request("GET", f"/leads?limit=100&{query}" + (f"&cursor={cursor}" if cursor else "")).json()
        leads += page["items"]
        cursor = page["cursor"]
        if not cursor:
            return leads


def leads_with(stack: RunningStack, **wanted: Any) -> list[dict[str, Any]]:
    return [lead for lead in listed_leads(stack) if all(lead.get(name) == value for name, value in wanted.items())]


def table_dump(stack: RunningStack) -> str:
    return stack.request("GET", "/_local/table").body.decode()


# --- Meta -------------------------------------------------------------------------------------------------------
def test_meta_handshake_echoes_the_challenge_as_plain_text(stack):
    # When Meta verifies the callback URL with its sample request
    query = urlsplit(HANDSHAKE["request"]["url"]).query
    answer = stack.request("GET", f"/webhooks/meta?{query}", headers=HANDSHAKE["request"]["headers"], auth=False)

    # Then the challenge comes back as the whole body, in plain text
    expected = HANDSHAKE["expected_response"]
    assert answer.status == expected["status"]
    content_type = {name.lower(): value for name, value in answer.headers.items()}["content-type"]
    assert content_type.startswith(expected["headers"]["Content-Type"])
    assert answer.body.decode() == expected["body"]


def test_meta_handshake_with_a_wrong_verify_token_is_forbidden(stack):
    query = urlencode({"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "guessed"})
    answer = stack.request("GET", f"/webhooks/meta?{query}", auth=False)
    assert answer.status == 403
    assert answer.json()["error"] == "forbidden"
    assert b"1158201444" not in answer.body


def test_meta_notification_fetches_the_lead_from_the_graph_api_and_stores_every_answer(stack, fake_graph):
    # When Meta delivers its sample notification, byte for byte
    answer = deliver(stack, "/webhooks/meta", META)

    # Then it is answered 200 with one new lead
    assert answer.status == META["expected_response"]["status"], answer.body
    [stored] = answer.json()["leads"]
    assert stored["status"] == "created"

    # And the lead was fetched once, with the page token, asking for its answers
    graph_lead_sample = GRAPH_LEAD["response_json"]
    [fetch] = fake_graph.requests_for(graph_lead_sample["id"])
    assert fetch.answered == 200
    assert fetch.query["access_token"] == fake_graph.page_token
    assert "field_data" in fetch.fields

    # And the stored lead holds every answer, field by field
    lead = lead_of(stack, stored["id"])
    assert (lead["source"], lead["source_ref"], lead["pending_enrichment"]) == ("meta", graph_lead_sample["id"], False)
    for answer_item in graph_lead_sample["field_data"]:
        key, values = answer_item["name"], answer_item["values"]
        if key == "full_name":
            assert (lead["first_name"], lead["last_name"]) == full_name(values[0])
        elif key in META_STANDARD_KEYS:
            assert lead[META_STANDARD_KEYS[key]] == values[0], key
        else:
            assert lead["fields"][key] == (values[0] if len(values) == 1 else values), key


def test_a_repeated_meta_notification_answers_200_and_creates_nothing(stack):
    # Given the sample lead already stored
    first = deliver(stack, "/webhooks/meta", META).json()["leads"][0]

    # When Meta retries the same notification
    again = deliver(stack, "/webhooks/meta", META)

    # Then it is the same lead, a duplicate, touched once
    assert again.status == 200
    assert again.json()["leads"] == [{"id": first["id"], "status": "duplicate"}]
    assert lead_of(stack, first["id"])["touches"] == 1
    assert len(leads_with(stack, source="meta", source_ref=GRAPH_LEAD["response_json"]["id"])) == 1


@pytest.mark.parametrize("trouble", ["fail_next", "hang_next"])
def test_a_meta_lead_the_graph_api_cannot_give_is_kept_pending_and_enriched_by_a_later_sweep(stack, fake_graph,
                                                                                               rep, trouble):
    # Given a lead Meta holds, and a Graph API that fails (or hangs past the timeout) on the next request
    leadgen_id = new_leadgen_id()
    fake_graph.add_lead(graph_lead(leadgen_id, f"late.{trouble}@example.de", "Lotte Spät"))
    getattr(fake_graph, trouble)(1)

    # When Meta notifies us
    answer = notify_meta(stack, leadgen_id)

    # Then Meta gets its 200, and the lead is stored pending enrichment, with nobody to score or assign yet
    assert answer.status == 200, answer.body
    [stored] = answer.json()["leads"]
    assert stored["status"] == "created"
    stack.drain()
    pending = lead_of(stack, stored["id"])
    assert (pending["source_ref"], pending["pending_enrichment"]) == (leadgen_id, True)
    assert (pending["email"], pending["first_name"], pending["owner"]) == (None, None, None)
    assert [request.answered for request in fake_graph.requests_for(leadgen_id)] == [None if trouble == "hang_next"
                                                                                      else 500]

    # When the sweep runs before the first retry is due, and then once it is due
    first_retry = first_schedule_at_or_after(parse_iso(pending["created_at"]) + timedelta(minutes=1))
    stack.sweep(iso(first_retry - timedelta(seconds=30)))
    assert len(fake_graph.requests_for(leadgen_id)) == 1
    stack.sweep(iso(first_retry))
    stack.drain()

    # Then the lead holds the person, is scored and has an owner
    enriched = lead_of(stack, stored["id"])
    assert enriched["pending_enrichment"] is False
    assert (enriched["email"], enriched["first_name"], enriched["last_name"]) == (f"late.{trouble}@example.de",
                                                                                  "Lotte", "Spät")
    assert enriched["postal_code"] == "80331"
    assert enriched["score_reasons"] and enriched["score"] == pytest.approx(
        sum(reason["points"] for reason in enriched["score_reasons"]))
    assert (enriched["owner"], enriched["status"]) == (rep, "assigned")
    kinds = [entry["kind"] for entry in stack.request("GET", f"/leads/{stored['id']}/timeline").json()["items"]]
    assert kinds.count("enriched") == 1


def test_a_graph_api_still_failing_at_the_retry_backs_off_and_the_lead_is_never_dropped(stack, fake_graph):
    # Given a pending Meta lead
    leadgen_id = new_leadgen_id()
    fake_graph.add_lead(graph_lead(leadgen_id, "still.late@example.de", "Otto Spät"))
    fake_graph.fail_next(1)
    lead_id = notify_meta(stack, leadgen_id).json()["leads"][0]["id"]
    first_retry = first_schedule_at_or_after(parse_iso(lead_of(stack, lead_id)["created_at"]) + timedelta(minutes=1))

    # When the Graph API fails again at the first retry
    fake_graph.fail_next(1)
    stack.sweep(iso(first_retry))

    # Then the lead is still pending, and the next try waits for the backoff (2 minutes), not the next sweep
    assert lead_of(stack, lead_id)["pending_enrichment"] is True
    stack.sweep(iso(first_retry + timedelta(minutes=1)))
    assert [request.answered for request in fake_graph.requests_for(leadgen_id)] == [500, 500]

    # When the backoff is over
    stack.sweep(iso(first_retry + timedelta(minutes=2)))

    # Then the lead is enriched
    assert [request.answered for request in fake_graph.requests_for(leadgen_id)] == [500, 500, 200]
    enriched = lead_of(stack, lead_id)
    assert (enriched["pending_enrichment"], enriched["email"]) == (False, "still.late@example.de")


# --- Google, Typeform, Standard Webhooks ---------------------------------------------------------------------------
def test_google_sample_is_answered_with_an_empty_object_and_stored_field_by_field(stack):
    # When Google delivers its sample lead
    answer = deliver(stack, "/webhooks/google", GOOGLE)

    # Then Google gets 200 {} and the lead holds every column, its id kept exactly
    assert (answer.status, answer.json()) == (200, json.loads(GOOGLE["expected_response"]["body"]))
    delivery = GOOGLE["body_json"]
    [lead] = leads_with(stack, source="google", source_ref=delivery["lead_id"])
    assert lead["is_test"] is delivery["is_test"]
    for column in delivery["user_column_data"]:
        if column["column_id"] == "FULL_NAME":
            assert (lead["first_name"], lead["last_name"]) == full_name(column["string_value"])
        else:
            assert lead[GOOGLE_COLUMNS[column["column_id"]]] == column["string_value"], column["column_id"]

    # And a retry of the same lead id is answered the same way and stores nothing more
    assert deliver(stack, "/webhooks/google", GOOGLE).status == 200
    assert [found["touches"] for found in leads_with(stack, source="google", source_ref=delivery["lead_id"])] == [1]


def test_typeform_sample_is_stored_with_its_answers_and_hidden_fields(stack):
    # When Typeform delivers its sample response
    answer = deliver(stack, "/webhooks/typeform", TYPEFORM)

    # Then it is accepted and the lead holds the answers, the UTM from the hidden fields, and the rest under fields
    assert 200 <= answer.status < 300, answer.body
    assert answer.json()["status"] == "created"
    lead = lead_of(stack, answer.json()["id"])
    response = TYPEFORM["body_json"]["form_response"]
    hidden = response["hidden"]
    assert (lead["source"], lead["first_name"]) == ("typeform", "Lena")
    assert (lead["email"], lead["phone"]) == ("lena.schmidt@example.org", "+4930123456789")
    assert lead["utm"] == {"source": hidden["utm_source"], "campaign": hidden["utm_campaign"]}
    assert lead["fields"]["lead_ref"] == hidden["lead_ref"]
    assert lead["fields"]["company_size"] == "11-50"
    assert lead["fields"]["budget"] == 15000

    # And a retry of the same event stores nothing more
    again = deliver(stack, "/webhooks/typeform", TYPEFORM)
    assert 200 <= again.status < 300
    assert again.json() == {"id": lead["id"], "status": "duplicate"}


def test_standard_webhook_signed_now_is_stored_in_our_own_schema(stack):
    # Given the sample body, signed now (its own timestamp is long past the 5 minute tolerance)
    body = STANDARD_WEBHOOK["request"]["body"].encode()
    message_id = STANDARD_WEBHOOK["request"]["headers"]["webhook-id"]

    # When it is delivered
    answer = send_webhook(stack, body, standard_webhook_headers(body, message_id))

    # Then the lead is stored with the person, the consent and the UTM it carried
    assert 200 <= answer.status < 300, answer.body
    assert answer.json()["status"] == "created"
    lead = lead_of(stack, answer.json()["id"])
    data = STANDARD_WEBHOOK["body_json"]["data"]
    assert (lead["source"], lead["email"], lead["phone"]) == ("webhook", data["email"], data["phone"])
    assert (lead["first_name"], lead["last_name"]) == full_name(data["full_name"])
    assert lead["utm"] == data["utm"]
    assert lead["consent"]["marketing"] is True


def test_standard_webhook_sample_as_recorded_is_refused_as_too_old(stack):
    # When the sample is replayed with its original timestamp (2026-10-01), far outside the tolerance
    answer = deliver(stack, "/webhooks/generic", STANDARD_WEBHOOK)

    # Then it is refused
    assert answer.status == 401
    assert answer.json()["error"] in ("unauthorized", "bad_signature")


# --- exactly once under concurrency ---------------------------------------------------------------------------
def test_fifty_identical_website_submissions_at_once_make_one_lead_touched_fifty_times(stack):
    # Given one person's form
    person = {"name": "Cora Vance", "email": "cora.vance@concurrent.example", "company": "Vance & Co"}

    # When it arrives fifty times at the same instant
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: stack.request("POST", "/leads", person, auth=False), range(50)))

    # Then one submission created the lead and the other 49 merged into it
    assert sorted(answer.status for answer in answers) == [200] * 49 + [201], [answer.body for answer in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    lead_id = answers[0].json()["id"]

    # And the list shows it once, touched fifty times
    [lead] = leads_with(stack, email=person["email"])
    assert (lead["id"], lead["touches"]) == (lead_id, 50)


def test_fifty_deliveries_of_one_webhook_message_make_one_lead(stack):
    # Given one signed message, as a sender retries it
    body = webhook_body(email="wes.once@concurrent.example", full_name="Wes Once", phone="+393471234999")
    headers = standard_webhook_headers(body, f"msg_{uuid.uuid4().hex}")

    # When it is delivered fifty times at the same instant
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: send_webhook(stack, body, headers), range(50)))

    # Then every delivery got a 2xx, one created the lead, and the other 49 were duplicates of it
    assert all(200 <= answer.status < 300 for answer in answers), [answer.body for answer in answers]
    outcomes = sorted(answer.json()["status"] for answer in answers)
    assert outcomes == ["created"] + ["duplicate"] * 49
    assert len({answer.json()["id"] for answer in answers}) == 1
    [lead] = leads_with(stack, email="wes.once@concurrent.example")
    assert lead["touches"] == 1


# --- the website form, as a browser posts it -------------------------------------------------------------------
def test_urlencoded_form_with_next_redirects_with_303_and_stores_the_lead(stack):
    # When a browser posts the form with a thank-you page
    body = urlencoded(name="Mira Stone", email="Mira.Stone@Example.com", phone="", message="Call me back",
                      utm_source="flyer", utm_campaign="spring", _gotcha="", _next="https://shop.example/thanks")
    answer = browser_post(stack, body, "application/x-www-form-urlencoded")

    # Then the browser is sent to the thank-you page
    assert answer.status == 303, answer.body
    assert answer.headers["location"] == "https://shop.example/thanks"

    # And the lead is stored, email lower-cased, UTM captured, the form's own conventions not kept as fields
    [lead] = leads_with(stack, email="mira.stone@example.com")
    assert (lead["source"], lead["first_name"], lead["last_name"]) == ("website", "Mira", "Stone")
    assert lead["message"] == "Call me back"
    assert lead["utm"] == {"source": "flyer", "campaign": "spring"}
    assert not {"_next", "_gotcha", "utm_source"} & set(lead["fields"])


@pytest.mark.parametrize("next_url", ["https://shop.example/thanks", None])
def test_a_filled_honeypot_is_answered_like_success_and_stores_nothing(stack, next_url):
    # Given a bot that fills every field, the hidden one too
    email = f"bot.{uuid.uuid4().hex[:8]}@spam.example"
    fields = {"name": "Buy Now", "email": email, "_gotcha": "http://spam.example"}
    if next_url:
        fields["_next"] = next_url

    # When it posts the form
    answer = browser_post(stack, urlencoded(**fields), "application/x-www-form-urlencoded")

    # Then it is answered as a person would be, and nothing of it is stored
    if next_url:
        assert (answer.status, answer.headers["location"]) == (303, next_url)
    else:
        assert answer.status == 201 and answer.json()["status"] == "created"
    assert email not in table_dump(stack)


def test_multipart_form_keeps_repeated_checkboxes_as_a_list_and_multiline_messages(stack):
    # When a browser posts a multipart form with two ticked boxes of one name and a two-line message
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    body = multipart([("name", "Theo Brandt"), ("email", "theo.brandt@example.net"), ("interest", "heat-pump"),
                      ("interest", "solar"), ("message", "First line\r\nSecond line")], boundary)
    answer = browser_post(stack, body, f"multipart/form-data; boundary={boundary}")

    # Then the lead keeps both boxes, in order, and both lines
    assert answer.status == 201, answer.body
    lead = lead_of(stack, answer.json()["id"])
    assert (lead["email"], lead["first_name"], lead["last_name"]) == ("theo.brandt@example.net", "Theo", "Brandt")
    assert lead["fields"]["interest"] == ["heat-pump", "solar"]
    assert lead["message"].splitlines() == ["First line", "Second line"]


def _oversized(marker: str) -> bytes:
    head = json.dumps({"email": f"{marker}@example.com", "message": ""}).encode()
    return head[:-2] + b"x" * (MAX_BODY + 1 - len(head)) + head[-2:]


@pytest.mark.parametrize(("content_type", "body", "status", "error"), [
    ("application/json", _oversized, 413, "payload_too_large"),
    ("text/plain", lambda marker: f"email={marker}@example.com".encode(), 415, "unsupported_media_type"),
    ("application/xml", lambda marker: f"<lead><email>{marker}@example.com</email></lead>".encode(), 415,
     "unsupported_media_type"),
    ("application/json", lambda marker: f'{{"email": "{marker}@example.com", '.encode(), 400, "malformed"),
    ("application/json", lambda marker: json.dumps({"name": marker, "email": "not-an-email"}).encode(), 422,
     "validation_failed"),
    ("application/json", lambda marker: json.dumps({"name": marker, "company": "No Contact Ltd"}).encode(), 422,
     "validation_failed"),
], ids=["over-256-KiB", "text-plain", "xml", "bad-json", "invalid-email", "no-email-no-phone"])
def test_a_refused_form_gets_the_right_error_and_stores_nothing(stack, content_type, body, status, error):
    # When a form is posted that cannot be accepted
    marker = f"refused{uuid.uuid4().hex[:10]}"
    answer = browser_post(stack, body(marker), content_type)

    # Then the error says why, in the documented shape, and nothing of it is stored
    assert answer.status == status, answer.body
    problem = answer.json()
    assert problem["error"] == error and problem["message"] and isinstance(problem["details"], list)
    assert marker not in table_dump(stack)


def test_an_invalid_email_is_named_in_the_details(stack):
    answer = browser_post(stack, json.dumps({"name": "Ada", "email": "ada@@example"}).encode(), "application/json")
    assert answer.status == 422
    assert [detail["field"] for detail in answer.json()["details"]] == ["email"]


def test_a_form_with_neither_email_nor_phone_is_refused(stack):
    answer = browser_post(stack, urlencoded(name="Ada", company="Nowhere Ltd"), "application/x-www-form-urlencoded")
    assert answer.status == 422
    assert {"email", "phone"} & {detail["field"] for detail in answer.json()["details"]}


def test_a_signed_webhook_we_cannot_read_is_still_stored_for_a_person_to_read(stack):
    # Given an authentic delivery whose body is not a lead at all
    body = b"<xml>a form tool that sent the wrong format</xml>"
    message_id = f"msg_unreadable_{new_leadgen_id()}"

    # When it arrives, and arrives again
    first = send_webhook(stack, body, standard_webhook_headers(body, message_id))
    again = send_webhook(stack, body, standard_webhook_headers(body, message_id))

    # Then it is stored once, flagged for review, with the body kept whole
    assert (first.status, again.status) == (201, 200) and again.json()["status"] == "duplicate"
    lead = lead_of(stack, first.json()["id"])
    assert lead["needs_review"] is True
    assert lead["set_aside"][0]["field"] == "body" and lead["set_aside"][0]["value"] == body.decode()
