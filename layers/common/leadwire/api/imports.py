"""Outbound lists brought in: a CSV file in, the counts out (at once for a small file, as it goes for a large one)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from leadwire.api.request import body, headers, json_answer, now, query
from leadwire.intake import imports
from leadwire.runtime import services

router = Router()


@router.post("/imports")
def post_import() -> Response[Any]:
    """`text/csv` (a `mapping` query parameter as JSON) or `multipart/form-data` (a file part, a `mapping` part):
    201 with the counts when done in the request, 202 with `GET /imports/{id}` to follow a large file."""
    sent = imports.read_request(body(router, limit=imports.MAX_FILE_BYTES + 65536), headers(router).get("content-type"),
                                query(router))
    started = imports.start(services.store(), sent, now(router), services.settings().default_region)
    if started["status"] == "done":
        return json_answer(201, started)
    return json_answer(202, started, {"Location": f"/imports/{started['id']}"})


@router.get("/imports/<import_id>")
def get_import(import_id: str) -> Response[Any]:
    return json_answer(200, imports.shown(services.store(), import_id, now(router)))
