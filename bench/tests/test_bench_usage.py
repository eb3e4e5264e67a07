"""How the benchmark sizes DynamoDB requests and matches owner emails to leads, on hand-made requests."""

from __future__ import annotations

import os

from bench.leads import lead_id_of, phone, website_lead
from bench.pipeline import Accepted, cpu_ms_per_lead, percentile, process_cpu_s, speed_to_lead
from bench.usage import query_read_units, written_keys

KEYS = ("pk", "sk")
LEAD = {"pk": {"S": "LEAD#1"}, "sk": {"S": "LEAD"}, "email": {"S": "a@b.example"}}


def test_every_item_a_write_touches_is_found_with_whether_it_is_transactional() -> None:
    assert written_keys("PutItem", {"Item": LEAD}, KEYS) == [({"pk": LEAD["pk"], "sk": LEAD["sk"]}, False)]
    assert written_keys("UpdateItem", {"Key": {"pk": {"S": "X"}, "sk": {"S": "Y"}}}, KEYS) == [
        ({"pk": {"S": "X"}, "sk": {"S": "Y"}}, False)]
    counter_key = {"pk": {"S": "C"}, "sk": {"S": "D"}}
    transaction = {"TransactItems": [{"Put": {"Item": LEAD}}, {"Update": {"Key": counter_key}}]}
    touched = written_keys("TransactWriteItems", transaction, KEYS)
    assert touched == [({"pk": LEAD["pk"], "sk": LEAD["sk"]}, True), (counter_key, True)]
    assert written_keys("GetItem", {"Key": {}}, KEYS) == []


def test_reads_are_sized_from_what_they_return() -> None:
    assert query_read_units("GetItem", {"ConsistentRead": True}, {"Item": LEAD}) == 1
    assert query_read_units("GetItem", {}, {}) == 0.5  # a miss still costs the minimum
    big = {"pk": {"S": "x" * 5000}}
    assert query_read_units("Query", {"ConsistentRead": True}, {"Items": [big, big], "ScannedCount": 2}) == 3
    assert query_read_units("Query", {"IndexName": "due", "ConsistentRead": True}, {"Items": []}) == 0.5
    batch = {"RequestItems": {"t": {"ConsistentRead": True}}}
    assert query_read_units("BatchGetItem", batch, {"Responses": {"t": [LEAD, LEAD]}}) == 2


def test_a_filter_charges_the_items_it_read_and_dropped() -> None:
    item = {"pk": {"S": "x" * 2000}}
    assert query_read_units("Query", {"ConsistentRead": True}, {"Items": [item], "ScannedCount": 3}) == 2


def test_speed_to_lead_matches_each_email_to_the_lead_it_names() -> None:
    # Given two leads answered at t=100 and t=101, and their owners' emails at 100.5 and 103
    accepted = [Accepted("a" * 20, 201, 99.9, 100.0), Accepted("b" * 20, 201, 100.9, 101.0)]
    outbox = [
        {"to": "ben@shop.example", "sent_at": "1970-01-01T00:01:43.000Z", "headers": {"X-Leadwire-Lead": "b" * 20}},
        {"to": "anna@shop.example", "sent_at": "1970-01-01T00:01:40.500Z", "headers": {"X-Leadwire-Lead": "a" * 20}},
    ]

    # When speed to lead is computed
    figures = speed_to_lead(accepted, outbox)

    # Then each delay is its own lead's
    assert figures == {"p50": 0.5, "p95": 2.0, "max": 2.0, "emailed": 2}


def test_percentile_is_nearest_rank() -> None:
    values = [float(number) for number in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([3.0], 0.95) == 3.0


def test_made_up_leads_are_different_people_in_every_run() -> None:
    runs = ("warmup", "burst", "trickle", "usage", "pipeline", "quiet", "cold")
    assert len({phone(number, run) for run in runs for number in range(1000)}) == 7000
    assert website_lead(7, "usage") == website_lead(7, "usage")
    assert website_lead(7, "usage")["email"] != website_lead(7, "pipeline")["email"]
    assert lead_id_of({"headers": {"X-Leadwire-Lead": "0123456789abcdef0123"}}) == "0123456789abcdef0123"
    assert lead_id_of({"headers": {}}) is None and lead_id_of({}) is None


def test_the_stack_cpu_per_lead_is_its_process_cpu_time_over_the_leads() -> None:
    # this process has run code, so /proc shows CPU time for it; a process that does not exist has none
    assert (process_cpu_s(os.getpid()) or 0) > 0
    assert process_cpu_s(2**22 + 1) is None  # above Linux's highest process id
    assert cpu_ms_per_lead(10.0, 58.5, 600) == 80.8
    assert cpu_ms_per_lead(None, 58.5, 600) is None
    assert cpu_ms_per_lead(10.0, 58.5, 0) is None
