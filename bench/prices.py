"""AWS list prices in us-east-1 that the cost model multiplies by, each named with the pricing page it comes from.

These prices were transcribed by hand from the public AWS pricing pages, not fetched live: check the pages before
quoting a figure, and update PRICES_AS_OF when you change a number.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2026-11-22"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    usd: float  # per one `unit`
    unit: str
    source: str  # the AWS pricing page and the line on it


MILLION = 1_000_000

PRICES: dict[str, Price] = {
    # --- per lead -------------------------------------------------------------------------------------------------
    "dynamodb_write_request_unit": Price(
        0.625 / MILLION, "write request unit",
        "Amazon DynamoDB pricing, on-demand capacity, Standard table class: $0.625 per million write request units"),
    "dynamodb_read_request_unit": Price(
        0.125 / MILLION, "read request unit",
        "Amazon DynamoDB pricing, on-demand capacity, Standard table class: $0.125 per million read request units"),
    "lambda_request": Price(
        0.20 / MILLION, "invocation", "AWS Lambda pricing, requests: $0.20 per 1M requests"),
    "lambda_gb_second_arm64": Price(
        0.0000133334, "GB-second",
        "AWS Lambda pricing, duration, Arm price, first 7.5 billion GB-seconds/month: $0.0000133334 per GB-second"),
    "apigw_http_request": Price(
        1.00 / MILLION, "request",
        "Amazon API Gateway pricing, HTTP APIs, first 300 million requests/month: $1.00 per million"),
    "eventbridge_custom_event": Price(
        1.00 / MILLION, "event (64 KB chunk)",
        "Amazon EventBridge pricing, event buses, custom events: $1.00 per million events"),
    "cloudwatch_logs_ingestion_gb": Price(
        0.50, "GB ingested",
        "Amazon CloudWatch pricing, logs, Standard log class, collect (data ingestion): $0.50 per GB"),
    "secretsmanager_api_call": Price(
        0.05 / 10_000, "API call", "AWS Secrets Manager pricing: $0.05 per 10,000 API calls"),
    "ses_outbound_email": Price(
        0.10 / 1_000, "email", "Amazon SES pricing, outbound email: $0.10 per 1,000 emails"),
    # DynamoDB Streams reads made by Lambda event source mappings are free; listed so the model can say so.
    "dynamodb_streams_lambda_read": Price(
        0.0, "GetRecords call",
        "Amazon DynamoDB pricing, DynamoDB Streams: GetRecords calls invoked by AWS Lambda triggers are free"),
    # --- per month, whatever the number of leads ---------------------------------------------------------------
    "dynamodb_storage_gb_month": Price(
        0.25, "GB-month", "Amazon DynamoDB pricing, data storage, Standard table class: $0.25 per GB-month"),
    "dynamodb_pitr_gb_month": Price(
        0.20, "GB-month", "Amazon DynamoDB pricing, continuous backups (PITR): $0.20 per GB-month"),
    "cloudwatch_logs_storage_gb_month": Price(
        0.03, "GB-month", "Amazon CloudWatch pricing, logs, store (archival): $0.03 per GB-month"),
    "cloudwatch_custom_metric_month": Price(
        0.30, "metric-month",
        "Amazon CloudWatch pricing, metrics, first 10,000 custom metrics: $0.30 per month (all custom metrics charges "
        "are prorated by the hour and metered only when you send metrics to CloudWatch)"),
    "cloudwatch_alarm_month": Price(
        0.10, "alarm-month",
        "Amazon CloudWatch pricing, alarms, standard resolution: $0.10 per alarm metric (prorated by the hour while "
        "the alarm exists, whether it fires or not)"),
    "cloudwatch_dashboard_month": Price(
        3.00, "dashboard-month", "Amazon CloudWatch pricing, dashboards: $3.00 per dashboard per month"),
    "secretsmanager_secret_month": Price(
        0.40, "secret-month", "AWS Secrets Manager pricing: $0.40 per secret per month"),
    "scheduler_invocation": Price(
        1.00 / MILLION, "invocation",
        "Amazon EventBridge pricing, Scheduler, after 14 million free invocations/month: $1.00 per million"),
}


def price(name: str) -> Price:
    return PRICES[name]
