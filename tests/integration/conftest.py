"""Handlers and domain against moto, with the table created from template.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.apigw import Route, build_event, find_route
from devtools.environment import LOCAL_ENV, REGION
from devtools.lambdas import Context, load_handler_module
from devtools.moto_fidelity import serialise_dynamodb
from devtools.template import load_template
from leadwire.outbound.notify import Notifier
from leadwire.runtime import services
from leadwire.store import schema
from leadwire.store.table import Store, serialize

TEMPLATE = load_template()
ROUTES = [Route(route.method, route.path) for route in TEMPLATE.routes()]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {**LOCAL_ENV, "LEADWIRE_API_KEYS": "test-key,old-key",
                        "PUBLIC_BASE_URL": "https://leads.example.test"}.items():
        monkeypatch.setenv(name, value)
    serialise_dynamodb()
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            **TEMPLATE.table_create_kwargs(LOCAL_ENV["TABLE_NAME"]))
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=LOCAL_ENV["SENDER_EMAIL"])
        boto3.client("events", region_name=REGION).create_event_bus(Name=LOCAL_ENV["EVENT_BUS_NAME"])
        services.reset()
        yield
    services.reset()


@pytest.fixture
def store(aws: None) -> Store:
    return services.store()


@pytest.fixture
def notifier(aws: None) -> Notifier:
    return services.notifier()


def sent_emails() -> list[Any]:
    from moto.ses.models import ses_backends

    return list(ses_backends["123456789012"][REGION].sent_messages)


@pytest.fixture(scope="session")
def intake_app() -> ModuleType:
    return load_handler_module("functions/intake")


def api_event(method: str, path: str, *, body: bytes | str | dict[str, Any] | None = None, query: str = "",
              headers: dict[str, str] | None = None, key: str | None = "test-key") -> dict[str, Any]:
    """An API Gateway payload 2.0 event, built by the same code the local stack uses."""
    sent = {name.lower(): value for name, value in (headers or {}).items()}
    if isinstance(body, dict):
        body = json.dumps(body)
        sent.setdefault("content-type", "application/json")
    data = body.encode() if isinstance(body, str) else (body or b"")
    if key:
        sent.setdefault("authorization", f"Bearer {key}")
    found = find_route(ROUTES, method, path)
    route, params = found if found else (None, None)
    return build_event(method, path, query, list(sent.items()), data, "203.0.113.9", route, params)


def call(app: ModuleType, event: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    answer = app.lambda_handler(event, Context("IntakeFunction", 10))
    body = answer.get("body") or ""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = body
    return answer["statusCode"], parsed, answer.get("headers") or {}


RECORDED = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


def stream_record(item: dict[str, Any], sequence: int, at: datetime = RECORDED) -> dict[str, Any]:
    """A MODIFY record as Lambda delivers it for a lead item."""
    return {"eventID": str(sequence), "eventName": "MODIFY", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
            "dynamodb": {"ApproximateCreationDateTime": at.timestamp(), "Keys": serialize(schema.plain_key(item)),
                         "NewImage": serialize(item), "SequenceNumber": f"{sequence:021d}", "SizeBytes": 100,
                         "StreamViewType": "NEW_AND_OLD_IMAGES"}}
