"""DynamoDB stream → imported lists: each chunk of rows written pending goes through intake and is counted once."""

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.intake import imports
from leadwire.runtime import services
from leadwire.runtime.stream import import_chunk_of, record_time
from leadwire.store.table import Store

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return import_batch(event, context)


def import_batch(event: dict[str, Any], context: LambdaContext, store: Store | None = None) -> dict[str, Any]:
    store = store or services.store()

    def take(record: DynamoDBRecord) -> None:
        imports.process_chunk(store, *import_chunk_of(record), record_time(record))

    return process_partial_response(event=event, record_handler=take, processor=processor, context=context)


gc.freeze()  # everything imported above lives as long as the container: keep it out of the first collections
