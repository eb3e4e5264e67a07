"""HTTP API: website forms, ad-platform webhooks and the management API; the routes live in `leadwire.api`."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.api.app import answer, openapi_document
from leadwire.runtime import services
from leadwire.runtime.entry import lambda_entry

__all__ = ["lambda_handler", "openapi_document"]


def answer_request(event: dict[str, Any], context: LambdaContext,
                   resolver: APIGatewayHttpResolver | None = None) -> dict[str, Any]:
    """Authenticate the owner's routes, then route the request to its use case (tests may pass a resolver)."""
    return answer(event, context, resolver)


lambda_handler = lambda_entry(answer_request, correlation_paths.API_GATEWAY_HTTP)  # the logger and metrics around it

services.prime("table", "models", "forms")  # on Lambda only: the init phase has a full vCPU

gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
