"""The owner's reports: the funnel over a range of creation days, and value by the month leads arrived."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadwire.api.request import json_answer
from leadwire.owner import reports
from leadwire.runtime import services

router = Router()


@router.get("/reports/funnel")
def funnel(created_from: Annotated[str, Query(alias="from")], created_to: Annotated[str, Query(alias="to")]
           ) -> Response[Any]:
    return json_answer(200, reports.funnel(services.store(), created_from, created_to))


@router.get("/reports/value")
def value(created_from: Annotated[str, Query(alias="from")], created_to: Annotated[str, Query(alias="to")],
          cohort: Annotated[str, Query()] = "month") -> Response[Any]:
    return json_answer(200, reports.value_by_cohort(services.store(), created_from, created_to, cohort))
