"""The measurements put together: the cost model fed with what was measured, the headline figures, and findings.

Lambda invocations per lead use the template's batch sizes (a burst fills batches); the "one record per batch"
figure shows a quiet day, when every stream record is an invocation of its own.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bench.cost import (
    FULL_VCPU_MB,
    HOURS_PER_MONTH,
    TIERS,
    FixedCosts,
    FunctionLoad,
    LeadUsage,
    LineItem,
    MonthlyBill,
    billed_ms,
    dominant,
    filter_metrics,
    line_items,
    prints_emf,
    storage_per_million_leads,
    tier_resources,
    total,
)
from bench.prices import PRICES, PRICES_AS_OF, REGION

GOAL_USD_PER_MILLION = 6.0
GOAL_BASIC_USD_AT_1000 = 1.00
LEADS_PER_MONTH = (1_000, 10_000, 100_000)
COLD_START_SHARE = 0.01  # assumed share of invocations that start a new container (each reads the secret once)
PIPELINE = ("IntakeFunction", "ScoreFunction", "AssignFunction")


def short(function_id: str) -> str:
    return function_id.removesuffix("Function").lower()


def access_log_line(template: Any) -> str:
    """One API Gateway access log line in the template's format, with typical values."""
    api = template.resource(template.logical_ids("AWS::Serverless::HttpApi")[0])["Properties"]
    line = str(api["AccessLogSettings"]["Format"])
    typical = {"$context.requestId": "JkHe0j1YIAMEVJw=", "$context.routeKey": "POST /leads", "$context.status": "201",
               "$context.responseLatency": "48", "$context.integrationErrorMessage": "-",
               "$context.responseLength": "46", "$context.requestTimeEpoch": "1795385392825"}
    for name, value in typical.items():
        line = line.replace(name, value)
    return line + "\n"


def function_loads(template: Any, warm: dict[str, Any], usage: dict[str, Any], shape: str, tier: str = "full"
                   ) -> list[FunctionLoad]:
    """Each pipeline function's work per lead; shape "batched" (template batch sizes) or "single" (one record). The
    functions ran with EMF metrics on, as the full tier deploys them: on basic their EMF lines are not printed."""
    specs = template.functions()
    batch_sizes = {sub.function_id: sub.batch_size for sub in template.stream_subscriptions()}
    phase = "burst" if shape == "batched" else "trickle"
    loads = []
    for function_id in PIPELINE:
        measured = warm[phase][function_id]["per_invocation"]
        records = usage["records_per_lead"][function_id]
        per_invocation = batch_sizes.get(function_id, 1) if shape == "batched" else 1
        loads.append(FunctionLoad(
            name=short(function_id), memory_mb=specs[function_id].memory_mb,
            invocations_per_lead=records / per_invocation,
            billed_ms=billed_ms(measured["cpu_ms"], specs[function_id].memory_mb, measured["calls"]),
            log_bytes=measured["log_bytes"] - unprinted(measured, "metrics_log_bytes", tier),
            log_events=measured["log_lines"] - unprinted(measured, "metrics_log_lines", tier)))
    return loads


def unprinted(measured: dict[str, Any], key: str, tier: str) -> float:
    """What of a function's measured logs a tier does not print: the EMF metric lines, on basic."""
    return 0.0 if prints_emf(tier) else float(measured.get(key, 0.0))


def lead_usage(template: Any, warm: dict[str, Any], usage: dict[str, Any], shape: str, tier: str = "full"
               ) -> LeadUsage:
    loads = function_loads(template, warm, usage, shape, tier)
    capacity = usage["capacity_per_lead"]
    return LeadUsage(
        functions=loads,
        write_units=capacity.get("wru", 0.0) + capacity.get("wru_gsi", 0.0),
        read_units=capacity.get("rru", 0.0),
        api_requests=usage["invocations_per_lead"]["IntakeFunction"],
        custom_events=usage["custom_events_per_lead"],
        emails=usage["emails_per_lead"],
        secret_calls=COLD_START_SHARE * sum(load.invocations_per_lead for load in loads),
        access_log_bytes=len(access_log_line(template).encode()),
        stream_reads=sum(load.invocations_per_lead for load in loads if load.name != "intake"),
    )


