"""The owner's rules: the scoring / routing / follow-up document, read and replaced as a new version."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from leadwire.api.request import json_answer, now
from leadwire.config import Config
from leadwire.owner import rules
from leadwire.runtime import services
from leadwire.store.config import load_config

router = Router()


@router.get("/config")
def get_config() -> Response[Any]:
    version, config = load_config(services.store())
    return json_answer(200, {"version": version, "document": config.model_dump(by_alias=True, mode="json")})


@router.put("/config")
def put_config(document: Config) -> Response[Any]:
    version = rules.replace_config(services.store(), document, now(router))
    return json_answer(200, {"version": version, "rescoring": True,
                             "document": document.model_dump(by_alias=True, mode="json")})
