"""The ad spend table: load rows (JSON or CSV), read them back by day."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadwire.api.request import body, headers, json_answer
from leadwire.owner import spend
from leadwire.runtime import services

router = Router()


@router.put("/spend")
def put_spend() -> Response[Any]:
    """`{"rows": [...]}` as JSON, or a CSV with the same columns: good rows stored, bad ones reported by number."""
    return json_answer(200, spend.load(services.store(), body(router), headers(router).get("content-type")))


@router.get("/spend")
def get_spend(start: Annotated[str, Query(alias="from")], end: Annotated[str, Query(alias="to")]) -> Response[Any]:
    return json_answer(200, spend.read(services.store(), start, end))