def followup_usd(template: Any, warm: dict[str, Any], followup: dict[str, Any], leads: int) -> float:
    """Per million leads: what the sweeps spend on each lead if nobody acts (emails excluded)."""
    spec = template.function(template.schedule().function_id)
    sweep = warm["sweep"][spec.logical_id]
    swept = max(1, sweep["leads_swept"])
    calls_per_lead = followup["requests_per_lead_by_function"].get(spec.logical_id, {})
    cpu_ms_per_lead = sweep["per_invocation"]["cpu_ms"] / swept
    ms_per_lead = billed_ms(cpu_ms_per_lead, spec.memory_mb, calls_per_lead)
    capacity = followup["capacity_per_lead"]
    items = [
        LineItem("follow-up DynamoDB writes", capacity.get("wru", 0) + capacity.get("wru_gsi", 0), "WRU",
                 PRICES["dynamodb_write_request_unit"]),
        LineItem("follow-up DynamoDB reads", capacity.get("rru", 0), "RRU", PRICES["dynamodb_read_request_unit"]),
        LineItem("follow-up Lambda duration", ms_per_lead / 1000 * spec.memory_mb / 1024, "GB-second",
                 PRICES["lambda_gb_second_arm64"]),
        LineItem("follow-up EventBridge events", followup["custom_events_per_lead"], "event",
                 PRICES["eventbridge_custom_event"]),
    ]
    return round(total(items), 2)


def dashboard_metrics(template: Any) -> set[str]:
    """The custom metrics (our namespace) the full tier's dashboard charts."""
    body = json.dumps(template.resources)
    return set(re.findall(r'\[\\"leadwire\\", \\"(\w+)\\"', body))


def custom_metrics(template: Any, seen: list[str], tier: str) -> tuple[int, int]:
    """(sent all month, sent only in hours a log filter matches). EMF: none on basic (POWERTOOLS_METRICS_DISABLED),
    on full each metric name the functions emitted or the dashboard charts. Log metric filters: each metric they
    publish (several filters may feed one), sent all month only when a filter has a DefaultValue."""
    by_filter = filter_metrics(template.resources, tier)
    always = sum(1 for sent_all_month in by_filter.values() if sent_all_month)
    quiet = len(by_filter) - always
    if not prints_emf(tier):
        return always, quiet
    return len({name.split("/")[0] for name in seen} | dashboard_metrics(template)) + always, quiet


def fixed_costs(template: Any, warm: dict[str, Any], metrics: list[str], tier: str = "full") -> FixedCosts:
    schedule = template.schedule()
    spec = template.function(schedule.function_id)
    empty = warm["empty_sweep"][schedule.function_id]["per_invocation"]
    reads = sum(count * (0.5 if name.endswith("Query") else 1.0) for name, count in empty["calls"].items()
                if name.startswith("dynamodb."))
    always, quiet = custom_metrics(template, metrics, tier)
    return FixedCosts(
        sweeps_per_month=HOURS_PER_MONTH * 3600 / schedule.rate_s,
        sweep_billed_ms=billed_ms(empty["cpu_ms"], spec.memory_mb, empty["calls"]),
        sweep_memory_mb=spec.memory_mb, sweep_read_units=reads, custom_metrics=always, quiet_metrics=quiet,
        alarms=len(tier_resources(template.resources, "AWS::CloudWatch::Alarm", tier)),
        dashboards=len(tier_resources(template.resources, "AWS::CloudWatch::Dashboard", tier)),
        secrets=len(template.logical_ids("AWS::SecretsManager::Secret")))


