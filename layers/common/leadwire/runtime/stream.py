"""What the stream consumers need from a DynamoDB stream record."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadwire.store import schema


def lead_id_of(record: DynamoDBRecord) -> str:
    lead_id = schema.lead_id_of(record.dynamodb.keys or {}) if record.dynamodb else None
    if not lead_id:
        raise ValueError("not a lead record")
    return lead_id


def record_time(record: DynamoDBRecord) -> datetime:
    """When the change happened, as the stream says: the clock every consumer uses for that record."""
    epoch = record.raw_event.get("dynamodb", {}).get("ApproximateCreationDateTime")
    return datetime.fromtimestamp(float(epoch), UTC) if epoch is not None else datetime.now(UTC)


def import_chunk_of(record: DynamoDBRecord) -> tuple[str, int]:
    """(import id, chunk number) of a stream record of an import chunk."""
    found = schema.import_of_chunk(record.dynamodb.keys or {}) if record.dynamodb else None
    if not found:
        raise ValueError("not an import chunk record")
    return found
