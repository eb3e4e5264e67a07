"""DynamoDB stream → one attempt of each delivery that asks for one (a signed webhook or a Slack message)."""

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.outbound.dispatch import Dispatcher
from leadwire.runtime import services

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return deliver_batch(event, context)


def deliver_batch(event: dict[str, Any], context: LambdaContext, dispatcher: Dispatcher | None = None
                  ) -> dict[str, Any]:
    chosen = dispatcher or Dispatcher(services.store(), services.rep_links(),
                                      allow_local=services.settings().allow_local_receivers)

    def deliver(record: DynamoDBRecord) -> None:
        chosen.attempt(dict(record.dynamodb.keys or {}) if record.dynamodb else {})

    return process_partial_response(event=event, record_handler=deliver, processor=processor, context=context)


gc.freeze()  # everything imported above lives as long as the container: keep it out of the first collections
