"""The owner's view of the ad platforms: how each Meta Page and form is doing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from leadwire.api.request import json_answer, now
from leadwire.intake import health
from leadwire.runtime import services
from leadwire.store.config import load_config

router = Router()


@router.get("/sources/health")
def sources_health() -> Response[Any]:
    """Per Meta Page and form: subscription, last webhook and poll, leads by webhook and recovered by poll."""
    store = services.store()
    return json_answer(200, health.report(store, services.settings(), load_config(store)[1], now(router)))
