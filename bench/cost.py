"""Turning what one lead makes AWS do into dollars per million leads, line by line.

The inputs are measured (requests, capacity units, log bytes, CPU per invocation); what cannot be measured on a
laptop is an assumption named here: how fast Lambda's CPU share is at a given memory size, and how long each AWS
call waits on the network in-region.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bench.prices import PRICES, Price

MILLION = 1_000_000
GB = 1024**3
HOURS_PER_MONTH = 730  # AWS pricing pages' month

# AWS Lambda "Memory and computing power": at 1,769 MB a function has the equivalent of one vCPU; below it, a share.
FULL_VCPU_MB = 1769
# Assumed in-region round trips (ms) while a function waits on an AWS call: typical figures, not measured here.
CALL_WAIT_MS: dict[str, float] = {
    "dynamodb": 6.0, "dynamodb.TransactWriteItems": 12.0, "dynamodb.BatchGetItem": 8.0,
    "ses": 40.0, "events": 20.0, "secretsmanager": 25.0,
}
DEFAULT_CALL_WAIT_MS = 20.0
# Per invocation, Lambda writes START, END and REPORT lines itself (text log format); measured length of a typical set.
PLATFORM_LOG_LINES = (
    "START RequestId: 0f3c9a52-8a53-4f7e-9a34-7d4f3c2b1a00 Version: $LATEST\n",
    "END RequestId: 0f3c9a52-8a53-4f7e-9a34-7d4f3c2b1a00\n",
    "REPORT RequestId: 0f3c9a52-8a53-4f7e-9a34-7d4f3c2b1a00\tDuration: 41.52 ms\tBilled Duration: 42 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 98 MB\t\n",
)
# CloudWatch Logs bills each log event's bytes plus 26 bytes of metadata.
LOG_EVENT_OVERHEAD_BYTES = 26


def cpu_slowdown(memory_mb: int) -> float:
    """How much longer CPU work takes in Lambda at `memory_mb` than on one full core."""
    return max(1.0, FULL_VCPU_MB / memory_mb)


def call_wait_ms(calls: Mapping[str, float]) -> float:
    """Time spent waiting on AWS for calls given as {"dynamodb.GetItem": count, ...}."""
    total = 0.0
    for name, count in calls.items():
        service = name.split(".", 1)[0]
        total += count * CALL_WAIT_MS.get(name, CALL_WAIT_MS.get(service, DEFAULT_CALL_WAIT_MS))
    return total


def billed_ms(cpu_ms: float, memory_mb: int, calls: Mapping[str, float]) -> int:
    """Lambda's billed duration (1 ms granularity) of one invocation: CPU at the memory's share, plus AWS waits."""
    return max(1, math.ceil(cpu_ms * cpu_slowdown(memory_mb) + call_wait_ms(calls)))


def platform_log_bytes() -> int:
    return sum(len(line.encode()) + LOG_EVENT_OVERHEAD_BYTES for line in PLATFORM_LOG_LINES)


@dataclass(frozen=True)
class FunctionLoad:
    """What one function does for each lead, and what each of its invocations costs."""

    name: str
    memory_mb: int
    invocations_per_lead: float
    billed_ms: float  # per invocation
    log_bytes: float  # per invocation, what the function itself prints (logs, EMF metrics)
    log_events: float  # per invocation, lines printed

    def gb_seconds_per_lead(self) -> float:
        return self.invocations_per_lead * self.billed_ms / 1000 * self.memory_mb / 1024

    def log_bytes_per_lead(self) -> float:
        own = self.log_bytes + self.log_events * LOG_EVENT_OVERHEAD_BYTES
        return self.invocations_per_lead * (own + platform_log_bytes())


@dataclass(frozen=True)
class LeadUsage:
    """Everything one lead makes AWS do, averaged over the leads of a run."""

    functions: list[FunctionLoad]
    write_units: float
    read_units: float
    api_requests: float
    custom_events: float
    emails: float
    secret_calls: float  # GetSecretValue per lead: one per cold start, amortised
    access_log_bytes: float  # API Gateway access log per lead
    stream_reads: float = 0.0  # GetRecords made for this lead by the event source mappings (free)


@dataclass(frozen=True)
class LineItem:
    name: str
    quantity: float  # per lead
    unit: str
    price: Price
    headline: bool = True  # counted in the headline (everything but email)

    @property
    def usd_per_million_leads(self) -> float:
        return self.quantity * self.price.usd * MILLION


def line_items(usage: LeadUsage, prices: Mapping[str, Price] = PRICES) -> list[LineItem]:
    items = [LineItem("API Gateway HTTP API requests", usage.api_requests, "request", prices["apigw_http_request"])]
    for function in usage.functions:
        items.append(LineItem(f"Lambda {function.name} invocations", function.invocations_per_lead, "invocation",
                              prices["lambda_request"]))
        items.append(LineItem(f"Lambda {function.name} duration", function.gb_seconds_per_lead(), "GB-second",
                              prices["lambda_gb_second_arm64"]))
    log_bytes = sum(function.log_bytes_per_lead() for function in usage.functions)
    log_bytes += usage.access_log_bytes + LOG_EVENT_OVERHEAD_BYTES * usage.api_requests
    items += [
        LineItem("DynamoDB write request units", usage.write_units, "WRU", prices["dynamodb_write_request_unit"]),
        LineItem("DynamoDB read request units", usage.read_units, "RRU", prices["dynamodb_read_request_unit"]),
        LineItem("DynamoDB Streams reads by Lambda", usage.stream_reads, "call",
                 prices["dynamodb_streams_lambda_read"]),
        LineItem("EventBridge custom events", usage.custom_events, "event", prices["eventbridge_custom_event"]),
        LineItem("CloudWatch Logs ingestion", log_bytes / GB, "GB", prices["cloudwatch_logs_ingestion_gb"]),
        LineItem("Secrets Manager calls (cold starts)", usage.secret_calls, "call", prices["secretsmanager_api_call"]),
        LineItem("SES emails", usage.emails, "email", prices["ses_outbound_email"], headline=False),
    ]
    return items


def total(items: list[LineItem], headline_only: bool = True) -> float:
    return sum(item.usd_per_million_leads for item in items if item.headline or not headline_only)


def dominant(items: list[LineItem], count: int = 3) -> list[LineItem]:
    """The headline items that cost the most."""
    return sorted((item for item in items if item.headline), key=lambda item: -item.usd_per_million_leads)[:count]


QUIET_METRICS_LINE = "CloudWatch log-filter metrics (only hours a filter matches)"


@dataclass(frozen=True)
class FixedCosts:
    """What the stack costs per month whatever the number of leads."""

    sweeps_per_month: float
    sweep_billed_ms: float
    sweep_memory_mb: int
    sweep_read_units: float
    custom_metrics: int  # sent all the time (EMF from the functions, a metric filter with a DefaultValue)
    alarms: int
    dashboards: int
    secrets: int
    quiet_metrics: int = 0  # metric-filter metrics without a DefaultValue: sent only in hours a filter matches

    def monthly(self, prices: Mapping[str, Price] = PRICES) -> dict[str, float]:
        sweep_gb_s = self.sweeps_per_month * self.sweep_billed_ms / 1000 * self.sweep_memory_mb / 1024
        return {
            "followup schedule (invocations, duration, reads, scheduler)": round(
                self.sweeps_per_month * (prices["lambda_request"].usd + prices["scheduler_invocation"].usd
                                         + self.sweep_read_units * prices["dynamodb_read_request_unit"].usd)
                + sweep_gb_s * prices["lambda_gb_second_arm64"].usd, 4),
            "CloudWatch custom metrics (sent all month)": round(
                self.custom_metrics * prices["cloudwatch_custom_metric_month"].usd, 2),
            # metered only in the hours they receive data, and a healthy month sends them none (quiet_metrics_note)
            QUIET_METRICS_LINE: 0.0,
            "CloudWatch alarms": round(self.alarms * prices["cloudwatch_alarm_month"].usd, 2),
            "CloudWatch dashboard": round(self.dashboards * prices["cloudwatch_dashboard_month"].usd, 2),
            "Secrets Manager secret": round(self.secrets * prices["secretsmanager_secret_month"].usd, 2),
        }

    def quiet_metrics_note(self, prices: Mapping[str, Price] = PRICES) -> str:
        month = prices["cloudwatch_custom_metric_month"].usd
        return (f"{self.quiet_metrics} log-filter metric(s) without a DefaultValue, counted at $0 (a healthy month "
                f"sends them no data): ${metric_hour_usd(prices):.5f} for each hour in which one receives data "
                f"(${month:.2f} a month prorated over {HOURS_PER_MONTH} hours; sent every hour, ${month:.2f})")


def metric_hour_usd(prices: Mapping[str, Price] = PRICES) -> float:
    """One custom metric for one hour: CloudWatch prorates custom metrics by the hour, metered only in the hours
    they receive data."""
    return prices["cloudwatch_custom_metric_month"].usd / HOURS_PER_MONTH


def storage_per_million_leads(bytes_per_lead: float, prices: Mapping[str, Price] = PRICES) -> float:
    """USD per month to keep a million leads (table storage with its index overhead, plus PITR)."""
    gigabytes = bytes_per_lead * MILLION / GB
    return gigabytes * (prices["dynamodb_storage_gb_month"].usd + prices["dynamodb_pitr_gb_month"].usd)


# --- the monthly bill of a small business, per observability tier ------------------------------------------------
TIERS = ("basic", "full")
FULL_ONLY_CONDITION = "FullObservability"  # template.yaml's condition on what only Observability=full creates
MONTHS_KEPT = 12  # storage in the monthly bill: a year of leads at that rate kept in the table


def prints_emf(tier: str) -> bool:
    """Whether a tier's functions print EMF metric lines: not on basic, where template.yaml sets
    POWERTOOLS_METRICS_DISABLED (and leadwire then adds no metric at all)."""
    return tier != "basic"


def tier_resources(resources: Mapping[str, Mapping[str, object]], kind: str, tier: str) -> list[str]:
    """The logical ids of one resource type that exist with Observability=tier."""
    return sorted(logical_id for logical_id, resource in resources.items() if resource.get("Type") == kind
                  and (tier == "full" or resource.get("Condition") != FULL_ONLY_CONDITION))


def filter_metrics(resources: Mapping[str, Mapping[str, object]], tier: str) -> dict[str, bool]:
    """The custom metrics the log metric filters of a tier publish ("namespace/name/dimension keys": several filters
    may feed one; a dimension makes one metric per value found, counted here as one), each with whether it is sent
    all the time: true when a transformation of it has a DefaultValue (sent for every log event), false when it
    receives data only in the hours a filter matches."""
    found: dict[str, bool] = {}
    for logical_id in tier_resources(resources, "AWS::Logs::MetricFilter", tier):
        properties = resources[logical_id].get("Properties", {})
        assert isinstance(properties, Mapping)
        for transformation in properties.get("MetricTransformations", []):
            dimensions = ",".join(sorted(str(item["Key"]) for item in transformation.get("Dimensions", [])))
            metric = f"{transformation['MetricNamespace']}/{transformation['MetricName']}/{dimensions}"
            found[metric] = found.get(metric, False) or "DefaultValue" in transformation
    return found


@dataclass(frozen=True)
class MonthlyBill:
    """What a month costs at some number of leads: the tier's fixed costs plus every lead's share, all-in."""

    fixed_usd: float  # per month, whatever the number of leads
    usd_per_million_leads: float  # everything a lead makes AWS do, emails included
    stored_bytes_per_lead: float

    def at(self, leads_per_month: int, prices: Mapping[str, Price] = PRICES) -> float:
        kept = storage_per_million_leads(self.stored_bytes_per_lead, prices) * leads_per_month * MONTHS_KEPT / MILLION
        return self.fixed_usd + self.usd_per_million_leads * leads_per_month / MILLION + kept
