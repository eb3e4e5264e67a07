"""DynamoDB stream → scoring: each lead whose score inputs changed gets its score, stage and reasons."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import qualification, runtime
from leadwire.stream import lead_id_of, record_time

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def score_record(record: DynamoDBRecord) -> None:
    qualification.rescore(lead_id_of(record), runtime.store(), runtime.notifier(), record_time(record))


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=score_record, processor=processor, context=context)
