"""The local HTTP front door: API routes go to the intake function as API Gateway events; `/_local/*` controls
the stack; `/`, `/thanks` and `/board` are the demo pages."""

from __future__ import annotations

import json
import mimetypes
import traceback
import zlib
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from devtools.apigw import Route, build_event, find_route, response_parts
from leadwire.clock import parse_iso
from leadwire.store import packing
from local_stack.faults import FaultPlan, FaultSpecError

if TYPE_CHECKING:
    from local_stack.stack import LocalStack

STATIC = Path(__file__).resolve().parent / "static"
SNIPPET = Path(__file__).resolve().parents[1] / "snippet" / "leadwire-form.html"
PAGES = {"/": "index.html", "/thanks": "thanks.html", "/board": "board.html"}


def cors_allowed(route_key: str, origin: str, own_url: str) -> bool:
    """Any site may call the public doors (the website form posts from the owner's site); only the stack's own pages
    may call the owner's routes from a browser: the dev API key is no secret, so a foreign page that could read
    the answers could read every lead."""
    from leadwire.api.app import PUBLIC_ROUTES

    return route_key in PUBLIC_ROUTES or origin.rstrip("/").lower() == own_url.rstrip("/").lower()


def serve(stack: LocalStack, host: str, port: int) -> ThreadingHTTPServer:
    routes = [Route(route.method, route.path) for route in stack.template.routes()]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are not logged: their paths and bodies can carry personal data

        def do_GET(self) -> None:
            self._dispatch()

        do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_TRACE = do_GET  # API Gateway takes any method

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """What the standard library answers by itself (an unknown method, a broken request line) in the
            API's error shape, as the deployed API answers it."""
            status = 405 if code == 501 else code
            body = json.dumps({"error": "method_not_allowed" if status == 405 else "malformed",
                               "message": message or "request refused", "details": []}).encode()
            self.close_connection = True
            self._send(status, [("content-type", "application/json")], body)

        def do_OPTIONS(self) -> None:
            method = self.headers.get("access-control-request-method", "GET")
            found = find_route(routes, method, urlsplit(self.path).path)
            origin = self.headers.get("origin")
            if not (found and origin and cors_allowed(found[0].key, origin, stack.url)):
                return self._send(204, [], b"")  # no CORS headers: the browser keeps the page from calling
            self._send(204, [("access-control-allow-origin", origin), ("vary", "origin"),
                             ("access-control-allow-methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS"),
                             ("access-control-allow-headers", "content-type,authorization"),
                             ("access-control-max-age", "600")], b"")

        def _dispatch(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if parts.path.startswith("/_local/"):
                return self._control(parts.path, body)
            if self.command == "GET" and (parts.path in PAGES or parts.path.startswith("/static/")):
                return self._page(parts.path)
            found = find_route(routes, self.command, parts.path)
            if found is None:
                return self._send(404, [("content-type", "application/json")], b'{"message":"Not Found"}')
            route, params = found
            event = build_event(self.command, parts.path, parts.query, list(self.headers.items()), body,
                                self.client_address[0], route, params)
            try:
                answer = stack.functions["IntakeFunction"].invoke(event)
            except Exception as error:
                # Lambda logs an unhandled error's stack trace; so does the stack (it names code, not the request)
                print(f"intake function failed: {type(error).__name__}: {error}\n{traceback.format_exc()}", flush=True)
                return self._send(500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}')
            status, headers, data = response_parts(answer)
            origin = self.headers.get("origin")
            if origin and cors_allowed(route.key, origin, stack.url):
                headers += [("access-control-allow-origin", origin), ("vary", "origin")]
            self._send(status, headers, data)
            stack.kick()

        def _control(self, path: str, body: bytes) -> None:
            if path == "/_local/sweep" and self.command == "POST":
                at = json.loads(body or b"{}").get("at")
                if not at:
                    return self._json(400, {"error": "malformed", "message": "give the sweep's instant as 'at'",
                                            "details": [{"field": "at", "reason": "required"}]})
                try:
                    moment = parse_iso(at)
                except ValueError:
                    return self._json(400, {"error": "malformed", "message": "'at' is not an ISO-8601 instant",
                                            "details": [{"field": "at", "reason": "not ISO-8601"}]})
                report = stack.sweep(moment)
                return self._json(500 if "error" in report else 200, report)
            if path == "/_local/faults" and self.command in ("GET", "POST"):
                return self._faults(body)
            if path == "/_local/drain" and self.command == "POST":
                return self._json(200, {"delivered": stack.pump.drain()})
            if path == "/_local/outbox" and self.command == "GET":
                return self._json(200, [asdict(email) for email in stack.aws.outbox])
            if path == "/_local/events" and self.command == "GET":
                return self._json(200, stack.aws.read_events())
            if path == "/_local/dead-letters" and self.command == "GET":
                return self._json(200, stack.aws.dead_letters())
            if path == "/_local/table" and self.command == "GET":  # packed values shown as what they hold
                return self._json(200, stack.aws.table_items())
            if path == "/_local/invocations" and self.command == "GET":
                return self._json(200, {name: fn.invocations for name, fn in stack.functions.items()})
            return self._json(404, {"error": "not_found", "message": f"no control route {self.command} {path}"})

        def _faults(self, body: bytes) -> None:
            """POST sets the faults in force (`{}` turns them off); both answer them with what was injected."""
            if self.command == "POST":
                try:
                    stack.faults.set(FaultPlan.from_json(json.loads(body or b"{}")))
                except ValueError as error:
                    details = error.details if isinstance(error, FaultSpecError) else [
                        {"field": "body", "reason": "not JSON"}]
                    return self._json(400, {"error": "malformed", "message": "faults are not set", "details": details})
            return self._json(200, stack.faults.status())

        def _page(self, path: str) -> None:
            name = PAGES.get(path) or path.removeprefix("/static/")
            file = (STATIC / name).resolve()
            if STATIC not in file.parents or not file.is_file():
                return self._send(404, [("content-type", "text/plain")], b"not found")
            data = file.read_bytes()
            if name.endswith(".html"):
                data = render(data.decode(), stack.url, stack.api_key).encode()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            self._send(200, [("content-type", f"{kind}; charset=utf-8" if kind.startswith("text/") else kind)], data)

        def _json(self, status: int, body: Any) -> None:
            self._send(status, [("content-type", "application/json")], json.dumps(body, default=_readable).encode())

        def _send(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the stdlib's 5 resets bursts of concurrent clients (webhook retries, benchmarks)


def render(page: str, base_url: str, api_key: str) -> str:
    """The demo pages with the drop-in snippet pasted in and pointed at this stack, as an owner would do."""
    if "<!-- leadwire-form -->" in page and SNIPPET.is_file():
        snippet = (SNIPPET.read_text().replace("https://YOUR-API-URL", base_url)
                   .replace("https://YOUR-SITE/thanks", f"{base_url}/thanks"))
        page = page.replace("<!-- leadwire-form -->", snippet)
    return page.replace("__LEADWIRE_DEV_KEY__", api_key).replace("__LEADWIRE_BASE_URL__", base_url)


def _readable(value: Any) -> Any:
    """What JSON cannot hold, as a person reads it: a binary attribute as what `store.packing` packed into it (else
    its bytes in hex), anything else (a Decimal, an instant) as text."""
    if isinstance(value, bytes | bytearray):
        try:
            return packing.unpack(value)
        except (ValueError, zlib.error):
            return value.hex()
    return str(value)
