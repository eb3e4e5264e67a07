"""The rep's lead page over HTTP through the local stack: the link from the email, each action, and every
way a link can be refused."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest

from leadwire.clock import iso, parse_iso
from leadwire.outbound.emails import LEAD_HEADER
from leadwire_cli.main import main as cli
from tests.e2e.conftest import Answer

pytestmark = pytest.mark.e2e

REPS = {"lia": "lia@page.example", "max": "max@page.example"}
LINK = re.compile(r"(https?://\S+/l/\S+)")


@pytest.fixture(scope="module", autouse=True)
def team(stack):
    for rep_id, email in REPS.items():
        stack.request("PUT", f"/reps/{rep_id}", {"name": rep_id.title(), "email": email, "timezone": "Europe/Berlin"})


def new_lead(stack) -> tuple[dict, str]:
    """A lead assigned to one of the team, and the path of the lead page from its owner's email."""
    unique = uuid.uuid4()
    body = {"name": "Pia Page", "email": f"pia.{unique.hex[:8]}@page.example",
            "phone": f"+49 30 {unique.int % 10_000_000:07d}",
            "company": "Page & Co", "job_title": "Founder", "message": "Please call <me> about a quote",
            "utm_source": "google", "utm_campaign": "spring"}
    lead_id = stack.request("POST", "/leads", body, auth=False).json()["id"]
    stack.drain()
    lead = stack.request("GET", f"/leads/{lead_id}").json()
    mail = [m for m in stack.outbox() if about(m) == lead_id and m["to"] == REPS[lead["owner"]]][-1]
    return lead, urlsplit(LINK.search(mail["text"]).group(1)).path


def about(mail: dict) -> str | None:
    return mail["headers"].get(LEAD_HEADER)


def signed_before(lead: dict) -> str:
    """The path of a link as releases before stored links signed it: its key is gone."""
    return f"/l/{lead['id']}.{lead['owner']}.{int(time.time() + 86_400):x}.{'A' * 43}"


def page(stack, path: str):
    return stack.request("GET", path, auth=False)


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the 303 itself is what the tests read
        return None


def post(stack, path: str, headers: dict | None = None, **form: str) -> Answer:
    """The form as a browser sends it from the page, without following the 303."""
    sent = {"content-type": "application/x-www-form-urlencoded", "origin": stack.url, **(headers or {})}
    request = Request(stack.url + path, data=urlencode(form).encode(), method="POST", headers=sent)
    try:
        with build_opener(_NoRedirect).open(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers.items()), response.read())
    except HTTPError as error:
        return Answer(error.code, dict(error.headers.items()), error.read())


def shown(stack, lead_id: str) -> dict:
    return stack.request("GET", f"/leads/{lead_id}").json()


def test_the_email_link_opens_the_lead_page_with_everything_a_rep_needs(stack):
    lead, path = new_lead(stack)

    answer = page(stack, path)

    text = answer.body.decode()
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/html")
    assert "Pia Page" in text and "Page &amp; Co" in text and "Please call &lt;me&gt; about a quote" in text
    assert f'href="tel:{lead["phone"]}"' in text and f'href="mailto:{lead["email"]}"' in text
    assert "campaign spring" in text and "senior" in text and 'id="deadline"' in text and " CE" in text
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Robots-Tag"] == "noindex"
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "<script" not in text and "http" not in re.sub(r'href="[^"]+"', "", text.split("<main", 1)[1])


def test_opening_the_page_changes_nothing(stack):
    lead, path = new_lead(stack)
    before = (shown(stack, lead["id"]), stack.request("GET", f"/leads/{lead['id']}/timeline").json())

    for _ in range(3):
        assert page(stack, path).status == 200

    assert (shown(stack, lead["id"]), stack.request("GET", f"/leads/{lead['id']}/timeline").json()) == before


@pytest.mark.parametrize(("action", "form", "status"), [
    ("contacted", {}, "contacted"), ("not_a_fit", {"reason": "a student project"}, "unqualified"),
    ("won", {}, "won"), ("lost", {"reason": "went with a competitor"}, "lost"),
])
def test_a_status_action_answers_303_back_to_the_page_with_a_confirmation(stack, action, form, status):
    lead, path = new_lead(stack)

    answer = post(stack, path, action=action, **form)
    again = post(stack, path, action=action, **form)  # a double click

    assert answer.status == again.status == 303
    assert answer.headers["Location"] == f"{path}?done={action}" and again.headers["Location"].endswith("already")
    assert 'id="confirmation"' in page(stack, answer.headers["Location"]).body.decode()
    assert shown(stack, lead["id"])["status"] == status
    changes = [item for item in stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
               if item["kind"] == "status_changed"]
    assert [(item["actor"], item["detail"]["via"]) for item in changes] == [(f"rep:{lead['owner']}", "lead page")]
    if "reason" in form:
        assert changes[0]["detail"]["reason"] == form["reason"]


def test_no_answer_logs_an_attempt_and_moves_the_reminder(stack):
    lead, path = new_lead(stack)
    seen = len(stack.outbox())

    assert post(stack, path, action="no_answer", once="f1").status == 303
    assert post(stack, path, action="no_answer", once="f1").headers["Location"].endswith("already")
    stack.sweep(iso(parse_iso(lead["assigned_at"]) + timedelta(minutes=16)))  # the usual reminder instant

    assert [m for m in stack.outbox()[seen:] if about(m) == lead["id"] and "Reminder" in m["subject"]] == []
    items = stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
    assert [item["kind"] for item in items].count("contact_attempt") == 1
    assert shown(stack, lead["id"])["status"] == "assigned"


