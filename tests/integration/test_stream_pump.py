"""The local event source mapping: filters, batches, partial failures, retry cap and dead letters."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from devtools.environment import LOCAL_ENV, REGION
from devtools.lambdas import Function
from local_stack.pump import MotoStream, StreamPump, Subscription

from .conftest import TEMPLATE

pytestmark = pytest.mark.integration


class Recorder:
    """A stand-in function: reports a failure for every record whose lead is named 'poison'."""

    def __init__(self, crash: bool = False) -> None:
        self.seen: list[str] = []
        self.calls = 0
        self.crash = crash

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls += 1
        done, failures = [], []
        for record in event["Records"]:
            name = record["dynamodb"]["NewImage"]["id"]["S"]
            if name == "poison":
                if self.crash:
                    raise RuntimeError("cannot process")  # nothing of this batch counts as done
                failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
                break  # the rest of the batch is retried after the failure, as Lambda does
            done.append(name)
        self.seen += done
        return {"batchItemFailures": failures}


def make_pump(recorder: Recorder, subscription_index: int = 0) -> tuple[StreamPump, Subscription, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    declared = TEMPLATE.stream_subscriptions()[subscription_index]
    function = Function("Recorder", "functions/score", 30, 256, module=SimpleNamespace(lambda_handler=recorder))
    subscription = Subscription(function=function, batch_size=declared.batch_size, filters=[],
                                max_retries=declared.max_retries, max_record_age_s=declared.max_record_age_s,
                                report_failures=True, bisect=declared.bisect)
    pump = StreamPump(MotoStream(LOCAL_ENV["TABLE_NAME"]), sqs, dlq, [subscription])
    return pump, subscription, dlq


def put_leads(names: list[str]) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    for name in names:
        client.put_item(TableName=LOCAL_ENV["TABLE_NAME"],
                        Item={"pk": {"S": f"LEAD#{name}"}, "sk": {"S": "LEAD"}, "id": {"S": name}})


@pytest.mark.parametrize("crash", [False, True], ids=["reported-failure", "function-error"])
def test_a_poison_record_goes_to_the_dead_letter_queue_and_the_rest_are_processed(aws, crash):
    # Given a stream with a poison record in the middle
    recorder = Recorder(crash=crash)
    pump, subscription, dlq = make_pump(recorder)
    put_leads(["a", "b", "poison", "c", "d"])

    # When the pump drains it
    pump.drain()

    # Then every good record was processed once, in order, and the poison one is dead-lettered once
    assert recorder.seen == ["a", "b", "c", "d"]
    messages = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)
    letters = [json.loads(message["Body"]) for message in messages.get("Messages", [])]
    assert len(letters) == 1
    assert letters[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert letters[0]["requestContext"]["approximateInvokeCount"] == subscription.max_retries + 1
    assert letters[0]["DDBStreamBatchInfo"]["batchSize"] == 1


def test_the_retry_cap_comes_from_the_template(aws):
    # Given the template's retry cap for the stream consumers
    declared = [subscription.max_retries for subscription in TEMPLATE.stream_subscriptions()]

    # Then it is bounded as the design requires
    assert declared and all(1 <= retries <= 5 for retries in declared)


def test_filter_criteria_from_the_template_keep_score_write_backs_away_from_the_scorer(aws):
    # Given the score function's filters as template.yaml declares them
    score = next(sub for sub in TEMPLATE.stream_subscriptions() if sub.code_dir.endswith("score"))
    subscription = Subscription(function=Function("x", "functions/score", 1, 128), batch_size=10,
                                filters=score.filters, max_retries=0, max_record_age_s=60, report_failures=True,
                                bisect=False)
    due = {"dynamodb": {"NewImage": {"sk": {"S": "LEAD"}, "score_due": {"N": "1"}}}}
    written_back = {"dynamodb": {"NewImage": {"sk": {"S": "LEAD"}, "score": {"N": "12"}}}}
    timeline_entry = {"dynamodb": {"NewImage": {"sk": {"S": "TL#2026"}, "score_due": {"N": "1"}}}}

    # Then only a lead whose inputs changed reaches the scorer
    assert subscription.wants(due)
    assert not subscription.wants(written_back)
    assert not subscription.wants(timeline_entry)


def test_records_older_than_the_maximum_age_are_dead_lettered_not_delivered(aws):
    # Given a subscription whose records are all older than its maximum record age
    recorder = Recorder()
    pump, subscription, dlq = make_pump(recorder)
    subscription.max_record_age_s = -1
    put_leads(["late"])

    # When the pump drains
    pump.drain()

    # Then the function never saw it, and the dead-letter queue says why
    assert recorder.seen == []
    body = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=dlq)["Messages"][0]["Body"]
    assert json.loads(body)["requestContext"]["condition"] == "RecordAgeExceeded"
