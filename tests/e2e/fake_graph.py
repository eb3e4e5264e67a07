"""A fake Meta Graph API on 127.0.0.1: answers `GET /v22.0/<leadgen_id>?fields=…&access_token=…` as Meta would,
and can be told to fail or hang, so tests can watch leadwire fetch, give up and retry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fixtures import platform_sample

GRAPH_VERSION = "v22.0"
PAGE_TOKEN = "EAAB-fake-page-token-for-tests"
# What the Graph API answers for a lead node when no `fields` are asked for.
DEFAULT_FIELDS = ("id", "created_time", "field_data")


@dataclass(frozen=True)
class GraphRequest:
    path: str
    leadgen_id: str
    query: dict[str, str]
    answered: int | None  # None when the fake hung instead of answering

    @property
    def fields(self) -> list[str]:
        return [name for name in self.query.get("fields", "").split(",") if name]


class FakeGraph:
    """The Graph API's lead node. Leads are registered by id; failures and hangs apply to the next requests."""

    def __init__(self, page_token: str = PAGE_TOKEN, hang_seconds: float = 5.0) -> None:
        self.page_token = page_token
        self.hang_seconds = hang_seconds
        self.leads: dict[str, dict[str, Any]] = {}
        self.requests: list[GraphRequest] = []
        self._failures = 0
        self._hangs = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-graph", daemon=True)

    @property
    def url(self) -> str:
        """The versioned base URL, as META_GRAPH_URL holds it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/{GRAPH_VERSION}"

    def start(self) -> FakeGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # let hanging requests go, so the server can shut down
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_lead(self, lead: dict[str, Any]) -> None:
        self.leads[str(lead["id"])] = lead

    def fail_next(self, count: int = 1) -> None:
        """The next `count` requests get an HTTP 500, as Graph answers when it is having a bad day."""
        with self._lock:
            self._failures = count

    def hang_next(self, count: int = 1) -> None:
        """The next `count` requests get no answer for `hang_seconds`: longer than any client should wait."""
        with self._lock:
            self._hangs = count

    def requests_for(self, leadgen_id: str) -> list[GraphRequest]:
        return [request for request in self.requests if request.leadgen_id == leadgen_id]

    def _next_trouble(self) -> str | None:
        with self._lock:
            if self._hangs:
                self._hangs -= 1
                return "hang"
            if self._failures:
                self._failures -= 1
                return "fail"
            return None

    def _answer(self, path: str, query: dict[str, str]) -> tuple[int | None, dict[str, Any]]:
        leadgen_id = path.rstrip("/").rsplit("/", 1)[-1]
        trouble = self._next_trouble()
        if trouble == "hang":
            status, body = None, {}
        elif trouble == "fail":
            status, body = 500, graph_error("An unexpected error has occurred. Please retry your request later.",
                                            "OAuthException", 2)
        elif query.get("access_token") != self.page_token:
            status, body = 400, graph_error("Invalid OAuth access token - Cannot parse access token",
                                            "OAuthException", 190)
        elif path != f"/{GRAPH_VERSION}/{leadgen_id}" or leadgen_id not in self.leads:
            status, body = 400, graph_error(f"Unsupported get request. Object with ID '{leadgen_id}' does not exist",
                                            "GraphMethodException", 100)
        else:
            lead = self.leads[leadgen_id]
            wanted = [name for name in query.get("fields", "").split(",") if name] or DEFAULT_FIELDS
            status, body = 200, {name: lead[name] for name in ("id", *wanted) if name in lead}
        with self._lock:
            self.requests.append(GraphRequest(path, leadgen_id, query, status))
        if trouble == "hang":
            self._released.wait(self.hang_seconds)
        return status, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        graph = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the access token

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
                status, body = graph._answer(parts.path, query)
                if status is None:
                    self.close_connection = True
                    return  # hung: the client gave up long ago
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json; charset=UTF-8")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out while we were slow

        return Handler


def graph_error(message: str, kind: str, code: int) -> dict[str, Any]:
    """Graph's error envelope."""
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AFakeTraceId"}}


@pytest.fixture(scope="module", name="fake_graph")
def fake_graph_server() -> Iterator[FakeGraph]:
    """A running fake Graph API serving the documented sample lead; request `fake_graph` in a test module."""
    graph = FakeGraph().start()
    graph.add_lead(platform_sample("meta_graph_lead.json")["response_json"])
    yield graph
    graph.stop()