def test_a_note_lands_on_the_timeline_and_on_the_page(stack):
    lead, path = new_lead(stack)

    assert post(stack, path, action="note", note="Call back Tuesday <b>9am</b>", once="n1").status == 303

    assert "Call back Tuesday &lt;b&gt;9am&lt;/b&gt;" in page(stack, path).body.decode()
    notes = [item for item in stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
             if item["kind"] == "note"]
    assert [note["detail"]["text"] for note in notes] == ["Call back Tuesday <b>9am</b>"]


def test_give_back_reassigns_now_and_the_old_link_can_only_say_so(stack):
    lead, path = new_lead(stack)

    assert post(stack, path, action="give_back").status == 303

    after = shown(stack, lead["id"])
    assert after["owner"] not in (None, lead["owner"])
    old_page = page(stack, path)
    assert old_page.status == 200 and "now with someone else" in old_page.body.decode()
    assert "Pia" not in old_page.body.decode()
    refused = post(stack, path, action="contacted")
    assert refused.status == 403 and shown(stack, lead["id"])["status"] == "assigned"


def test_a_reassigned_leads_old_link_cannot_act(stack):
    lead, path = new_lead(stack)
    other = next(rep for rep in REPS if rep != lead["owner"])
    assert stack.request("PATCH", f"/leads/{lead['id']}", {"owner": other}).status == 200

    answer = post(stack, path, action="won")

    assert answer.status == 403 and "now with someone else" in answer.body.decode()
    assert shown(stack, lead["id"])["status"] == "assigned"


@pytest.mark.parametrize("change", [
    lambda path: path[:-2] + ("xx" if not path.endswith("xx") else "yy"),
    lambda path: path[:-1],
    lambda path: "/l/made-up",
])
def test_a_tampered_or_unknown_token_gets_a_plain_403_page(stack, change):
    lead, path = new_lead(stack)

    for answer in (page(stack, change(path)), post(stack, change(path), action="contacted")):
        assert answer.status == 403 and answer.headers["Content-Type"].startswith("text/html")
        assert "not valid" in answer.body.decode() and "Pia" not in answer.body.decode()
    assert shown(stack, lead["id"])["status"] == "assigned"


def test_a_signed_link_of_an_earlier_version_says_so_and_shows_nothing_personal(stack):
    lead, _ = new_lead(stack)
    path = signed_before(lead)

    answer = page(stack, path)

    assert answer.status == 403 and "earlier version" in answer.body.decode() and "Pia" not in answer.body.decode()
    assert post(stack, path, action="contacted").status == 403
    assert shown(stack, lead["id"])["status"] == "assigned"


def test_a_link_that_no_longer_works_emails_its_rep_a_new_one_and_only_them(stack):
    lead, _ = new_lead(stack)
    retired = signed_before(lead)
    seen = len(stack.outbox())

    answer = post(stack, retired, action="new_link")

    assert answer.status == 200 and "on its way" in answer.body.decode() and "Pia" not in answer.body.decode()
    [mail] = stack.wait_for(lambda: [m for m in stack.outbox()[seen:] if about(m) == lead["id"]])
    assert mail["to"] == REPS[lead["owner"]] and mail["subject"].startswith("Your new link: Pia Page")
    fresh = urlsplit(LINK.search(mail["text"]).group(1)).path
    assert page(stack, fresh).status == 200 and "Pia Page" in page(stack, fresh).body.decode()
    # A made-up token gets the same answer, and nobody an email
    assert post(stack, "/l/" + "A" * 24, action="new_link").status == 200
    assert len(stack.outbox()) == seen + 1


@pytest.mark.parametrize("headers", [{"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"},
                                     {"sec-fetch-site": "same-site", "origin": "https://sub.page.example"}])
def test_a_cross_site_post_is_refused(stack, headers):
    lead, path = new_lead(stack)

    answer = post(stack, path, headers=headers, action="contacted")

    assert answer.status == 403 and shown(stack, lead["id"])["status"] == "assigned"


def test_the_command_line_records_the_same_actions_as_the_owner(stack, capsys):
    lead, _ = new_lead(stack)
    where = ["--url", stack.url, "--key", stack.api_key]

    assert cli([*where, "leads", "note", lead["id"], "Owner called, left a message"]) == 0
    assert cli([*where, "leads", "contacted", lead["id"]]) == 0

    assert "contacted (status contacted" in capsys.readouterr().out
    items = stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
    assert [(item["kind"], item["actor"], item["detail"].get("via")) for item in items
            if item["kind"] in ("note", "status_changed")] == [("note", "api", "management API"),
                                                                ("status_changed", "api", "management API")]


def test_the_page_shows_every_message_the_person_sent(stack):
    # Given a lead, and the same person writing again
    lead, path = new_lead(stack)
    again = {"name": "Pia Page", "email": lead["email"], "message": "Also the bathroom, call me after 5"}
    assert stack.request("POST", "/leads", again, auth=False).status == 200
    stack.drain()

    # When the rep opens the page from the first email
    body = page(stack, path).body.decode()

    # Then both messages are there, oldest first, as the person wrote them (escaped)
    first, second = body.index("Please call &lt;me&gt; about a quote"), body.index("Also the bathroom, call me after 5")
    assert first < second and "Message 1 of 2" in body and "Message 2 of 2" in body
