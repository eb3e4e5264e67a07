"""What one lead makes AWS do, counted on the real code path: requests by operation, DynamoDB read and write units
(table and GSIs), stream records per consumer, emails, domain events, the bytes a lead keeps in the table, and how
big its lead item is once assigned (against the 1 KB write unit).

A run in this process through the harness (no threads, so one write at a time): before each DynamoDB write the items
it touches are read with a client of their own (not counted), after it again, and the units follow from the item
sizes (bench.capacity). Reads are sized from what they return. Leads arrive in a burst and the stream is drained,
so the consumers get batches of the template's size; then follow-up sweeps run as if nobody acted on the leads.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.capacity import Index, index_write_units, indexes_of, item_size, read_units, size_profile, write_units
from bench.harness import Harness, Invoke
from bench.leads import TEAM, website_lead
from bench.progress import say
from bench.requests import Request, RequestCounter, current_function, per_lead

LEADS = 100
PIPELINE = ("IntakeFunction", "ScoreFunction", "AssignFunction")
FOLLOWUP_AFTER_MINUTES = (1, 16, 61)  # the welcome email; the owner's reminder and SLA breach; the reassignment
ITEM_OVERHEAD_BYTES = 100  # DynamoDB storage: every item carries 100 bytes of index overhead
_BEFORE = "bench_items_before"
_PARAMS = "bench_capacity_params"
_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


def written_keys(operation: str, params: dict[str, Any], key_names: tuple[str, ...]
                 ) -> list[tuple[dict[str, Any], bool]]:
    """(key, transactional) for every item a write request touches."""

    def key_of(item: dict[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in key_names}

    if operation == "PutItem":
        return [(key_of(params["Item"]), False)]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["Key"], False)]
    if operation == "TransactWriteItems":
        found = []
        for action in params["TransactItems"]:
            (kind, body), = action.items()
            found.append((key_of(body["Item"]) if kind == "Put" else body["Key"], True))
        return found
    if operation == "BatchWriteItem":
        return [(key_of(request["PutRequest"]["Item"]) if "PutRequest" in request else request["DeleteRequest"]["Key"],
                 False) for requests in params["RequestItems"].values() for request in requests]
    return []


class CapacityMeter:
    """Read and write units per function and operation, from item sizes before and after each request."""

    def __init__(self, shadow: Any, table: str, key_names: tuple[str, ...], indexes: list[Index]) -> None:
        self.shadow = shadow  # a client of its own session: its reads are not hooked, counted or metered
        self.table = table
        self.key_names = key_names
        self.indexes = indexes
        self.units: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.by_item: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)  # (function, item kind): write units

    def attach(self, events: Any) -> None:
        events.register("provide-client-params.dynamodb", self._before, unique_id="bench-capacity-before")
        events.register("after-call.dynamodb", self._after, unique_id="bench-capacity-after")

    def _item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        answer: dict[str, Any] = self.shadow.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        return answer.get("Item")

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if current_function() is None:
            return
        context[_PARAMS] = dict(params)
        if model.name in _WRITES:
            context[_BEFORE] = [(key, transactional, self._item(key))
                                for key, transactional in written_keys(model.name, params, self.key_names)]

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
               **_: Any) -> None:
        function = current_function()
        if function is None or _PARAMS not in context:
            return
        units = self.units[(function, model.name)]
        if model.name in _WRITES:
            ok = int(getattr(http_response, "status_code", 200)) < 300
            for key, transactional, before in context.get(_BEFORE, []):
                after = self._item(key) if ok else before  # a refused write still costs its units
                kind = self.by_item[(function, item_kind(key))]
                table_units = write_units(item_size(before), item_size(after), transactional)
                per_index = {index.name: index_write_units(before, after, index, self.key_names) if ok else 0
                             for index in self.indexes}
                index_units = sum(per_index.values())
                for name, count in per_index.items():
                    self.by_item[(function, f"index {name}")]["wru_gsi"] += count
                units["wru"] += table_units
                units["wru_gsi"] += index_units
                kind["wru"] += table_units
                kind["wru_gsi"] += index_units
                kind["writes"] += 1
        else:
            units["rru"] += query_read_units(model.name, context[_PARAMS], parsed)

    def per_lead(self, functions: tuple[str, ...], leads: int) -> dict[str, float]:
        totals: Counter[str] = Counter()
        for (function, _), units in self.units.items():
            if function in functions:
                totals.update(units)
        return {name: round(value / leads, 3) for name, value in sorted(totals.items())}

    def by_operation(self, functions: tuple[str, ...], leads: int) -> dict[str, dict[str, float]]:
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for (function, operation), units in self.units.items():
            if function in functions:
                found[f"dynamodb.{operation}"].update(units)
        return {name: {unit: round(value / leads, 3) for unit, value in sorted(units.items())}
                for name, units in sorted(found.items())}

    def by_item_kind(self, functions: tuple[str, ...], leads: int) -> dict[str, dict[str, float]]:
        """Write units per lead by what was written (the lead, its timeline, dedupe keys, counters, ...)."""
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for (function, kind), units in self.by_item.items():
            if function in functions:
                found[f"{short_name(function)}: {kind}"].update(units)
        return {name: {unit: round(value / leads, 3) for unit, value in sorted(units.items())}
                for name, units in sorted(found.items())}

    def reset(self) -> None:
        self.units.clear()
        self.by_item.clear()


def short_name(function_id: str) -> str:
    return function_id.removesuffix("Function").lower()


def item_kind(key: dict[str, Any]) -> str:
    """What an item is, from its key: the lead, a timeline entry, a dedupe key, a counter, a rep, ..."""
    pk, sk = str(key["pk"].get("S", "")), str(key["sk"].get("S", ""))
    if pk.startswith("LEAD#"):
        kinds = {"LEAD": "lead item", "TL": "timeline entry", "EVT": "engagement event", "SUB": "submission"}
        return kinds.get(sk.split("#")[0], sk)
    if pk.startswith(("EMAIL#", "PHONE#", "REF#")):
        return "dedupe key"
    if pk.startswith("COUNTER#"):
        return "routing counter"
    return {"FUNNEL": "funnel counter", "REPS": "rep counters", "CONFIG": "config", "JOB": "job"}.get(
        pk, pk.split("#")[0].lower() + " item")


def query_read_units(operation: str, params: dict[str, Any], answer: dict[str, Any]) -> float:
    """Read units of a read request, sized from what it returned."""
    if operation == "GetItem":
        return read_units(item_size(answer.get("Item")), bool(params.get("ConsistentRead")))
    if operation == "Query":
        items = answer.get("Items", [])
        size = sum(item_size(item) for item in items)
        scanned = int(answer.get("ScannedCount", len(items)))
        if scanned > len(items):  # a filter dropped items it had read: charge them at the average size
            size = size * scanned // len(items) if items else scanned * ITEM_OVERHEAD_BYTES
        return read_units(size, bool(params.get("ConsistentRead")) and "IndexName" not in params)
    if operation == "BatchGetItem":
        consistent = {table: bool(spec.get("ConsistentRead")) for table, spec in params["RequestItems"].items()}
        return sum(read_units(item_size(item), consistent.get(table, False))
                   for table, items in answer.get("Responses", {}).items() for item in items)
    if operation == "TransactGetItems":
        return sum(read_units(item_size(item.get("Item")), transactional=True) for item in answer.get("Responses", []))
    return 0.0


def stored_bytes(items: list[dict[str, Any]], indexes: list[Index], key_names: tuple[str, ...]) -> int:
    """Bytes DynamoDB bills for storing these items: sizes, per-item overhead, and their index entries."""
    total = 0
    for item in items:
        total += item_size(item) + ITEM_OVERHEAD_BYTES
        for index in indexes:
            entry = index.entry(item, key_names)
            if entry is not None:
                total += item_size(entry) + ITEM_OVERHEAD_BYTES
    return total


class Deliveries:
    """Invocations and the records they carried, per function (a harness middleware)."""

    def __init__(self) -> None:
        self.invocations: Counter[str] = Counter()
        self.records: Counter[str] = Counter()

    def middleware(self, function: str, event: dict[str, Any], invoke: Invoke) -> Any:
        self.invocations[function] += 1
        self.records[function] += len(event.get("Records", [])) or 1
        return invoke()

    def reset(self) -> None:
        self.invocations.clear()
        self.records.clear()


def custom_events(requests: list[Request], functions: tuple[str, ...]) -> int:
    return sum(len(request.params.get("Entries", [])) for request in requests
               if request.function in functions and request.name == "events.PutEvents")


def snapshot(counter: RequestCounter, meter: CapacityMeter, deliveries: Deliveries, functions: tuple[str, ...],
             leads: int) -> dict[str, Any]:
    """Everything booked to `functions` so far, per lead."""
    by_function = {function: per_lead(counter.by_operation(function), leads) for function in functions}
    requests: Counter[str] = Counter()
    for function in functions:
        requests.update(counter.by_operation(function))
    return {
        "aws_requests_per_lead": per_lead(dict(sorted(requests.items())), leads),
        "requests_per_lead_by_function": by_function,
        "capacity_per_lead": meter.per_lead(functions, leads),
        "capacity_per_lead_by_operation": meter.by_operation(functions, leads),
        "write_units_per_lead_by_item": meter.by_item_kind(functions, leads),
        "custom_events_per_lead": round(custom_events(counter.requests, functions) / leads, 3),
        "emails_per_lead": round(sum(requests[name] for name in requests if name.startswith(("ses.Send", "sesv2.Send")))
                                 / leads, 3),
        "invocations_per_lead": {function: round(deliveries.invocations[function] / leads, 3)
                                 for function in functions},
        "records_per_lead": {function: round(deliveries.records[function] / leads, 3) for function in functions},
    }


def email_kind(subject: str) -> str:
    return "Lead reassigned" if "reassigned" in subject else subject.split(":")[0]


def measure(leads: int = LEADS) -> dict[str, Any]:
    import boto3

    from devtools.environment import REGION
    from leadwire.clock import parse_iso

    counter = RequestCounter(keep=True)
    harness = Harness(counter=counter)
    harness.start()
    table_props = harness.template.resource(harness.template.table_id())["Properties"]
    key_names = tuple(key["AttributeName"] for key in table_props["KeySchema"])
    indexes = indexes_of(table_props)
    shadow = boto3.session.Session(region_name=REGION).client("dynamodb")
    meter = CapacityMeter(shadow, os.environ["TABLE_NAME"], key_names, indexes)
    meter.attach(boto3.DEFAULT_SESSION.events)
    deliveries = Deliveries()
    harness.middlewares.append(deliveries.middleware)
    for rep_id, rep in TEAM.items():
        harness.api("PUT", f"/reps/{rep_id}", rep, auth=True)
    counter.reset()
    meter.reset()
    deliveries.reset()
    stored_before = stored_bytes(harness.table_items(), indexes, key_names)

    say(f"usage: {leads} leads through intake, score and assign, every request and capacity unit counted")
    for number in range(leads):
        status, answer = harness.api("POST", "/leads", website_lead(number, run="usage"))
        if status != 201:
            raise RuntimeError(f"lead {number} was not accepted: {status} {answer}")
    harness.drain()
    pipeline = snapshot(counter, meter, deliveries, PIPELINE, leads)
    pipeline["stored_bytes_per_lead"] = round((stored_bytes(harness.table_items(), indexes, key_names)
                                               - stored_before) / leads, 1)
    pipeline["lead_item_size"] = size_profile([item for item in harness.table_items() if item["sk"]["S"] == "LEAD"])
    pipeline["outbox"] = dict(Counter(email_kind(mail.subject) for mail in harness.aws.outbox))

    say("usage: follow-up sweeps at +1, +16 and +61 minutes, as if nobody acted on the leads")
    counter.reset()
    meter.reset()
    deliveries.reset()
    outbox_before = len(harness.aws.outbox)
    first = min(parse_iso(item["created_at"]["S"]) for item in harness.table_items() if item["sk"]["S"] == "LEAD")
    for minutes in FOLLOWUP_AFTER_MINUTES:
        harness.sweep(first + timedelta(minutes=minutes))
        harness.drain()
    functions = tuple(harness.functions)
    followup = snapshot(counter, meter, deliveries, functions, leads)
    followup["outbox"] = dict(Counter(email_kind(mail.subject) for mail in harness.aws.outbox[outbox_before:]))
    harness.stop()
    return {"usage": {"leads": leads, "pipeline": pipeline, "followup_if_nobody_acts": followup}}


def main() -> None:
    Path(sys.argv[1]).write_text(json.dumps(measure(), indent=2))


if __name__ == "__main__":
    main()
