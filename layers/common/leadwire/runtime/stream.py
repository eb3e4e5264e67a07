"""What the stream consumers need from a DynamoDB stream record."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord


def lead_id_of(record: DynamoDBRecord) -> str:
    keys = record.dynamodb.keys if record.dynamodb else None
    if not keys or not str(keys.get("pk", "")).startswith("LEAD#"):
        raise ValueError("not a lead record")
    return str(keys["pk"]).removeprefix("LEAD#")


def record_time(record: DynamoDBRecord) -> datetime:
    """When the change happened, as the stream says: the clock every consumer uses for that record."""
    epoch = record.raw_event.get("dynamodb", {}).get("ApproximateCreationDateTime")
    return datetime.fromtimestamp(float(epoch), UTC) if epoch is not None else datetime.now(UTC)
