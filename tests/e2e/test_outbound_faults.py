"""Injected faults on the way out (the local stack's `POST /_local/faults`) lose no webhook delivery: with DynamoDB
and EventBridge failing a share of the functions' calls, every lead assigned reaches the receiver, signed, under
one webhook-id, once the schedule has run its retries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from leadwire.clock import iso
from tests.e2e.receiver import Receiver

pytestmark = pytest.mark.e2e
LEADS = 8


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def submitted(stack, number: int) -> str:
    """A website lead, sent again as the snippet's user would while the stack answers 5xx: with the same
    `_submission` token, so that a 500 which had stored it makes no second submission."""
    body = {"first_name": "Kim", "last_name": f"Fault{number}", "company": f"Fault {number} Ltd",
            "email": f"kim.fault{number}@fault-{number}.example", "_submission": f"fault-test-lead-{number:06d}"}
    for _ in range(20):
        answer = stack.request("POST", "/leads", body, auth=False)
        if answer.status in (200, 201):
            return answer.json()["id"]
        time.sleep(0.05)
    raise AssertionError(f"the intake never took lead {number}: {answer.status}")


def test_faults_on_the_way_out_lose_no_delivery(stack, receiver: Receiver):
    # Given a rep, a subscription, and DynamoDB failing a fifth of the functions' calls and EventBridge almost a third
    assert stack.request("PUT", "/reps/anna", {"name": "Anna Berg", "email": "anna@team.example"}).status == 200
    secret = stack.request("PUT", "/subscriptions/crm", {"kind": "webhook", "url": receiver.url("/crm"),
                                                         "events": ["lead.assigned"]}).json()["secret"]
    started = datetime.now(UTC)
    assert stack.request("POST", "/_local/faults", {"dynamodb": 0.2, "events": 0.3, "seed": 5}).status == 200

    # When leads arrive, the stream is drained, the faults stop and the schedule runs for a while
    lead_ids = {submitted(stack, number) for number in range(LEADS)}
    stack.drain()
    injected = stack.request("GET", "/_local/faults").json()["injected"]
    assert stack.request("POST", "/_local/faults", {}).status == 200
    for minutes in (3, 6, 10, 16, 25, 40, 60, 90, 150):
        stack.sweep(iso(started + timedelta(minutes=minutes)))

    # Then faults were met on the way (the bus's and the table's), and every lead reached the receiver, signed,
    # each under one webhook-id of its own
    received = receiver.at("/crm")
    ids_by_lead: dict[str, set[str]] = {}
    for request in received:
        sent = Webhook(secret).verify(request.body, request.headers)
        ids_by_lead.setdefault(sent["data"]["lead_id"], set()).add(request.headers["webhook-id"])
    assert any(name.startswith("events.") for name in injected), injected  # seed 5: the first call fails
    assert any(name.startswith("dynamodb.") for name in injected), injected
    assert set(ids_by_lead) == lead_ids
    assert all(len(ids) == 1 for ids in ids_by_lead.values())
    statuses = [item["status"] for item in stack.request("GET", "/subscriptions/crm/deliveries").json()["items"]]
    assert statuses == ["delivered"] * LEADS