def cost_lines(items: list[LineItem]) -> list[dict[str, Any]]:
    return [{"item": item.name, "per_lead": float(f"{item.quantity:.6g}"), "unit": item.unit,
             "unit_price_usd": item.price.usd, "usd_per_million_leads": round(item.usd_per_million_leads, 4),
             "in_headline": item.headline, "price_source": item.price.source} for item in items]


def warm_per_event(warm: dict[str, Any], template: Any) -> dict[str, Any]:
    batch = {sub.function_id: sub.batch_size for sub in template.stream_subscriptions()}
    found: dict[str, Any] = {}
    for function_id in PIPELINE:
        per = "request" if function_id not in batch else f"stream record (batches of {batch[function_id]})"
        found[short(function_id)] = {"per": per, **warm["burst"][function_id]["per_record"]}
    schedule_id = template.schedule().function_id
    sweep = warm["sweep"][schedule_id]
    swept = max(1, sweep["leads_swept"])
    found[short(schedule_id)] = {"per": f"lead worked on by a sweep ({swept} in the sweep)",
                                 **{name: round(value * sweep["records"] / swept, 3)
                                    for name, value in sweep["per_record"].items()}}
    return found


def coldstart_findings(coldstart: dict[str, Any], imports: dict[str, Any]) -> list[str]:
    findings = []
    for name, figures in coldstart.items():
        if figures["goal_met"]:
            continue
        split = figures["first_event_split_ms"]
        profile = imports.get(name, {})
        named = "; ".join(f"{entry['package']} +{entry['ms']} ms (via {entry['pulled_in_by']})"
                          for entry in profile.get("beyond_floor", [])[:6])
        slowest = ", ".join(f"{module} {ms}" for module, ms in profile.get("slowest_leadwire_modules_ms", [])[:4])
        findings.append(
            f"cold start {name}: {figures['ms']} ms = {figures['ratio']}x the floor {figures['floor_ms']} ms "
            f"(import {figures['import_ms']} ms; first event {figures['first_event_ms']} ms = "
            f"{split['boto3_clients']} ms creating {figures['clients_created']} boto3 clients, "
            f"{split['botocore_calls']} ms in botocore for {figures['aws_calls']} calls, {split['ours']} ms ours, "
            f"{split['garbage_collection']} ms garbage collection). Imports beyond the floor: {named}. "
            f"Slowest leadwire modules (own ms): {slowest}")
    compile_ms = {name: figures.get("layer_compile_ms") for name, figures in coldstart.items()}
    if any(compile_ms.values()):
        findings.append(
            "cold start in this venv, not in its figures: a layer without bytecode on Lambda's read-only /opt "
            "would be compiled on every cold start: "
            + ", ".join(f"{name} +{ms} ms" for name, ms in compile_ms.items())
            + " on this machine; the layer Makefile compiles it with Python 3.13 when one is found (see the runtime "
            "rows, 'no-.pyc layer ms')")
    return findings


def write_findings(usage: dict[str, Any], items: list[LineItem]) -> list[str]:
    """Where the write units of a lead go, and what the rest of the bill would be without DynamoDB."""
    by_operation = usage["capacity_per_lead_by_operation"]
    transactional = by_operation.get("dynamodb.TransactWriteItems", {}).get("wru", 0.0)
    index_units = usage["capacity_per_lead"].get("wru_gsi", 0.0)
    price = PRICES["dynamodb_write_request_unit"].usd * 1_000_000
    entries = {name: units for name, units in usage["write_units_per_lead_by_item"].items() if "index " not in name}
    ranked = sorted(entries.items(), key=lambda pair: -pair[1].get("wru", 0))[:6]
    rest = total([item for item in items if not item.name.startswith("DynamoDB")])
    saved = transactional / 2 * price
    return [
        f"DynamoDB writes: {transactional} of {usage['capacity_per_lead'].get('wru', 0)} table WRU per lead come from "
        f"TransactWriteItems, where every item write counts twice (written plainly: saves ${saved:.2f}"
        f" per million leads); GSI maintenance adds {index_units} WRU (${index_units * price:.2f}). Biggest: "
        + ", ".join(f"{name} {units.get('wru')} WRU ({units.get('writes')} writes)" for name, units in ranked),
        f"without DynamoDB the rest of the headline is ${rest:.2f} per million leads, so the $6 goal leaves "
        f"{max(0.0, (GOAL_USD_PER_MILLION - rest) / PRICES['dynamodb_write_request_unit'].usd / 1_000_000):.1f} "
        "write units per lead (reads aside)",
        *lead_item_finding(usage["lead_item_size"]),
    ]


