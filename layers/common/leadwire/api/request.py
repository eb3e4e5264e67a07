"""What every route reads from the request it serves: its clock, body, headers and query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from leadwire.runtime import services
from leadwire.runtime.http import raw_body, received_at


def now(router: BaseRouter) -> datetime:
    """The instant API Gateway received the request: every route's clock."""
    return received_at(router.current_event.raw_event)


def base_url(router: BaseRouter) -> str:
    """Links in emails: the configured public URL, else the address this request came to."""
    domain = router.current_event.raw_event.get("requestContext", {}).get("domainName", "")
    return services.settings().public_base_url or f"https://{domain}"


def source_ip(router: BaseRouter) -> str | None:
    """The client's address as API Gateway saw it (never a header the client can set)."""
    return router.current_event.raw_event.get("requestContext", {}).get("http", {}).get("sourceIp")


def body(router: BaseRouter, limit: int | None = None) -> bytes:
    event = router.current_event.raw_event
    return raw_body(event, limit) if limit else raw_body(event)


def headers(router: BaseRouter) -> dict[str, str]:
    return {name.lower(): value for name, value in (router.current_event.headers or {}).items()}


def query(router: BaseRouter) -> dict[str, str]:
    return dict(router.current_event.query_string_parameters or {})


def json_answer(status: int, answer: Any, extra_headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, "application/json", answer, extra_headers)
