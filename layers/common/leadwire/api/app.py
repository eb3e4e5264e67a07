"""The HTTP API as one resolver: the routers by area, the error mapping, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from leadwire.api import doors, errors, leads, pages, reports, rules, team

app = APIGatewayHttpResolver(enable_validation=True)
for area in (doors, leads, team, rules, reports, pages):
    app.include_router(area.router)
errors.map_errors(app)


@app.get("/openapi.json")
def openapi() -> Response[Any]:
    return Response(200, "application/json", openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(title="leadwire", version="1.0.0",
                                       description="Lead intake, scoring, assignment and follow-up.")
