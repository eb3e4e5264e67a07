"""The benchmark's cost model: its arithmetic on hand-made usage, with prices made up to keep the sums readable."""

from __future__ import annotations

import json

import pytest

from bench.cost import (
    HOURS_PER_MONTH,
    QUIET_METRICS_LINE,
    FixedCosts,
    FunctionLoad,
    LeadUsage,
    MonthlyBill,
    billed_ms,
    call_wait_ms,
    cpu_slowdown,
    dominant,
    filter_metrics,
    line_items,
    metric_hour_usd,
    platform_log_bytes,
    storage_per_million_leads,
    tier_resources,
    total,
)
from bench.prices import PRICES, Price

GB = 1024**3
# One dollar per unit everywhere: a line's dollars per million leads is then its quantity per lead times a million.
DOLLAR = {name: Price(1.0, price.unit, "test") for name, price in PRICES.items()}


def usage(**overrides: object) -> LeadUsage:
    fields: dict[str, object] = {
        "functions": [], "write_units": 0.0, "read_units": 0.0, "api_requests": 0.0, "custom_events": 0.0,
        "emails": 0.0, "secret_calls": 0.0, "access_log_bytes": 0.0,
    }
    return LeadUsage(**{**fields, **overrides})  # type: ignore[arg-type]


def by_name(usage: LeadUsage) -> dict[str, float]:
    return {item.name: item.usd_per_million_leads for item in line_items(usage, DOLLAR)}


def test_lambda_cpu_share_grows_with_memory_up_to_one_vcpu() -> None:
    assert cpu_slowdown(1769) == 1.0
    assert cpu_slowdown(3538) == 1.0
    assert cpu_slowdown(256) == pytest.approx(6.91, abs=0.01)


def test_billed_duration_is_cpu_at_the_memory_share_plus_waits_rounded_up_to_the_millisecond() -> None:
    waits = call_wait_ms({"dynamodb.GetItem": 2, "dynamodb.TransactWriteItems": 1, "ses.SendEmail": 1})
    assert waits == 2 * 6 + 12 + 40
    assert billed_ms(10.0, 1769, {}) == 10
    assert billed_ms(10.0, 1769, {"dynamodb.GetItem": 1}) == 16
    assert billed_ms(1.01, 3538, {}) == 2
    assert billed_ms(0.0, 256, {}) == 1


def test_a_function_costs_its_invocations_and_gb_seconds_per_lead() -> None:
    # Given a stream consumer called once per 10 leads, 100 ms at 512 MB each time
    score = FunctionLoad("score", memory_mb=512, invocations_per_lead=0.1, billed_ms=100, log_bytes=0, log_events=0)

    # When the lines are priced at a dollar a unit
    lines = by_name(usage(functions=[score]))

    # Then invocations and GB-seconds per lead, times a million
    assert lines["Lambda score invocations"] == pytest.approx(0.1 * 1_000_000)
    assert lines["Lambda score duration"] == pytest.approx(0.1 * 0.1 * 0.5 * 1_000_000)


def test_logs_count_what_functions_print_platform_lines_metadata_and_the_access_log() -> None:
    intake = FunctionLoad("intake", memory_mb=256, invocations_per_lead=1, billed_ms=1, log_bytes=1000, log_events=4)
    lines = by_name(usage(functions=[intake], api_requests=1, access_log_bytes=200))
    expected_bytes = 1000 + 4 * 26 + platform_log_bytes() + 200 + 26
    assert lines["CloudWatch Logs ingestion"] == pytest.approx(expected_bytes / GB * 1_000_000)


def test_email_is_priced_but_left_out_of_the_headline() -> None:
    items = line_items(usage(write_units=10, read_units=4, emails=1, api_requests=1), DOLLAR)
    assert total(items) == pytest.approx((10 + 4 + 1) * 1_000_000)
    assert total(items, headline_only=False) == pytest.approx((10 + 4 + 1 + 1) * 1_000_000)


def test_real_prices_for_a_plain_lead() -> None:
    # Given 10 write units and 4 read units per lead, one API request, two events and one email
    items = line_items(usage(write_units=10, read_units=4, api_requests=1, custom_events=2, emails=1))
    lines = {item.name: item.usd_per_million_leads for item in items}

    # Then DynamoDB: $0.625 and $0.125 per million units; API $1 per million; events $1 per million; SES $0.10/1000
    assert lines["DynamoDB write request units"] == pytest.approx(6.25)
    assert lines["DynamoDB read request units"] == pytest.approx(0.5)
    assert lines["API Gateway HTTP API requests"] == pytest.approx(1.0)
    assert lines["EventBridge custom events"] == pytest.approx(2.0)
    assert lines["SES emails"] == pytest.approx(100.0)
    access_log_metadata = 26 / GB * 0.50 * 1_000_000  # 26 bytes per log event at $0.50 per GB
    assert lines["CloudWatch Logs ingestion"] == pytest.approx(access_log_metadata)
    assert total(items) == pytest.approx(6.25 + 0.5 + 1.0 + 2.0 + access_log_metadata)
    assert [item.name for item in dominant(items, 2)] == ["DynamoDB write request units", "EventBridge custom events"]


