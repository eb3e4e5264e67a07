"""HTTP requests as API Gateway HTTP API (payload 2.0) hands them to Lambda, and Lambda's answers back."""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

# Only these arrive as plain text; every other body (forms included) arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
DEFAULT_ROUTE = "$default"  # the route API Gateway uses when no other matches


class Route:
    def __init__(self, method: str, path: str) -> None:
        self.method = method.upper()
        self.path = path
        self.key = path if path == DEFAULT_ROUTE else f"{self.method} {path}"
        pattern = re.sub(r"\{(\w+)\+?\}", r"(?P<\1>[^/]+)", path)
        self._regex = re.compile(f"^{pattern}$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method.upper() != self.method:
            return None
        found = self._regex.match(path)
        return found.groupdict() if found else None


def find_route(routes: Iterable[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway picks: a matching route, else the `$default` route when there is one."""
    fallback = None
    for route in routes:
        if route.path == DEFAULT_ROUTE:
            fallback = route
            continue
        params = route.match(method, path)
        if params is not None:
            return route, params
    return (fallback, {}) if fallback else None


def _is_text(content_type: str | None) -> bool:
    return bool(content_type) and content_type.lower().startswith(_TEXT_TYPES)  # type: ignore[union-attr]


def build_event(method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes, source_ip: str,
                route: Route | None, path_parameters: dict[str, str] | None) -> dict[str, Any]:
    """The exact payload 2.0 shape: lower-cased headers (repeats comma-joined), cookies apart, base64 rule."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        merged[lower] = f"{merged[lower]},{value}" if lower in merged else value
    now = datetime.now(UTC)
    route_key = route.key if route else "$default"
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": query, "headers": merged,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {"method": method.upper(), "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": merged.get("user-agent", "")},
            "requestId": uuid.uuid4().hex[:16], "routeKey": route_key, "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        values: dict[str, str] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            values[name] = f"{values[name]},{value}" if name in values else value
        event["queryStringParameters"] = values
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if _is_text(merged.get("content-type")):
            event["body"] = body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def response_parts(answer: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes from a Lambda proxy answer (a plain dict or string is JSON 200)."""
    if not isinstance(answer, dict) or "statusCode" not in answer:
        import json

        return 200, [("content-type", "application/json")], json.dumps(answer).encode()
    headers = [(name, str(value)) for name, value in (answer.get("headers") or {}).items()]
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers += [(name, str(value)) for value in values]
    headers += [("set-cookie", cookie) for cookie in answer.get("cookies") or []]
    body = answer.get("body") or ""
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else str(body).encode()
    return int(answer["statusCode"]), headers, data