def lead_item_finding(lead: dict[str, Any]) -> list[str]:
    """How close the lead item is to the next write unit, and what in it weighs most."""
    if not lead.get("items"):
        return []
    return [f"lead item once assigned: median {lead['median_bytes']} bytes, largest {lead['max_bytes']}; "
            f"{lead['over_one_unit_share']:.0%} are over 1 KB, so each of their writes costs 2 units (4 in a "
            "transaction). Heaviest attributes (mean bytes): "
            + ", ".join(f"{name} {weight:g}" for name, weight in lead["heaviest_attributes"].items())]


def summarise(results: dict[str, Any], template: Any) -> dict[str, Any]:
    warm, usage = results["warm"], results["usage"]
    pipeline_usage = usage["pipeline"]
    default_tier = template.document["Parameters"]["Observability"]["Default"]
    usage_by_tier = {tier: lead_usage(template, warm, pipeline_usage, "batched", tier) for tier in TIERS}
    by_tier = {tier: line_items(usage_of_tier) for tier, usage_of_tier in usage_by_tier.items()}
    batched = by_tier[default_tier]  # the headline: what `sam deploy` gives without choosing a tier
    single = {tier: line_items(lead_usage(template, warm, pipeline_usage, "single", tier)) for tier in TIERS}
    headline = round(total(batched), 2)
    usd_by_tier = {tier: round(total(items), 2) for tier, items in by_tier.items()}
    findings = coldstart_findings(results["coldstart"], results.get("coldstart_imports", {}))
    top = dominant(batched, 3)
    verdict = "within" if headline <= GOAL_USD_PER_MILLION else "OVER"
    findings.append(f"cost: ${headline} per million leads without email on the {default_tier} tier ({verdict} the "
                    f"${GOAL_USD_PER_MILLION:g} goal; full ${usd_by_tier['full']:.2f});"
                    " largest items: " + ", ".join(f"{item.name} ${item.usd_per_million_leads:.2f}" for item in top))
    findings += write_findings(pipeline_usage, batched)
    loads = usage_by_tier[default_tier].functions
    costs = {tier: fixed_costs(template, warm, results.get("custom_metrics", []), tier) for tier in TIERS}
    fixed = {tier: cost.monthly() for tier, cost in costs.items()}
    # A small business's traffic is quiet: every stream record an invocation of its own; emails included.
    monthly = {tier: {str(leads): round(MonthlyBill(sum(fixed[tier].values()), total(single[tier], False),
                                                    pipeline_usage["stored_bytes_per_lead"]).at(leads), 2)
                      for leads in LEADS_PER_MONTH} for tier in TIERS}
    basic = monthly["basic"]["1000"]
    within = "within" if basic <= GOAL_BASIC_USD_AT_1000 else "OVER"
    findings.append(f"monthly bill at 1,000 leads: basic ${basic:.2f} ({within} the ${GOAL_BASIC_USD_AT_1000:.2f} "
                    f"goal), full ${monthly['full']['1000']:.2f}; the leads themselves (emails, their AWS work, a year "
                    f"stored) ${basic - sum(fixed['basic'].values()):.2f} of it; "
                    "basic fixed: " + ", ".join(f"{name} ${value:.2f}" for name, value in fixed["basic"].items()))
    return {
        "coldstart_runtime": results.get("coldstart_runtime"),
        "coldstart": results["coldstart"],
        "coldstart_floor_runs_ms": results.get("coldstart_floor_runs_ms"),
        "coldstart_imports": results.get("coldstart_imports"),
        "layer_mb": results["layer"]["layer_mb"],
        "layer": results["layer"],
        "warm_cpu_per_event_ms": warm_per_event(warm, template),
        "throughput_leads_per_s": results["throughput_leads_per_s"],
        "speed_to_lead_s": results["speed_to_lead_s"],
        "speed_to_lead_one_at_a_time_s": results.get("speed_to_lead_one_at_a_time_s"),
        "speed_to_lead_sustained_s": results.get("speed_to_lead_sustained_s"),
        "pipeline": results["pipeline"],
        "aws_requests_per_lead": pipeline_usage["aws_requests_per_lead"],
        "aws_requests_per_lead_by_function": pipeline_usage["requests_per_lead_by_function"],
        "capacity_units_per_lead": pipeline_usage["capacity_per_lead"],
        "capacity_units_per_lead_by_operation": pipeline_usage["capacity_per_lead_by_operation"],
        "write_units_per_lead_by_item": pipeline_usage["write_units_per_lead_by_item"],
        "lead_item_size": pipeline_usage["lead_item_size"],
        "lambda_per_lead": {load.name: {"invocations": round(load.invocations_per_lead, 3),
                                        "billed_ms_per_invocation": load.billed_ms, "memory_mb": load.memory_mb,
                                        "gb_seconds": round(load.gb_seconds_per_lead(), 6),
                                        "log_bytes_per_invocation": load.log_bytes} for load in loads},
        "emails_per_lead": pipeline_usage["emails_per_lead"],
        "custom_events_per_lead": pipeline_usage["custom_events_per_lead"],
        "usd_per_million_leads": headline,
        "usd_per_million_leads_tier": default_tier,
        "usd_per_million_leads_by_tier": usd_by_tier,
        "usd_per_million_leads_one_record_per_batch": round(total(single[default_tier]), 2),
        "usd_per_million_leads_with_email": round(total(batched, headline_only=False), 2),
        "cost_lines": cost_lines(batched),
        "followup_usd_per_million_leads_if_nobody_acts": followup_usd(
            template, warm, usage["followup_if_nobody_acts"], usage["leads"]),
        "followup_emails_per_lead_if_nobody_acts": usage["followup_if_nobody_acts"]["emails_per_lead"],
        "fixed_usd_per_month": fixed["full"],
        "fixed_usd_per_month_by_tier": fixed,
        "fixed_usd_per_month_notes": {tier: cost.quiet_metrics_note() for tier, cost in costs.items()},
        "monthly_usd": monthly,
        "monthly_usd_note": f"list prices, no free tier; per tier: fixed costs + {LEADS_PER_MONTH} leads a month "
                            "with emails, one stream record per invocation, a year of leads stored",
        "custom_metrics_seen": results.get("custom_metrics", []),
        "stored_bytes_per_lead": pipeline_usage["stored_bytes_per_lead"],
        "storage_usd_per_month_per_million_leads_kept": round(
            storage_per_million_leads(pipeline_usage["stored_bytes_per_lead"]), 2),
        "prices_as_of": PRICES_AS_OF,
        "prices_region": REGION,
        "prices_note": "transcribed by hand from the AWS pricing pages named in cost_lines, not fetched live",
        "assumptions": {
            "lambda_cpu": f"Lambda CPU = CPU measured here x {FULL_VCPU_MB}/memory MB (1 vCPU at {FULL_VCPU_MB} MB)",
            "aws_call_wait_ms": "bench/cost.py CALL_WAIT_MS (typical in-region round trips, not measured)",
            "cold_start_share": COLD_START_SHARE,
            "gsi_writes": "not doubled by transactions",
            "moto": "local stack and harness run with devtools/moto_fidelity.py "
                    "(isolated transactions, one-partition Query)",
        },
        "findings": findings,
    }
