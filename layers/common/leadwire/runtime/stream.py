"""What the stream consumers need from a DynamoDB stream record, and the partial batch response Lambda reads.

`each_record` is what Powertools' BatchProcessor does for a DynamoDB stream with ReportBatchItemFailures (every
record handled, each failure reported by its sequence number, an error when all failed), written out here because
importing Powertools' batch utility (asyncio, its data classes) cost 40-60 ms of every score and assign cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.store import schema

logger = Logger(child=True)
Record = dict[str, Any]


class BatchFailed(Exception):
    """Every record of the batch failed: the invocation fails as a whole (so Lambda can bisect the batch)."""


def each_record(event: dict[str, Any], handle: Callable[[Record], None]) -> dict[str, list[dict[str, str]]]:
    """Handle every record in order; the records that raised, for Lambda to retry from the first of them."""
    records: list[Record] = event.get("Records") or []
    failures = []
    for record in records:
        try:
            handle(record)
        except Exception as error:  # reported to Lambda, which retries from here; the others are done
            logger.warning("stream record failed", extra={"error": type(error).__name__,
                                                          "sequence": record["dynamodb"].get("SequenceNumber")})
            failures.append({"itemIdentifier": str(record["dynamodb"].get("SequenceNumber"))})
    if records and len(failures) == len(records):
        raise BatchFailed(f"all {len(records)} records failed")
    return {"batchItemFailures": failures}


def keys_of(record: Record) -> dict[str, str]:
    """The item's key (the table's keys are strings)."""
    keys = record.get("dynamodb", {}).get("Keys") or {}
    return {name: str(value.get("S", "")) for name, value in keys.items()}


def lead_id_of(record: Record) -> str:
    lead_id = schema.lead_id_of(keys_of(record))
    if not lead_id:
        raise ValueError("not a lead record")
    return lead_id


def record_time(record: Record) -> datetime:
    """When the change happened, as the stream says: the clock every consumer uses for that record."""
    epoch = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    return datetime.fromtimestamp(float(epoch), UTC) if epoch is not None else datetime.now(UTC)


def import_chunk_of(record: Record) -> tuple[str, int]:
    """(import id, chunk number) of a stream record of an import chunk."""
    keys = record.get("dynamodb", {}).get("Keys") or {}
    found = schema.import_of_chunk({name: value.get("S", "") for name, value in keys.items()})
    if not found:
        raise ValueError("not an import chunk record")
    return found