def test_fixed_costs_per_month() -> None:
    fixed = FixedCosts(sweeps_per_month=1000, sweep_billed_ms=1000, sweep_memory_mb=1024, sweep_read_units=2,
                       custom_metrics=10, alarms=3, dashboards=1, secrets=1, quiet_metrics=4)
    monthly = fixed.monthly(DOLLAR)
    assert monthly["followup schedule (invocations, duration, reads, scheduler)"] == 1000 * (1 + 1 + 2) + 1000
    assert monthly["CloudWatch custom metrics (sent all month)"] == 10
    assert monthly[QUIET_METRICS_LINE] == 0  # four metrics that receive no data in a healthy month cost nothing
    assert monthly["CloudWatch alarms"] == 3
    assert monthly["CloudWatch dashboard"] == 1
    assert monthly["Secrets Manager secret"] == 1
    assert sum(monthly.values()) == 5000 + 10 + 3 + 1 + 1


def test_a_metric_costs_its_monthly_price_prorated_over_the_hours_it_receives_data() -> None:
    # Given the real price of a custom metric, $0.30 a month
    hour = metric_hour_usd()

    # Then an hour in which a filter sends data costs $0.30 / 730, and one sent every hour of the month $0.30
    assert hour == pytest.approx(0.30 / 730)
    assert hour * HOURS_PER_MONTH == pytest.approx(0.30)
    note = FixedCosts(0, 0, 128, 0, custom_metrics=0, alarms=0, dashboards=0, secrets=0, quiet_metrics=1)
    assert "$0.00041 for each hour" in note.quiet_metrics_note()
    assert note.quiet_metrics_note().startswith("1 log-filter metric")


def test_log_filters_feeding_one_metric_are_one_metric_sent_all_month_only_with_a_default_value() -> None:
    def transformation(name: str, **extra: object) -> dict[str, object]:
        return {"MetricNamespace": "leadwire", "MetricName": name, "MetricValue": "1", **extra}

    resources = {
        "StuckFilter": {"Type": "AWS::Logs::MetricFilter",
                        "Properties": {"MetricTransformations": [transformation("NeedsAttention")]}},
        "RecoveredFilter": {"Type": "AWS::Logs::MetricFilter",
                            "Properties": {"MetricTransformations": [transformation("NeedsAttention")]}},
        "HeartbeatFilter": {"Type": "AWS::Logs::MetricFilter", "Properties": {
            "MetricTransformations": [transformation("Heartbeat", DefaultValue=0)]}},
        "ByPageFilter": {"Type": "AWS::Logs::MetricFilter", "Condition": "FullObservability", "Properties": {
            "MetricTransformations": [transformation("NeedsAttention",
                                                     Dimensions=[{"Key": "page", "Value": "$.page_id"}])]}},
        "DeadLetterQueueAlarm": {"Type": "AWS::CloudWatch::Alarm"},
    }

    # Then two filters on one metric are one metric, sent only when they match; a DefaultValue sends it all month
    assert filter_metrics(resources, "basic") == {"leadwire/NeedsAttention/": False, "leadwire/Heartbeat/": True}
    # and the same name with a dimension is another metric, on the tier that has its filter
    assert filter_metrics(resources, "full") == {"leadwire/NeedsAttention/": False, "leadwire/Heartbeat/": True,
                                                 "leadwire/NeedsAttention/page": False}


def test_storage_of_a_million_leads_per_month() -> None:
    assert storage_per_million_leads(GB / 1_000_000, DOLLAR) == pytest.approx(2.0)  # storage + PITR, $1 each


def test_a_tier_has_every_resource_of_a_kind_but_basic_leaves_out_the_full_only_ones() -> None:
    resources = {
        "DeadLetterQueueAlarm": {"Type": "AWS::CloudWatch::Alarm"},
        "ScoreIteratorAgeAlarm": {"Type": "AWS::CloudWatch::Alarm", "Condition": "FullObservability"},
        "EmailedAlarmTopic": {"Type": "AWS::SNS::Topic", "Condition": "HasAlarmEmail"},
        "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Condition": "FullObservability"},
    }

    assert tier_resources(resources, "AWS::CloudWatch::Alarm", "basic") == ["DeadLetterQueueAlarm"]
    assert tier_resources(resources, "AWS::CloudWatch::Alarm", "full") == [
        "DeadLetterQueueAlarm", "ScoreIteratorAgeAlarm"]
    assert tier_resources(resources, "AWS::CloudWatch::Dashboard", "basic") == []


