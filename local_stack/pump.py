"""The Lambda event source mapping for the table's stream, played locally over moto's DynamoDB Streams.

The stream is read once per pass and every new record offered to each subscription, which drops records its
filter criteria reject (moto's own EventPattern, the matcher EventBridge and Lambda filtering share), hands batches
of the template's size to the function, retries from the first reported failure, and after the retry cap sends the
poison record's batch info to the dead-letter queue and moves on, so one bad record never blocks the shard.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from devtools.environment import REGION
from devtools.lambdas import Function


@dataclass
class Subscription:
    function: Function
    batch_size: int
    filters: list[dict[str, Any]]
    max_retries: int
    max_record_age_s: int
    report_failures: bool
    bisect: bool
    patterns: list[EventPattern] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: int = 0

    def __post_init__(self) -> None:
        self.patterns = [EventPattern.load(json.dumps(pattern)) for pattern in self.filters]

    def wants(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(pattern.matches_event(record) for pattern in self.patterns)


def lambda_record(raw: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it: with eventSourceARN and the creation time in epoch seconds."""
    dynamodb = dict(raw["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        moment = created if created.tzinfo else created.replace(tzinfo=UTC)  # moto keeps naive UTC times
        dynamodb["ApproximateCreationDateTime"] = moment.timestamp()
    elif created is None:
        dynamodb["ApproximateCreationDateTime"] = datetime.now(UTC).timestamp()
    return {"eventID": raw["eventID"], "eventName": raw["eventName"], "eventVersion": raw.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": _as_json(dynamodb),
            "eventSourceARN": stream_arn}


def _as_json(value: Any) -> Any:
    """Binary attributes as Lambda's JSON event carries them: base64 text (moto's shard keeps the raw bytes)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


class MotoStream:
    """The table's stream read straight from moto's shard in this process.

    Going through the DynamoDB Streams API would add nothing but moto's response serialisation, which costs more
    than the functions themselves (about 0.1 s per GetRecords with lead images).
    """

    def __init__(self, table_name: str, account: str = "123456789012", region: str = REGION) -> None:
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[account][region].get_table(table_name)
        self.shard = table.stream_shard
        self.arn = f"{table.table_arn}/stream/{table.latest_stream_label}"
        self.shard_id = self.shard.id
        self._next = self.shard.starting_sequence_number

    def read_new(self, limit: int = 1000) -> list[dict[str, Any]]:
        records = self.shard.get(self._next, limit)
        self._next += len(records)
        return records


class StreamPump:
    def __init__(self, stream: MotoStream, sqs: Any, dlq_url: str, subscriptions: list[Subscription],
                 region: str = REGION) -> None:
        self.stream = stream
        self.sqs = sqs
        self.stream_arn = stream.arn
        self.dlq_url = dlq_url
        self.subscriptions = subscriptions
        self.region = region
        self._lock = threading.RLock()

    def drain(self, max_rounds: int = 200) -> int:
        """Pump until nothing is left anywhere: the functions' own writes feed the stream again."""
        total = 0
        with self._lock:
            for _ in range(max_rounds):
                delivered = self.pump_once()
                total += delivered
                if delivered == 0:
                    return total
        raise RuntimeError(f"the stream did not go quiet after {max_rounds} rounds: a consumer may loop")

    def pump_once(self) -> int:
        with self._lock:
            records = [lambda_record(raw, self.stream_arn, self.region) for raw in self.stream.read_new()]
            delivered = 0
            for subscription in self.subscriptions:
                subscription.pending += [record for record in records if subscription.wants(record)]
                self._expire(subscription)
                while subscription.pending:
                    delivered += self._deliver(subscription)
            return delivered + len(records)

    def _deliver(self, subscription: Subscription) -> int:
        """One batch from the head of the queue, retried from its first failure until done or dead-lettered."""
        delivered, failures, size = 0, 0, subscription.batch_size
        while subscription.pending:
            batch = subscription.pending[:size]
            failed_at, crashed = self._invoke(subscription, batch)
            if failed_at is None:
                del subscription.pending[:len(batch)]
                return delivered + len(batch)
            if crashed and subscription.bisect and len(batch) > 1:
                size = max(1, len(batch) // 2)  # BisectBatchOnFunctionError: split until the bad record is alone
                continue
            # Records before the first failure are done; the retry starts at the failed one, as in Lambda.
            del subscription.pending[:failed_at]
            delivered += failed_at
            failures = failures + 1 if failed_at == 0 else 1
            if failures > subscription.max_retries:
                self._dead_letter(subscription, subscription.pending.pop(0), failures)
                return delivered + 1
        return delivered

    def _invoke(self, subscription: Subscription, batch: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """(index of the first failed record or None, whether the function crashed as a whole)."""
        try:
            answer = subscription.function.invoke({"Records": batch})
        except Exception:
            return 0, True
        failures = ((answer or {}).get("batchItemFailures") or []) if subscription.report_failures else []
        failed_ids = {failure["itemIdentifier"] for failure in failures}
        for index, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed_ids:
                return index, False
        return None, False

    def _expire(self, subscription: Subscription) -> None:
        """MaximumRecordAgeInSeconds: records older than that are not delivered but dead-lettered."""
        oldest_allowed = datetime.now(UTC).timestamp() - subscription.max_record_age_s
        pending = subscription.pending
        while pending and pending[0]["dynamodb"]["ApproximateCreationDateTime"] < oldest_allowed:
            self._dead_letter(subscription, subscription.pending.pop(0), 0, "RecordAgeExceeded")

    def _dead_letter(self, subscription: Subscription, record: dict[str, Any], attempts: int,
                     condition: str = "RetryAttemptsExhausted") -> None:
        """The on-failure record Lambda sends for a stream batch: where it is, not the data itself."""
        sequence = record["dynamodb"]["SequenceNumber"]
        arrived = datetime.fromtimestamp(record["dynamodb"]["ApproximateCreationDateTime"], UTC).isoformat()
        message = {
            "version": "1.0", "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {"functionArn": f"arn:aws:lambda:{self.region}:123456789012:function:"
                                              f"{subscription.function.name}",
                               "condition": condition, "approximateInvokeCount": attempts},
            "DDBStreamBatchInfo": {"shardId": self.stream.shard_id, "startSequenceNumber": sequence,
                                   "endSequenceNumber": sequence, "approximateArrivalOfFirstRecord": arrived,
                                   "approximateArrivalOfLastRecord": arrived, "batchSize": 1,
                                   "streamArn": self.stream_arn},
        }
        self.sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(message))
        subscription.dead_letters += 1
