"""The HTTP API as one resolver: the routers by area, the error mapping, and the OpenAPI document."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.api import (
    console,
    doors,
    errors,
    imports,
    leads,
    pages,
    reports,
    rules,
    sources,
    spend,
    subscriptions,
    team,
)
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

# Owner routes that take a file as well as JSON (the body is read by the route, over the raw bytes).
OTHER_MEDIA_TYPES = {"PUT /spend": frozenset({"text/csv"}),
                     "POST /imports": frozenset({"text/csv", "multipart/form-data"})}

# JSON numbers with a fraction are read as Decimals: an amount of money never passes through a float.
app = APIGatewayHttpResolver(enable_validation=True,
                             json_body_deserializer=lambda text: json.loads(text, parse_float=Decimal))
for area in (doors, leads, team, rules, reports, spend, imports, pages, console, subscriptions, sources):
    app.include_router(area.router)
errors.map_errors(app)


def answer(event: dict[str, Any], context: LambdaContext, resolver: APIGatewayHttpResolver = app) -> dict[str, Any]:
    """Authenticate the owner's routes first, then hand the request to its route."""
    if event.get("routeKey") not in PUBLIC_ROUTES:
        sent = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        try:
            check_api_key(sent.get("authorization"), services.settings().api_key_hashes())
            _require_json(event, sent.get("content-type"), OTHER_MEDIA_TYPES.get(event.get("routeKey", ""),
                                                                                   frozenset()))
        except LeadwireError as refused:
            return errors.refusal(refused)
    return resolver.resolve(event, context)


def _require_json(event: dict[str, Any], content_type: str | None, also: frozenset[str]) -> None:
    """The owner's API speaks JSON (and CSV where a route takes a file): any other body is refused before a parser
    for it is even chosen."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if event.get("body") and content_type and media_type != "application/json" and media_type not in also:
        accepted = ", ".join(["application/json", *sorted(also)])
        raise UnsupportedMediaType(f"send the body as {accepted}",
                                   [{"field": "content-type", "reason": f"{content_type.split(';')[0]} is not "
                                                                        f"accepted here"}])


@app.get("/openapi.json")
def openapi() -> Response[Any]:
    return Response(200, "application/json", openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(title="leadwire", version="1.0.0",
                                       description="Lead intake, scoring, assignment and follow-up.")