def test_the_monthly_bill_is_fixed_costs_plus_each_leads_share_plus_a_year_of_storage() -> None:
    # Given $0.70 fixed, $120 per million leads, and a lead stored in a millionth of a GB
    bill = MonthlyBill(fixed_usd=0.70, usd_per_million_leads=120.0, stored_bytes_per_lead=GB / 1_000_000)

    # When priced at a dollar a GB-month for storage and for PITR
    at_1000 = bill.at(1000, DOLLAR)

    # Then $0.70 + 1,000 leads x $0.00012 + 12 months x 1,000 leads x a millionth of a GB x $2
    assert at_1000 == pytest.approx(0.70 + 0.12 + 12 * 1000 / 1_000_000 * 2)
    assert bill.at(0, DOLLAR) == pytest.approx(0.70)
    assert bill.at(100_000, DOLLAR) - bill.at(10_000, DOLLAR) == pytest.approx(90_000 * (120 + 24) / 1_000_000)


def test_each_tier_pays_for_the_metrics_sent_all_month_and_not_for_the_quiet_filter_metric() -> None:
    from types import SimpleNamespace

    from bench.summary import custom_metrics

    # Given one alarm-only filter metric, a dashboard charting two EMF metrics, and one metric the functions emitted
    needs_attention = {"MetricNamespace": "leadwire", "MetricName": "NeedsAttention", "MetricValue": "1"}
    template = SimpleNamespace(resources={
        "NeedsAttentionFilter": {"Type": "AWS::Logs::MetricFilter",
                                 "Properties": {"MetricTransformations": [needs_attention]}},
        "Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Condition": "FullObservability", "Properties": {
            "DashboardBody": '[["leadwire", "LeadsCreated", "service", "leadwire"], ["leadwire", "SlaBreaches"]]'}},
    })
    seen = ["LeadsCreated/service=leadwire", "EmailsSent/service=leadwire"]

    # Then basic pays for none (no EMF there) and full for the three EMF metrics; the filter metric is quiet on both
    assert custom_metrics(template, seen, "basic") == (0, 1)
    assert custom_metrics(template, seen, "full") == (3, 1)


def test_the_basic_tier_logs_what_the_functions_printed_but_their_emf_metric_lines() -> None:
    from bench.summary import PIPELINE, function_loads
    from devtools.template import load_template

    # Given each pipeline function printing 900 bytes on 5 lines per invocation, 300 bytes on 1 line of them EMF
    measured = {"cpu_ms": 10.0, "calls": {}, "log_bytes": 900.0, "log_lines": 5.0,
                "metrics_log_bytes": 300.0, "metrics_log_lines": 1.0}
    warm = {"burst": {function_id: {"per_invocation": measured} for function_id in PIPELINE}}
    usage = {"records_per_lead": dict.fromkeys(PIPELINE, 1.0)}

    basic = function_loads(load_template(), warm, usage, "batched", "basic")
    full = function_loads(load_template(), warm, usage, "batched", "full")

    # Then basic, where POWERTOOLS_METRICS_DISABLED holds the EMF back, logs the rest; full logs all of it
    assert {(load.log_bytes, load.log_events) for load in basic} == {(600.0, 4.0)}
    assert {(load.log_bytes, load.log_events) for load in full} == {(900.0, 5.0)}


def test_the_recorder_counts_emf_lines_apart_from_the_other_logs() -> None:
    from bench.warm import Recorder

    recorder = Recorder()
    emf = json.dumps({"_aws": {"CloudWatchMetrics": [{"Namespace": "leadwire", "Dimensions": [["service"]],
                                                      "Metrics": [{"Name": "LeadsCreated"}]}]},
                      "service": "leadwire", "LeadsCreated": 1})

    def invocation() -> None:
        recorder.printed('{"level":"INFO","message":"lead stored"}\n')
        recorder.printed(emf)  # print() writes the line, then its newline
        recorder.printed("\n")

    recorder.middleware("IntakeFunction", {}, invocation)

    sample, = recorder.samples
    assert (sample.log_lines, sample.metrics_lines) == (2, 1)
    assert sample.metrics_bytes == len(emf.encode())
    assert sample.log_bytes == len(emf.encode()) + len('{"level":"INFO","message":"lead stored"}\n') + 1
    assert recorder.metrics == {("leadwire", "LeadsCreated", "service=leadwire")}
