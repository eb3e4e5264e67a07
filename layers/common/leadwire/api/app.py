"""The HTTP API as one resolver: the routers by area, the error mapping, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.api import console, doors, errors, leads, pages, reports, rules, sources, subscriptions, team
from leadwire.errors import LeadwireError, UnsupportedMediaType
from leadwire.runtime import services
from leadwire.runtime.http import check_api_key

# The doors anyone may use (as template.yaml names the routes). Every other route is the owner's: its API key is
# checked before anything of the request is parsed, so a request without one learns nothing about the route.
PUBLIC_ROUTES = frozenset({"POST /leads", "GET /webhooks/meta", "POST /webhooks/meta", "POST /webhooks/google",
                           "POST /webhooks/typeform", "POST /webhooks/generic", "GET /unsubscribe", "POST /unsubscribe",
                           "GET /opt-in", "POST /opt-in",
                           "GET /openapi.json", "GET /l/{token}", "POST /l/{token}", "GET /thanks",
                           "GET /console", "GET /console/{asset}"})

app = APIGatewayHttpResolver(enable_validation=True)
for area in (doors, leads, team, rules, reports, pages, console, subscriptions, sources):
    app.include_router(area.router)
errors.map_errors(app)


def answer(event: dict[str, Any], context: LambdaContext, resolver: APIGatewayHttpResolver = app) -> dict[str, Any]:
    """Authenticate the owner's routes first, then hand the request to its route."""
    if event.get("routeKey") not in PUBLIC_ROUTES:
        sent = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        try:
            check_api_key(sent.get("authorization"), services.settings().api_key_hashes())
            _require_json(event, sent.get("content-type"))
        except LeadwireError as refused:
            return errors.refusal(refused)
    return resolver.resolve(event, context)


def _require_json(event: dict[str, Any], content_type: str | None) -> None:
    """The owner's API speaks JSON: any other body is refused before a parser for it is even chosen."""
    if event.get("body") and content_type and content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMediaType("send the body as JSON (content-type: application/json)",
                                   [{"field": "content-type", "reason": f"{content_type.split(';')[0]} is not JSON"}])


@app.get("/openapi.json")
def openapi() -> Response[Any]:
    return Response(200, "application/json", openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(title="leadwire", version="1.0.0",
                                       description="Lead intake, scoring, assignment and follow-up.")
