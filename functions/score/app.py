"""DynamoDB stream → scoring: each lead whose score inputs changed gets its score, stage and reasons."""

from __future__ import annotations

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.config import Config
from leadwire.runtime import services
from leadwire.runtime.stream import lead_id_of, record_time
from leadwire.scoring import rescore
from leadwire.store.config import load_config

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def score_record(record: DynamoDBRecord, versioned: tuple[int, Config]) -> None:
    rescore.rescore(lead_id_of(record), services.store(), services.notifier(), record_time(record), versioned)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # One config read per batch: every record in it is scored by the same rules.
    versioned = load_config(services.store())
    return process_partial_response(event=event, record_handler=lambda record: score_record(record, versioned),
                                    processor=processor, context=context)


# Everything imported above lives as long as the container: keep it out of the first collections.
gc.freeze()
