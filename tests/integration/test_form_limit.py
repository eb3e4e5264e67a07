"""The public form's per-client limit through the intake handler on moto: 429 in the documented error shape with
Retry-After, counted under a hash of the source address with a TTL, and the webhooks untouched by it."""

from __future__ import annotations

import json

import boto3
import pytest

from devtools.environment import LOCAL_ENV, REGION
from leadwire.runtime import services
from leadwire.store import packing

from .conftest import api_event, call


@pytest.fixture
def limited(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORM_LIMIT_PER_MINUTE", "2")
    services.reset()


def test_a_third_form_post_in_a_minute_from_one_address_is_refused_with_429(limited, intake_app):
    answers = [call(intake_app, api_event("POST", "/leads", body={"email": f"f{n}@shop.example"}, key=None))
               for n in range(3)]

    assert [status for status, _, _ in answers] == [201, 201, 429]
    _, body, headers = answers[2]
    assert body["error"] == "too_many_requests" and set(body) == {"error", "message", "details"}
    assert 1 <= int(headers["Retry-After"]) <= 61
    # what the table holds of the client: a hash, with an expiry for DynamoDB's TTL; never the address
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=LOCAL_ENV["TABLE_NAME"])["Items"]
    counters = [item for item in items if item["pk"]["S"].startswith("RATE#form#")]
    assert len(counters) == 1 and "expires_at" in counters[0]
    assert "203.0.113.9" not in json.dumps(items, default=packing.unpack)  # packed values read too


def test_the_generic_webhook_is_not_held_up_by_the_form_limit(limited, intake_app):
    for n in range(3):
        call(intake_app, api_event("POST", "/leads", body={"email": f"g{n}@shop.example"}, key=None))

    status, _, _ = call(intake_app, api_event("POST", "/webhooks/generic", body={}, key=None))

    assert status == 401  # refused for its missing signature, as always: no 429 from the form's counter
