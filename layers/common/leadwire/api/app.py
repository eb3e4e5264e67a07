"""The HTTP API: the doors leads come through in a resolver of their own, and the whole API (every router by area,
the error mapping and the OpenAPI document) built on the first request that needs it.

A lead arriving at a cold container imports only the doors; the owner's routes, the console and the pages (twice
the modules) load when one of them is first asked for."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.api import doors, errors
from leadwire.errors import LeadwireError, UnsupportedMediaType
from leadwire.runtime import services
from leadwire.runtime.http import check_api_key

# The routes of `leadwire.api.doors` (as template.yaml names them): a lead's way in, and the links in emails to people.
DOOR_ROUTES = frozenset({"POST /leads", "GET /webhooks/meta", "POST /webhooks/meta", "POST /webhooks/google",
                         "POST /webhooks/typeform", "POST /webhooks/generic", "GET /unsubscribe", "POST /unsubscribe",
                         "GET /opt-in", "POST /opt-in", "GET /thanks"})
# The routes anyone may use. Every other route is the owner's: its API key is checked before anything of the request
# is parsed, so a request without one learns nothing about the route.
PUBLIC_ROUTES = DOOR_ROUTES | {"GET /openapi.json", "GET /l/{token}", "POST /l/{token}", "GET /console",
                               "GET /console/{asset}"}

# Owner routes that take a file as well as JSON (the body is read by the route, over the raw bytes).
OTHER_MEDIA_TYPES = {"PUT /spend": frozenset({"text/csv"}),
                     "POST /imports": frozenset({"text/csv", "multipart/form-data"})}


def resolver_of(*areas: Router) -> APIGatewayHttpResolver:
    """A resolver of these routers, with request validation and the documented error answers. JSON numbers with a
    fraction are read as Decimals: an amount of money never passes through a float."""
    app = APIGatewayHttpResolver(enable_validation=True,
                                 json_body_deserializer=lambda text: json.loads(text, parse_float=Decimal))
    for area in areas:
        app.include_router(area.router)
    errors.map_errors(app)
    return app


doors_app = resolver_of(doors)


@cache
def whole_api() -> APIGatewayHttpResolver:
    """Every route, the doors included (the OpenAPI document describes them all)."""
    from leadwire.api import (
        console,
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

    app = resolver_of(doors, leads, team, rules, reports, spend, imports, pages, console, subscriptions, sources)
    app.get("/openapi.json")(openapi)
    return app


def answer(event: dict[str, Any], context: LambdaContext, resolver: APIGatewayHttpResolver | None = None
           ) -> dict[str, Any]:
    """Authenticate the owner's routes first, then hand the request to its route (tests may pass a resolver)."""
    route = event.get("routeKey", "")
    if route not in PUBLIC_ROUTES:
        sent = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        try:
            check_api_key(sent.get("authorization"), services.settings().api_key_hashes())
            _require_json(event, sent.get("content-type"), OTHER_MEDIA_TYPES.get(route, frozenset()))
        except LeadwireError as refused:
            return errors.refusal(refused)
    chosen = resolver or (doors_app if route in DOOR_ROUTES else whole_api())
    return chosen.resolve(event, context)


def _require_json(event: dict[str, Any], content_type: str | None, also: frozenset[str]) -> None:
    """The owner's API speaks JSON (and CSV where a route takes a file): any other body is refused before a parser
    for it is even chosen."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if event.get("body") and content_type and media_type != "application/json" and media_type not in also:
        accepted = ", ".join(["application/json", *sorted(also)])
        raise UnsupportedMediaType(f"send the body as {accepted}",
                                   [{"field": "content-type", "reason": f"{content_type.split(';')[0]} is not "
                                                                        f"accepted here"}])


def openapi() -> Response[Any]:
    return Response(200, "application/json", openapi_document())


def openapi_document() -> str:
    return whole_api().get_openapi_json_schema(title="leadwire", version="1.0.0",
                                               description="Lead intake, scoring, assignment and follow-up.")
