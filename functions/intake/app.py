"""HTTP API: website forms, ad-platform webhooks and the management API; the routes live in `leadwire.api`."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.api.app import answer, openapi_document

__all__ = ["lambda_handler", "openapi_document"]
logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return answer_request(event, context)


def answer_request(event: dict[str, Any], context: LambdaContext,
                   resolver: APIGatewayHttpResolver | None = None) -> dict[str, Any]:
    """Authenticate the owner's routes, then route the request to its use case (tests may pass a resolver)."""
    return answer(event, context, resolver)


gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
