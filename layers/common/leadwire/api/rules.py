"""The owner's rules: the scoring / routing / follow-up document, read and replaced as a new version."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from leadwire.api.request import json_answer, now
from leadwire.config import Config, NurtureTemplate
from leadwire.owner import preview, rules
from leadwire.runtime import services
from leadwire.store.config import list_versions, load_config

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


@router.post("/config/preview")
def post_config_preview(document: Config) -> Response[Any]:
    """A dry run: what the candidate would do to the most recent leads (up to 500); nothing is saved."""
    return json_answer(200, preview.preview(services.store(), document, now(router)))


@router.post("/config/templates/preview")
def post_template_preview(template: NurtureTemplate) -> Response[Any]:
    """A nurture template written to a sample person; nothing is saved."""
    return json_answer(200, rules.preview_template(services.store(), template))


@router.get("/config/versions")
def get_config_versions() -> Response[Any]:
    return json_answer(200, {"items": list_versions(services.store()), "cursor": None,
                             "current": load_config(services.store())[0]})


@router.get("/config/versions/<version>")
def get_config_version(version: Annotated[int, Path(ge=0)]) -> Response[Any]:
    document = rules.version(services.store(), version)
    return json_answer(200, {"version": version, "document": document.model_dump(by_alias=True, mode="json")})
