"""DynamoDB stream → assignment: each scored lead without an owner gets exactly one, who is told once."""

from __future__ import annotations

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.routing.assignment import Assigner
from leadwire.runtime import services
from leadwire.runtime.stream import lead_id_of, record_time

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def assign_record(record: DynamoDBRecord, assigner: Assigner) -> None:
    assigner.assign(lead_id_of(record), record_time(record))


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # One config read per batch: every record in it is routed by the same rules.
    assigner = Assigner(services.store(), services.notifier(), services.settings().public_base_url)
    return process_partial_response(event=event, record_handler=lambda record: assign_record(record, assigner),
                                    processor=processor, context=context)


# Everything imported above lives as long as the container: keep it out of the first collections.
gc.freeze()
