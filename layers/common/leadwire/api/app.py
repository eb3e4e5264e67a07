"""The HTTP API as one resolver: the routers by area, the error mapping, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.api import doors, errors, leads, reports, rules, team
from leadwire.errors import Unauthorized
from leadwire.runtime import services
from leadwire.runtime.http import check_api_key

# The doors anyone may use (as template.yaml names the routes). Every other route is the owner's: its API key is
# checked before anything of the request is parsed, so a request without one learns nothing about the route.
PUBLIC_ROUTES = frozenset({"POST /leads", "GET /webhooks/meta", "POST /webhooks/meta", "POST /webhooks/google",
                           "POST /webhooks/typeform", "POST /webhooks/generic", "GET /unsubscribe", "POST /unsubscribe",
                           "GET /openapi.json"})

app = APIGatewayHttpResolver(enable_validation=True)
for area in (doors, leads, team, rules, reports):
    app.include_router(area.router)
errors.map_errors(app)


def answer(event: dict[str, Any], context: LambdaContext, resolver: APIGatewayHttpResolver = app) -> dict[str, Any]:
    """Authenticate the owner's routes first, then hand the request to its route."""
    if event.get("routeKey") not in PUBLIC_ROUTES:
        given = {name.lower(): value for name, value in (event.get("headers") or {}).items()}.get("authorization")
        try:
            check_api_key(given, services.settings().api_key_hashes())
        except Unauthorized as refused:
            return errors.refusal(refused)
    return resolver.resolve(event, context)


@app.get("/openapi.json")
def openapi() -> Response[Any]:
    return Response(200, "application/json", openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(title="leadwire", version="1.0.0",
                                       description="Lead intake, scoring, assignment and follow-up.")
