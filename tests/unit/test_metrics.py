"""The custom metrics: the basic tier (POWERTOOLS_METRICS_DISABLED) prints no EMF line at all, each of which would be
a custom metric CloudWatch bills; the full tier prints what the functions count when the handler returns; and a
count that fails never makes what it counts look undone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Metrics

from devtools.lambdas import Context
from leadwire.outbound.notify import AwsNotifier, Email
from leadwire.runtime import metrics
from leadwire.runtime.entry import lambda_entry
from tests.fakes import RecordingSes


def handler(monkeypatch: pytest.MonkeyPatch, disabled: str) -> Any:
    """A handler as the template deploys it, which counts a sent email and a new lead by its source per event."""
    for name, value in {"POWERTOOLS_METRICS_DISABLED": disabled, "POWERTOOLS_METRICS_NAMESPACE": "leadwire",
                        "POWERTOOLS_SERVICE_NAME": "leadwire", "POWERTOOLS_LOG_LEVEL": "WARNING"}.items():
        monkeypatch.setenv(name, value)
    Metrics().clear_metrics()  # what other tests left in the metric set every instance shares

    def delegate(event: dict[str, Any], context: Any) -> None:
        metrics.count("EmailsSent")
        metrics.count_by("LeadsReceived", "source", "website")

    return lambda_entry(delegate)


def emf_lines(output: str) -> list[dict[str, Any]]:
    return [line for line in map(json.loads, filter(None, output.splitlines())) if "_aws" in line]


def test_the_basic_tier_prints_no_metric_however_many_invocations_count(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the basic tier's handler, warm for 150 invocations (Powertools alone prints a metric at its 100th value,
    # and a single_metric every time)
    lambda_handler = handler(monkeypatch, disabled="true")

    # When each counts an email and a new lead
    for _ in range(150):
        lambda_handler({}, Context("IntakeFunction", 10))

    # Then not one EMF line reached the log, so CloudWatch has no custom metric to bill
    assert emf_lines(capsys.readouterr().out) == []


def test_the_full_tier_prints_what_an_invocation_counted(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the full tier's handler
    lambda_handler = handler(monkeypatch, disabled="false")

    # When one invocation counts an email and a new lead
    lambda_handler({}, Context("IntakeFunction", 10))

    # Then the new lead is a metric of its own by source, and the email is flushed when the handler returns
    lines = emf_lines(capsys.readouterr().out)
    by_source = [line for line in lines if "LeadsReceived" in line]
    assert [(line["source"], line["LeadsReceived"]) for line in by_source] == [("website", [1.0])]
    assert [line["EmailsSent"] for line in lines if "EmailsSent" in line] == [[1.0]]
    assert {line["_aws"]["CloudWatchMetrics"][0]["Namespace"] for line in lines} == {"leadwire"}


def test_an_email_sent_stays_sent_when_its_count_cannot_be_recorded(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Given metrics on, but made without a namespace (Powertools then refuses to print a metric at its 100th value)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.setattr(metrics, "_metrics", Metrics())
    Metrics().clear_metrics()
    ses = RecordingSes()
    notifier = AwsNotifier("leads@example.com", "bus", ses=ses, events=object())

    # When 100 emails are sent, each counted
    for number in range(100):
        notifier.send(Email(to=f"rep{number}@shop.example", subject="New lead", text="A new lead is yours."))

    # Then each went to SES once and none raised (a raise would have the outbox send it again); the log says why
    # the hundredth count is missing
    assert len(ses.calls) == 100
    warnings = [record for record in caplog.records if record.getMessage() == "metric not recorded"]
    assert [(record.metric, record.error) for record in warnings] == [("EmailsSent", "SchemaValidationError")]
    Metrics().clear_metrics()
