"""Follow-up on a clock through the local stack, with `POST /_local/sweep` at chosen instants."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest

from leadwire.clock import iso, parse_iso
from leadwire.outbound.emails import LEAD_HEADER

pytestmark = pytest.mark.e2e

REPS = {"uma": "uma@team.example", "vic": "vic@team.example"}


@pytest.fixture(scope="module", autouse=True)
def team(stack):
    for rep_id, email in REPS.items():
        stack.request("PUT", f"/reps/{rep_id}", {"name": rep_id.title(), "email": email})


def new_lead(stack, email: str, consent: bool = False) -> dict:
    body = {"name": "Walt Wait", "email": email, **({"consent": "yes", "consent_text": "Send me news"}
                                                    if consent else {})}
    lead_id = stack.request("POST", "/leads", body, auth=False).json()["id"]
    stack.drain()
    return stack.request("GET", f"/leads/{lead_id}").json()


def at(lead: dict, **delta: float) -> str:
    """T + delta, rounded up to the whole second: the schedule's `time` has no fractions, the lead's clock does."""
    moment = parse_iso(lead["assigned_at"]) + timedelta(**delta)
    return iso(moment.replace(microsecond=0) + timedelta(seconds=1 if moment.microsecond else 0))


def mail_since(stack, count: int, lead: dict | None = None) -> list[dict]:
    """Emails sent since `count`, only those about `lead` when given (sweeps are global: other leads fall due too)."""
    return [mail for mail in stack.outbox()[count:] if lead is None or mail["headers"].get(LEAD_HEADER) == lead["id"]]


def test_reminder_breach_and_reassignment_on_the_clock(stack):
    # Given a lead assigned at T
    lead = new_lead(stack, "xena@clock.example")
    first_owner = lead["owner"]
    seen = len(stack.outbox())

    # When the sweep runs at T+14, T+15, T+16 and T+61 minutes
    stack.sweep(at(lead, minutes=14))
    assert mail_since(stack, seen, lead) == []
    stack.sweep(at(lead, minutes=15))
    reminders = mail_since(stack, seen, lead)
    stack.sweep(at(lead, minutes=16))
    stack.sweep(at(lead, minutes=61))

    # Then the owner was reminded at T+15, the SLA breached at the deadline, and at T+60 another rep took over
    assert [(mail["to"], "Reminder" in mail["subject"]) for mail in reminders] == [(REPS[first_owner], True)]
    breaches = [event for event in stack.events()
                if event["detail-type"] == "lead.sla_breached" and event["detail"]["lead_id"] == lead["id"]]
    assert len(breaches) == 1
    after = stack.request("GET", f"/leads/{lead['id']}").json()
    assert after["owner"] not in (None, first_owner)
    told = {mail["to"] for mail in mail_since(stack, seen, lead)[1:]}
    assert told == {REPS[first_owner], REPS[after["owner"]]}


def test_marking_contacted_before_the_deadline_stops_everything(stack):
    lead = new_lead(stack, "yara@quick.example")
    assert stack.request("PATCH", f"/leads/{lead['id']}", {"status": "contacted"}).status == 200
    seen = len(stack.outbox())
    for minutes in (15, 16, 61, 120):
        stack.sweep(at(lead, minutes=minutes))
    assert mail_since(stack, seen, lead) == []
    assert stack.request("GET", f"/leads/{lead['id']}").json()["owner"] == lead["owner"]


def local_path(link: str) -> str:
    """A link from an email as a path on the stack (its host is the deployed one)."""
    return urlsplit(link)._replace(scheme="", netloc="").geturl()


def press_button(stack, page, path: str):
    """The person presses the page's button: its form posts the page's hidden token to `path`."""
    token = re.search(r'name="t" value="([^"]+)"', page.body.decode()).group(1)
    return stack.request("POST", path, data=urlencode({"t": html.unescape(token)}).encode(), auth=False,
                         headers={"content-type": "application/x-www-form-urlencoded"})


def confirmed(stack, lead: dict, at: str) -> str:
    """The double opt-in, as the person does it: the sweep at `at` sends the request, its link opens a page (which
    changes nothing), its button confirms. The instant the person confirmed."""
    seen = len(stack.outbox())
    stack.sweep(at)
    [asked] = [mail for mail in mail_since(stack, seen) if mail["to"] == lead["email"]]
    assert "confirm" in asked["subject"].lower() and "List-Unsubscribe" not in asked["headers"]
    link = re.search(r"(https?://\S+/opt-in\?t=\S+)", asked["text"]).group(1)
    page = stack.request("GET", local_path(link), auth=False)
    assert page.status == 200 and '<form method="post" action="opt-in">' in page.body.decode()
    assert stack.request("GET", f"/leads/{lead['id']}").json()["opt_in_confirmed_at"] is None, "a GET changes nothing"
    done = press_button(stack, page, "/opt-in")
    assert done.status == 200 and "subscribed" in done.body.decode().lower()
    return stack.request("GET", f"/leads/{lead['id']}").json()["opt_in_confirmed_at"]


def test_nurture_arrives_on_schedule_and_the_unsubscribe_link_stops_it(stack):
    # Given a lead who agreed to marketing email, and confirmed it from the email that asked
    lead = new_lead(stack, "zoe@nurture.example", consent=True)
    created = parse_iso(lead["created_at"])
    confirmed_at = parse_iso(confirmed(stack, lead, iso(created + timedelta(minutes=1))))
    seen = len(stack.outbox())

    # When the next sweep runs, the welcome email arrives, with the one-click unsubscribe headers
    stack.sweep(iso(confirmed_at + timedelta(minutes=1)))
    welcome = [mail for mail in mail_since(stack, seen) if mail["to"] == "zoe@nurture.example"]
    assert len(welcome) == 1 and "Thanks" in welcome[0]["subject"]
    assert welcome[0]["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # And following its unsubscribe link stops the sequence
    link = re.search(r"(https?://\S+/unsubscribe\?t=\S+)", welcome[0]["text"]).group(1)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert stack.request("GET", local_path(tampered), auth=False).status == 403
    page = stack.request("GET", local_path(link), auth=False)
    assert page.status == 200 and '<form method="post"' in page.body.decode()
    assert stack.request("GET", f"/leads/{lead['id']}").json()["unsubscribed"] is False, "a GET changes nothing"
    done = press_button(stack, page, "/unsubscribe")
    assert done.status == 200 and "unsubscribed" in done.body.decode().lower()
    assert stack.request("GET", f"/leads/{lead['id']}").json()["unsubscribed"] is True
    stack.sweep(iso(created + timedelta(hours=49)))
    assert [mail for mail in mail_since(stack, seen) if mail["to"] == "zoe@nurture.example"] == welcome
    kinds = [entry["kind"] for entry in stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]]
    assert "unsubscribed" in kinds


def test_the_check_in_arrives_48_hours_after_the_confirmation_when_nobody_unsubscribes(stack):
    lead = new_lead(stack, "abe@nurture.example", consent=True)
    confirmed_at = parse_iso(confirmed(stack, lead, iso(parse_iso(lead["created_at"]) + timedelta(minutes=1))))
    seen = len(stack.outbox())
    stack.sweep(iso(confirmed_at + timedelta(hours=47)))
    stack.sweep(iso(confirmed_at + timedelta(hours=48, minutes=1)))
    subjects = [mail["subject"] for mail in mail_since(stack, seen) if mail["to"] == "abe@nurture.example"]
    assert len(subjects) == 2 and "Still looking" in subjects[1]


def test_a_mail_clients_one_click_post_unsubscribes_without_a_page(stack):
    # Given a nurture email with its List-Unsubscribe header
    lead = new_lead(stack, "ida@oneclick.example", consent=True)
    confirmed_at = parse_iso(confirmed(stack, lead, iso(parse_iso(lead["created_at"]) + timedelta(minutes=1))))
    seen = len(stack.outbox())
    stack.sweep(iso(confirmed_at + timedelta(minutes=1)))
    [welcome] = [mail for mail in mail_since(stack, seen) if mail["to"] == "ida@oneclick.example"]
    url = welcome["headers"]["List-Unsubscribe"].strip("<>")
    assert url.startswith("http") and "/unsubscribe?t=" in url

    # When the mail client POSTs `List-Unsubscribe=One-Click` to it, as RFC 8058 shows it (multipart, no cookie)
    boundary = "---FormBoundaryjWmhtjORrn"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n"
            f"--{boundary}--\r\n").encode()
    answer = stack.request("POST", local_path(url), data=body, auth=False,
                           headers={"content-type": f"multipart/form-data; boundary={boundary}"})

    # Then that one request unsubscribed the person
    assert answer.status == 200
    assert stack.request("GET", f"/leads/{lead['id']}").json()["unsubscribed"] is True


def test_running_every_sweep_twice_changes_nothing_the_second_time(stack):
    lead = new_lead(stack, "bea@twice.example", consent=True)
    for minutes in (1, 15, 16, 61, 48 * 60 + 1):
        moment = at(lead, minutes=minutes)
        stack.sweep(moment)
        outbox = stack.outbox()
        timeline = stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"]
        stack.sweep(moment)
        assert stack.outbox() == outbox
        assert stack.request("GET", f"/leads/{lead['id']}/timeline").json()["items"] == timeline
