"""Every log line of a full pipeline run, read back: no email address, phone number or name in any of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadwire.clock import iso, parse_iso

pytestmark = pytest.mark.e2e

PERSON = {"name": "Quentin Zylberstein", "email": "quentin.zylberstein@privacy.example", "phone": "+44 20 7946 0958",
          "company": "Zylberstein Holdings", "job_title": "Founder", "consent": "yes", "message": "call me"}
# The phone in every form it takes (as typed, E.164, digits only); a four-digit piece of it would also match the
# hex ids, sequence numbers and timestamps a DEBUG log is full of.
SECRETS_IN_LOGS = ("quentin", "zylberstein", "20 7946 0958", "442079460958", "2079460958", "privacy.example")


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {"POWERTOOLS_LOG_LEVEL": "DEBUG", "POWERTOOLS_METRICS_DISABLED": "false"}


def test_a_full_pipeline_run_logs_no_personal_data(stack):
    # Given a rep and a lead that goes through intake, scoring, assignment, reminders and nurture
    stack.request("PUT", "/reps/rita", {"name": "Rita Rep", "email": "rita@team.example"})
    answer = stack.request("POST", "/leads", PERSON, auth=False)
    assert answer.status == 201
    lead_id = answer.json()["id"]
    stack.drain()
    stack.request("POST", f"/leads/{lead_id}/events", {"type": "demo_request"})
    stack.drain()
    created = parse_iso(stack.request("GET", f"/leads/{lead_id}").json()["created_at"])
    stack.sweep(iso(created + timedelta(minutes=16)))
    stack.sweep(iso(created + timedelta(hours=49)))
    stack.request("PATCH", f"/leads/{lead_id}", {"status": "contacted"})
    stack.request("POST", "/leads", {**PERSON, "email": "not-an-email"}, auth=False)
    stack.drain()

    # When we read everything the stack printed
    logs = "".join(stack.output).lower()

    # Then the functions did log (at DEBUG), and none of it names the person
    assert '"service":"leadwire"' in logs.replace(" ", "")
    leaked = [fragment for fragment in SECRETS_IN_LOGS if fragment in logs]
    assert leaked == []
