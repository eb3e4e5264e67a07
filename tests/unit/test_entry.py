"""What every handler's log lines carry from the Lambda context: the request id and whether the start was cold, and
nothing the function's log group and Lambda's REPORT line say already."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from devtools.lambdas import Context
from leadwire.runtime.entry import lambda_entry


def test_a_log_line_names_its_request_and_not_its_function(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "leadwire")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    def delegate(event: dict[str, Any], context: Any) -> None:
        Logger(child=True).info("lead created", extra={"lead_id": "abc"})

    handler = lambda_entry(delegate)
    for _ in range(2):  # the context's keys are set again on every invocation
        handler({}, Context("IntakeFunction", 10))

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"lead created"' in line]
    assert len(lines) == 2
    for line in lines:
        assert line["function_request_id"] and "cold_start" in line and line["lead_id"] == "abc"
        assert not {"function_name", "function_arn", "function_memory_size"} & set(line)
