"""Ad platforms close the loop, over HTTP through the local stack and a fake Graph API: the poll stores the Meta
leads the webhook missed (exactly once, whichever comes first), the source health shows each Page and form, and
lead stages go back to Meta's Conversions API once each."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from leadwire.clock import iso, parse_iso
from leadwire_cli.main import main as cli
from tests.e2e import test_browser
from tests.e2e.conftest import Answer, RunningStack
from tests.e2e.fake_graph import APP_ID, FakeGraph, created_time
from tests.e2e.test_console import open_screen, screenshot, until
from tests.fixtures import platform_sample

pytestmark = pytest.mark.e2e
open_browser = test_browser.open_browser  # the same Chromium, started the same way

META = platform_sample("meta_leadgen.json")
GRAPH_LEAD = platform_sample("meta_graph_lead.json")
DATASET_ID = "778899001122"
PAGE_SIZE = 2  # the fake pages a form's leads two at a time, so a poll follows `paging.next`


@pytest.fixture(scope="module", name="fake_graph")
def fake_graph_server() -> Iterator[FakeGraph]:
    graph = FakeGraph(page_size=PAGE_SIZE).start()
    yield graph
    graph.stop()


@pytest.fixture(scope="module")
def stack_env(fake_graph: FakeGraph) -> dict[str, str]:
    return {"META_GRAPH_URL": fake_graph.url, "META_GRAPH_TIMEOUT_S": "2", "META_PAGE_TOKEN": fake_graph.page_token,
            "META_APP_SECRET": META["secrets"]["app_secret"], "META_CAPI_TOKEN": fake_graph.capi_token,
            "META_DATASET_ID": DATASET_ID, "META_APP_ID": APP_ID}


@pytest.fixture(scope="module", autouse=True)
def polled_every_five_minutes(stack: RunningStack) -> None:
    """The owner polls every 5 minutes (hourly by default), so two polls overlap on the same leads."""
    document = stack.request("GET", "/config").json()["document"]
    document["meta"]["poll_every_minutes"] = 5
    assert stack.request("PUT", "/config", document).status == 200


# --- factories -------------------------------------------------------------------------------------------------
def new_id() -> str:
    return str(10**14 + uuid.uuid4().int % (9 * 10**14))  # 15 digits, as Meta's ids


def person(leadgen_id: str, form_id: str, at: datetime) -> dict[str, Any]:
    """The sample Graph lead, as someone else who filled in `form_id` at `at`."""
    lead = copy.deepcopy(GRAPH_LEAD["response_json"])
    lead.update(id=leadgen_id, form_id=form_id, created_time=created_time(at))
    answers = {"email": [f"person-{leadgen_id}@example.de"], "full_name": [f"Person {leadgen_id[-4:]}"]}
    lead["field_data"] = [{**item, "values": answers.get(item["name"], item["values"])} for item in lead["field_data"]
                          if item["name"] != "phone_number"]
    return lead


def people(graph: FakeGraph, page_id: str, form_id: str, count: int, since: datetime) -> list[str]:
    """`count` leads filled in on `form_id` in the fake Graph, a minute apart from `since`: their ids."""
    graph.add_form(page_id, form_id)
    ids = [new_id() for _ in range(count)]
    for number, leadgen_id in enumerate(ids):
        graph.add_lead(person(leadgen_id, form_id, since + timedelta(minutes=number)))
    return ids


def notify(stack: RunningStack, page_id: str, form_id: str, leadgen_id: str, graph: FakeGraph) -> Answer:
    """Meta's notification about one lead of the fake Graph, signed with the app secret."""
    notification = copy.deepcopy(META["body_json"])
    notification["entry"][0]["id"] = page_id
    created = int(datetime.strptime(graph.leads[leadgen_id]["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp())
    notification["entry"][0]["changes"][0]["value"].update(leadgen_id=leadgen_id, form_id=form_id, page_id=page_id,
                                                            created_time=created)
    body = json.dumps(notification, separators=(",", ":")).encode()
    signature = hmac.new(META["secrets"]["app_secret"].encode(), body, hashlib.sha256).hexdigest()
    return stack.request("POST", "/webhooks/meta", data=body, auth=False, headers={
        "content-type": "application/json", "x-hub-signature-256": f"sha256={signature}"})


def meta_leads(stack: RunningStack, leadgen_ids: list[str]) -> list[dict[str, Any]]:
    """Every stored lead whose platform id is one of `leadgen_ids` (read through the management API)."""
    found, cursor = [], None
    while True:
        answer = stack.request("GET", "/leads?source=meta&limit=100" + (f"&cursor={cursor}" if cursor else "")).json()
        found += [lead for lead in answer["items"] if lead["source_ref"] in leadgen_ids]
        cursor = answer["cursor"]
        if not cursor:
            return found


def health(stack: RunningStack) -> dict[str, Any]:
    answer = stack.request("GET", "/sources/health")
    assert answer.status == 200, answer.body
    return answer.json()


def page_of(report: dict[str, Any], page_id: str) -> dict[str, Any]:
    [page] = [page for page in report["pages"] if page["page_id"] == page_id]
    return page


def form_of(report: dict[str, Any], form_id: str) -> dict[str, Any]:
    [form] = [form for page in report["pages"] for form in page["forms"] if form["form_id"] == form_id]
    return form


def list_pages(stack: RunningStack, *page_ids: str) -> None:
    """The owner lists Pages in the config, so every form of theirs is polled too."""
    document = stack.request("GET", "/config").json()["document"]
    document["meta"]["pages"] = sorted(set(document["meta"]["pages"]) | set(page_ids))
    answer = stack.request("PUT", "/config", document)
    assert answer.status == 200, answer.body


def later(minutes: float) -> str:
    return iso((datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0))


# --- reconciliation --------------------------------------------------------------------------------------------
def test_one_poll_stores_the_three_leads_the_webhook_missed_exactly_once(stack, fake_graph):
    # Given 10 people filled in a form; the webhook reached leadwire for 7 of them
    page_id, form_id = new_id(), new_id()
    ids = people(fake_graph, page_id, form_id, 10, datetime.now(UTC) - timedelta(minutes=30))
    for leadgen_id in ids[:7]:
        assert notify(stack, page_id, form_id, leadgen_id, fake_graph).status == 200
    stack.drain()
    assert len(meta_leads(stack, ids)) == 7
    first_seen = parse_iso(form_of(health(stack), form_id)["first_seen_at"]).replace(microsecond=0)

    # When the schedule fires after the form's poll fell due (one interval after its first lead; whole seconds, as
    # EventBridge Scheduler's time)
    report = stack.sweep(iso(first_seen + timedelta(minutes=6)))

    # Then the other 3 are stored, once each, marked as recovered on the lead and its timeline
    assert report["poll"]["recovered"] == 3
    stored = meta_leads(stack, ids)
    assert sorted(lead["source_ref"] for lead in stored) == sorted(ids)
    recovered = {lead["source_ref"]: lead for lead in stored if lead["recovered"] == "poll"}
    assert sorted(recovered) == sorted(ids[7:])
    for lead in recovered.values():
        [submission] = [entry for entry in stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
                        if entry["kind"] == "submission"]
        assert submission["detail"]["recovered"] == "poll"
        assert lead["email"] == f"person-{lead['source_ref']}@example.de"  # stored whole, as a webhook lead is
    # and the health shows 7 by webhook and 3 recovered by poll, on the form and its Page
    shown = health(stack)
    for figures in (form_of(shown, form_id)["leads"], page_of(shown, page_id)["leads"]):
        assert figures["last_7_days"] == figures["last_30_days"] == {"webhook": 7, "poll": 3}
    assert page_of(shown, page_id)["subscribed"] is True
    assert form_of(shown, form_id)["last_poll_at"] == iso(first_seen + timedelta(minutes=6))

    # When a second poll runs (its hour of overlap reads all 10 again) and the webhook for one of the 3 arrives
    again = stack.sweep(iso(first_seen + timedelta(minutes=12)))
    late = notify(stack, page_id, form_id, ids[8], fake_graph)

    # Then neither creates anything
    assert again["poll"]["recovered"] == 0 and again["poll"]["leads_seen"] >= 10
    assert late.status == 200 and late.json()["leads"] == [{"id": recovered[ids[8]]["id"], "status": "duplicate"}]
    stack.drain()
    assert len(meta_leads(stack, ids)) == 10
    assert form_of(health(stack), form_id)["leads"]["last_7_days"] == {"webhook": 7, "poll": 3}


def test_a_listed_pages_form_is_polled_across_three_pages_of_leads(stack, fake_graph, capsys):
    # Given a Page the owner lists, with a form no webhook ever mentioned: 5 leads, two to a page of answers
    page_id, form_id = new_id(), new_id()
    ids = people(fake_graph, page_id, form_id, 5, datetime.now(UTC) - timedelta(hours=2))
    list_pages(stack, page_id)
    asked_before = len([request for request in fake_graph.requests_of("leads") if request.leadgen_id == form_id])

    # When the schedule fires
    stack.sweep(later(1))

    # Then the Page's forms were listed, and the form's leads read page after page until `paging.next` was absent
    asked = [request for request in fake_graph.requests_of("leads") if request.leadgen_id == form_id][asked_before:]
    assert [request.answered for request in asked] == [200, 200, 200]
    assert [request.query.get("after") for request in asked] == [None, "2", "4"]
    assert all(request.token == fake_graph.page_token and "access_token" not in request.query for request in asked)
    assert sorted(lead["source_ref"] for lead in meta_leads(stack, ids)) == sorted(ids)
    shown = form_of(health(stack), form_id)
    assert shown["leads"]["last_7_days"] == {"webhook": 0, "poll": 5}
    # and the owner's command line shows the form's row
    assert cli(["--url", stack.url, "--key", stack.api_key, "sources", "health"]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if form_id in line]
    assert row.split()[0] == page_id and row.split()[-4:] == ["0", "5", "0", "5"]
    assert shown["name"] == "Lead form" and shown["last_error"] is None
    assert page_of(health(stack), page_id)["listed"] is True


def test_a_rate_limited_poll_backs_off_and_the_next_one_succeeds(stack, fake_graph):
    # Given a listed Page whose form's first poll Meta answers with its LeadGen rate limit (80005)
    page_id, form_id = new_id(), new_id()
    ids = people(fake_graph, page_id, form_id, 3, datetime.now(UTC) - timedelta(hours=1))
    fake_graph.rate_limit_next(kind="leads", node=form_id, code=80005)
    list_pages(stack, page_id)

    # When the schedule fires
    at = (datetime.now(UTC) + timedelta(minutes=2)).replace(microsecond=0)
    stack.sweep(iso(at))

    # Then nothing is stored yet, and the health says why and when it tries again (backed off)
    assert meta_leads(stack, ids) == []
    shown = form_of(health(stack), form_id)
    assert shown["last_error"]["current"] is True and "rate-limited" in shown["last_error"]["message"]
    assert "80005" in shown["last_error"]["message"] and shown["last_poll_at"] is None
    retry_at = parse_iso(shown["next_poll_at"])
    assert at + timedelta(minutes=5) < retry_at < at + timedelta(hours=1)

    # When the schedule fires after the backoff
    stack.sweep(iso(retry_at + timedelta(seconds=1)))

    # Then the poll succeeds: the leads are stored and the error is shown as past
    assert sorted(lead["source_ref"] for lead in meta_leads(stack, ids)) == sorted(ids)
    shown = form_of(health(stack), form_id)
    assert shown["last_error"]["current"] is False and shown["last_poll_at"] == iso(retry_at + timedelta(seconds=1))
    assert shown["leads"]["last_7_days"] == {"webhook": 0, "poll": 3}


def test_a_page_whose_subscription_is_gone_is_shown_and_counted_for_the_alarm(stack, fake_graph):
    # Given a listed Page that no longer has our app subscribed to its leadgen webhook
    page_id, form_id = new_id(), new_id()
    people(fake_graph, page_id, form_id, 1, datetime.now(UTC) - timedelta(minutes=20))
    fake_graph.unsubscribe(page_id)
    list_pages(stack, page_id)

    # When the schedule fires
    report = stack.sweep(later(3))

    # Then the health shows it in words, and the sweep logged the line the alarm's metric counts
    assert page_id in report["poll"]["unsubscribed"]
    shown = health(stack)
    assert page_of(shown, page_id)["subscribed"] is False
    assert any(problem.startswith(f"Page {page_id}: our app is not subscribed") for problem in shown["problems"])
    logged = [json.loads(line) for line in stack.output if line.startswith("{") and page_id in line]
    assert any(line.get("subscription") == "missing" for line in logged)


def source_rows(browser: Any) -> dict[str, list[str]]:
    read = browser.execute_script("""
        return Array.from(document.querySelectorAll('#sources-table tbody tr'))
            .map(row => [row.dataset.formId, Array.from(row.cells).map(cell => cell.innerText)]);""")
    return {form_id: cells for form_id, cells in read}


def test_the_console_shows_each_form_its_recovered_leads_and_a_lost_subscription(stack, open_browser):
    # Given the forms and Pages of the tests above: leads by webhook and by poll, and a Page no longer subscribed
    shown = health(stack)
    forms = [(page, form) for page in shown["pages"] for form in page["forms"]]

    # When the owner opens the console's Meta sources screen
    browser = open_browser()
    open_screen(browser, stack, "sources")
    rows = until(browser, lambda driver: len(source_rows(driver)) == len(forms) and source_rows(driver),
                 "the forms never showed")

    # Then each form shows its leads by how they came, as the health says, and what to look at in words
    for page, form in forms:
        week = form["leads"]["last_7_days"]
        assert rows[form["form_id"]][5] == f"{week['webhook']} by webhook, {week['poll']} recovered by poll"
        assert rows[form["form_id"]][2] == {True: "Yes", False: "No: leads arrive only by poll"}.get(
            page["subscribed"], "Not checked yet")
    assert "7 by webhook, 3 recovered by poll" in [cells[5] for cells in rows.values()]
    assert "No: leads arrive only by poll" in [cells[2] for cells in rows.values()]
    listed = browser.find_element(By.ID, "sources-problems").text
    assert shown["problems"] and all(problem in listed for problem in shown["problems"])
    screenshot(browser, "sources")


def test_the_source_health_needs_the_api_key(stack):
    answer = stack.request("GET", "/sources/health", auth=False)

    assert answer.status == 401 and answer.json()["error"] == "unauthorized"


# --- lead stages back to Meta ----------------------------------------------------------------------------------
def test_each_mapped_stage_change_is_one_conversions_api_event_retried_after_a_failure(stack, fake_graph):
    # Given a Meta lead that came by webhook
    page_id, form_id = new_id(), new_id()
    [leadgen_id] = people(fake_graph, page_id, form_id, 1, datetime.now(UTC) - timedelta(minutes=5))
    [accepted] = notify(stack, page_id, form_id, leadgen_id, fake_graph).json()["leads"]
    lead_id = accepted["id"]
    stack.drain()

    # When it reaches mql and sql by engagement, is contacted and won, and Meta fails the first post
    fake_graph.fail_next(kind="events")
    for kind in ("demo_request", "meeting_booked"):
        assert stack.request("POST", f"/leads/{lead_id}/events", {"type": kind}).status in (200, 201)
    stack.drain()
    assert stack.request("GET", f"/leads/{lead_id}").json()["stage"] == "sql"
    for status in ("contacted", "won"):
        assert stack.request("PATCH", f"/leads/{lead_id}", {"status": status}).status == 200
    changed_at = datetime.now(UTC)
    for minutes in (3, 6, 12, 25):  # the sweep sends what is due; a failed post waits its backoff
        stack.sweep(iso(changed_at + timedelta(minutes=minutes)))

    # Then Meta got exactly one event for each change, with the payload of Meta's CRM integration
    sent = fake_graph.events_sent()
    names = ["Marketing Qualified Lead", "Sales Qualified Lead", "contacted", "Purchase"]
    assert {name: sent[(int(leadgen_id), name)] for name in names} == dict.fromkeys(names, 1)
    posts = [post for post in fake_graph.capi_posts
             if any(event["user_data"]["lead_id"] == int(leadgen_id) for event in post.events)]
    assert [post.answered for post in posts].count(500) == 1  # the failure, retried
    assert {post.dataset_id for post in posts} == {DATASET_ID}
    for post in posts:
        [event] = post.events
        assert set(event) == {"event_name", "event_time", "action_source", "user_data", "custom_data"}
        assert event["action_source"] == "system_generated" and event["user_data"] == {"lead_id": int(leadgen_id)}
        assert event["custom_data"] == {"event_source": "crm", "lead_event_source": "leadwire"}
        assert abs(event["event_time"] - changed_at.timestamp()) < 120
    assert all(request.token == fake_graph.capi_token for request in fake_graph.requests_of("events"))
    # and the lead's timeline records each send
    timeline = stack.request("GET", f"/leads/{lead_id}/timeline").json()["items"]
    assert sorted(entry["detail"]["event_name"] for entry in timeline if entry["kind"] == "conversion_sent") == \
        sorted(names)
