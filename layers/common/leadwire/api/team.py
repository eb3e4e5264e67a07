"""The sales team: the reps leads are routed to."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from leadwire.api.request import json_answer, now
from leadwire.clock import iso
from leadwire.owner import team
from leadwire.routing.reps import REP_ID_PATTERN, RepIn
from leadwire.runtime import services
from leadwire.store.reps import load_reps, save_rep

router = Router()
RepId = Annotated[str, Path(pattern=REP_ID_PATTERN)]


@router.put("/reps/<rep_id>")
def put_rep(rep_id: RepId, rep: RepIn) -> Response[Any]:
    return json_answer(200, save_rep(services.store(), rep_id, rep, iso(now(router))).model_dump(mode="json"))


@router.get("/reps")
def get_reps() -> Response[Any]:
    reps = load_reps(services.store())
    return json_answer(200, {"items": [rep.model_dump(mode="json") for rep in reps], "cursor": None})


@router.get("/reps/<rep_id>/record")
def get_rep_record(rep_id: RepId) -> Response[Any]:
    """The rep's open leads and first-contact record, over the leads they hold now (the latest 200)."""
    return json_answer(200, team.record(services.store(), rep_id))
