"""Every route of the OpenAPI document fuzzed with schemathesis against the local stack: no answer is a server
error, and every error body has the documented shape. Seeded (derandomized) and bounded, so it is repeatable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = schemathesis.openapi.from_dict(json.loads((ROOT / "openapi.json").read_text()))
ERROR_SHAPE = {"error", "message", "details"}


@SCHEMA.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_route_answers_a_server_error_and_errors_keep_their_shape(case, stack):
    response = case.call(base_url=stack.url, headers={"authorization": f"Bearer {stack.api_key}"}, timeout=60)

    assert response.status_code < 500, (case.method, case.path, "".join(stack.output[-5:]))
    content_type = (response.headers.get("content-type") or [""])[0]
    if response.status_code >= 400 and content_type.startswith("application/json"):
        body = response.json()
        assert set(body) == ERROR_SHAPE and isinstance(body["details"], list), body
