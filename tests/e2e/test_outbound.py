"""Signed webhooks and Slack messages through the local stack, to a receiver on 127.0.0.1 (the local stack alone may
call plain http there)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from leadwire.clock import iso
from tests.e2e.receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(scope="module", autouse=True)
def rep(stack) -> None:
    assert stack.request("PUT", "/reps/anna", {"name": "Anna Berg", "email": "anna@team.example"}).status == 200


def subscribe(stack, subscription_id: str, url: str, kind: str = "webhook", **fields: Any) -> dict[str, Any]:
    answer = stack.request("PUT", f"/subscriptions/{subscription_id}",
                           {"kind": kind, "url": url, "events": ["lead.assigned"], **fields})
    assert answer.status == 201, answer.body
    return answer.json()


def new_lead(stack, name: str) -> str:
    first, last = name.split()
    answer = stack.request("POST", "/leads", {"first_name": first, "last_name": last, "company": "Fox Builders",
                                              "email": f"{first.lower()}@{last.lower()}-builders.example",
                                              "job_title": "Founder"}, auth=False)
    assert answer.status == 201, answer.body
    stack.drain()
    return answer.json()["id"]


def test_an_assigned_lead_is_one_signed_delivery_that_verifies_with_the_secret(stack, receiver: Receiver):
    # Given
    secret = subscribe(stack, "crm", receiver.url("/crm"))["secret"]

    # When
    lead_id = new_lead(stack, "Dana Fox")

    # Then
    (delivery,) = receiver.wait_for("/crm", 1)
    sent = Webhook(secret).verify(delivery.body, delivery.headers)
    shown = stack.request("GET", f"/leads/{lead_id}").json()
    assert sent["type"] == "lead.assigned" and sent["data"]["lead_id"] == lead_id and sent["data"]["owner"] == "anna"
    assert {key: sent["data"]["lead"][key] for key in ("id", "company", "owner", "score", "score_reasons")} == \
        {key: shown[key] for key in ("id", "company", "owner", "score", "score_reasons")}
    (listed,) = stack.request("GET", "/subscriptions/crm/deliveries").json()["items"]
    assert (listed["status"], listed["last_code"], listed["webhook_id"]) == ("delivered", 200,
                                                                           delivery.headers["webhook-id"])
    assert secret not in stack.request("GET", "/subscriptions").body.decode()
    assert stack.request("DELETE", "/subscriptions/crm").status == 204


def test_a_receiver_failing_twice_gets_the_same_webhook_id_on_the_third_try_and_nothing_more(stack,
                                                                                          receiver: Receiver):
    # Given a receiver that answers 500 twice
    receiver.answer("/flaky", 500, 500)
    secret = subscribe(stack, "flaky", receiver.url("/flaky"))["secret"]
    started = datetime.now(UTC)

    # When a lead is assigned and the schedule fires a few minutes later, twice, and once more a day later
    new_lead(stack, "Erin Flaky")
    receiver.wait_for("/flaky", 1)
    for later in (timedelta(minutes=3), timedelta(minutes=8), timedelta(hours=30)):
        stack.sweep(iso(started + later))

    # Then
    tries = receiver.at("/flaky")
    assert len(tries) == 3
    assert len({request.headers["webhook-id"] for request in tries}) == 1
    for request in tries:
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "lead.assigned"
    (listed,) = stack.request("GET", "/subscriptions/flaky/deliveries").json()["items"]
    assert (listed["status"], listed["attempts"], listed["last_code"]) == ("delivered", 3, 200)
    stack.request("DELETE", "/subscriptions/flaky")


def test_410_turns_the_subscription_off(stack, receiver: Receiver):
    receiver.answer("/gone", 410)
    subscribe(stack, "gone", receiver.url("/gone"))

    new_lead(stack, "Gina Gone")
    receiver.wait_for("/gone", 1)
    new_lead(stack, "Hugo Later")

    assert len(receiver.at("/gone")) == 1
    (shown,) = [item for item in stack.request("GET", "/subscriptions").json()["items"] if item["id"] == "gone"]
    assert (shown["active"], shown["deactivated_reason"]) == (False, "the receiver answered 410 Gone")
    stack.request("DELETE", "/subscriptions/gone")


def test_during_a_rotation_deliveries_carry_both_signatures(stack, receiver: Receiver):
    # Given
    old = subscribe(stack, "rotating", receiver.url("/rotating"))["secret"]
    rotated = stack.request("PUT", "/subscriptions/rotating", {"rotate_secret": True})
    new = rotated.json()["secret"]

    # When
    new_lead(stack, "Ivy Rotate")

    # Then
    (delivery,) = receiver.wait_for("/rotating", 1)
    assert rotated.status == 200 and len(delivery.headers["webhook-signature"].split()) == 2
    assert Webhook(old).verify(delivery.body, delivery.headers) == Webhook(new).verify(delivery.body,
                                                                                       delivery.headers)
    assert [secret["ends_with"] for secret in rotated.json()["secrets"]] == [new[-4:], old[-4:]]
    stack.request("DELETE", "/subscriptions/rotating")


def test_a_slack_subscription_gets_a_blocks_message_with_the_name_and_the_lead_page(stack, receiver: Receiver):
    # Given
    url = receiver.url("/services/T000/B000/slack-secret-part")
    shown = subscribe(stack, "team-chat", url, kind="slack")

    # When
    new_lead(stack, "Jo Slack")

    # Then the message names the lead and its button opens the lead page
    (message,) = receiver.wait_for("/services/T000/B000/slack-secret-part", 1)
    sent = json.loads(message.body)
    assert "Jo Slack" in sent["text"] and sent["blocks"][0]["type"] == "header"
    (button,) = [element for block in sent["blocks"] if block["type"] == "actions" for element in block["elements"]]
    assert button["url"].startswith(f"{stack.url}/l/")
    page = stack.request("GET", button["url"].removeprefix(stack.url), auth=False)
    assert page.status == 200 and "Jo Slack" in page.body.decode()
    assert "slack-secret-part" not in json.dumps(shown) + stack.request("GET", "/subscriptions").body.decode()
    stack.request("DELETE", "/subscriptions/team-chat")


@pytest.mark.parametrize(("url", "reason"), [
    ("https://169.254.169.254/latest/meta-data", "the host is an internal address"),
    ("https://[::ffff:a9fe:a9fe]/latest/meta-data", "the host is an internal address"),
    ("http://hooks.example.com/crm", "the URL must start with https://"),
    ("http://10.0.0.1/crm", "the URL must start with https://"),
])
def test_a_subscription_to_an_internal_or_plain_http_address_is_refused(stack, url: str, reason: str):
    answer = stack.request("PUT", "/subscriptions/inside", {"kind": "webhook", "events": ["lead.assigned"],
                                                            "url": url})
    assert (answer.status, answer.json()["details"]) == (422, [{"field": "url", "reason": reason}])
    assert stack.request("GET", "/subscriptions/inside/deliveries").status == 404
