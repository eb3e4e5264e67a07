"""A fake Meta Graph API on 127.0.0.1, answering as Meta would:

- `GET /v22.0/<leadgen_id>?fields=…` a lead node;
- `GET /v22.0/<form_id>/leads?filtering=[time_created GREATER_THAN …]&limit=…` a form's leads, a page at a time
  (`page_size`), with `paging.next` until the last page;
- `GET /v22.0/<page_id>/leadgen_forms` a Page's forms, `GET /v22.0/<page_id>/subscribed_apps` its subscriptions;
- `POST /v22.0/<dataset_id>/events` the Conversions API, every post recorded (`capi_posts`).

The token is read from the query (`access_token`) or the `Authorization: Bearer` header. Each kind of call can be
told to fail (HTTP 500), hang, or answer a rate-limit error (80005, 80001), so tests watch leadwire back off and
retry."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.fixtures import platform_sample

GRAPH_VERSION = "v22.0"
PAGE_TOKEN = "EAAB-fake-page-token-for-tests"
CAPI_TOKEN = "EAAB-fake-conversions-token-for-tests"
APP_ID = "1357924680"
SEVEN_DAYS_S = 7 * 86400
# What the Graph API answers for a lead node when no `fields` are asked for.
DEFAULT_FIELDS = ("id", "created_time", "field_data")


@dataclass(frozen=True)
class GraphRequest:
    path: str
    leadgen_id: str  # the node asked about: a lead, form, Page or dataset id
    query: dict[str, str]
    answered: int | None  # None when the fake hung instead of answering
    kind: str = "lead"  # lead, leads, forms, subscriptions, events
    token: str | None = None

    @property
    def fields(self) -> list[str]:
        return [name for name in self.query.get("fields", "").split(",") if name]


@dataclass(frozen=True)
class CapiPost:
    dataset_id: str
    events: list[dict[str, Any]]
    answered: int


@dataclass
class Form:
    form_id: str
    page_id: str
    name: str
    status: str = "ACTIVE"
    lead_ids: list[str] = field(default_factory=list)


class FakeGraph:
    """The Graph API's lead node, forms, Pages and Conversions API. Failures, hangs and rate limits apply to the
    next requests of one kind."""

    def __init__(self, page_token: str = PAGE_TOKEN, hang_seconds: float = 5.0, capi_token: str = CAPI_TOKEN,
                 page_size: int = 100) -> None:
        self.page_token = page_token
        self.capi_token = capi_token
        self.hang_seconds = hang_seconds
        self.page_size = page_size
        self.leads: dict[str, dict[str, Any]] = {}
        self.forms: dict[str, Form] = {}
        self.subscriptions: dict[str, list[dict[str, Any]]] = {}  # page id -> its subscribed apps
        self.requests: list[GraphRequest] = []
        self.capi_posts: list[CapiPost] = []
        self._troubles: dict[tuple[str, str | None], list[tuple[str, int]]] = {}  # (kind, node) -> what comes
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
        form = self.forms.get(str(lead.get("form_id")))
        if form is not None and str(lead["id"]) not in form.lead_ids:
            form.lead_ids.append(str(lead["id"]))

    def add_form(self, page_id: str, form_id: str, name: str = "Lead form", subscribed: bool = True) -> Form:
        """A form of a Page (the Page subscribed to our app's leadgen webhook unless told otherwise)."""
        form = self.forms.setdefault(form_id, Form(form_id, page_id, name))
        self.subscriptions.setdefault(page_id, [{"id": APP_ID, "name": "leadwire", "category": "Business",
                                                 "subscribed_fields": ["leadgen"]}] if subscribed else [])
        return form

    def unsubscribe(self, page_id: str) -> None:
        """The Page lost our app's subscription (a new admin, a permission taken back)."""
        self.subscriptions[page_id] = []

    def fail_next(self, count: int = 1, kind: str = "lead", node: str | None = None) -> None:
        """The next `count` requests of `kind` (about `node`, or any) get an HTTP 500, as Graph answers when it is
        having a bad day."""
        self._add_trouble(kind, node, "fail", count)

    def hang_next(self, count: int = 1, kind: str = "lead", node: str | None = None) -> None:
        """The next `count` requests of `kind` get no answer for `hang_seconds`: longer than any client waits."""
        self._add_trouble(kind, node, "hang", count)

    def rate_limit_next(self, count: int = 1, kind: str = "leads", node: str | None = None,
                        code: int = 80005) -> None:
        """The next `count` requests of `kind` are refused as rate limited (80005 LeadGen, 80001 Pages)."""
        self._add_trouble(kind, node, "rate_limit", count, code)

    def _add_trouble(self, kind: str, node: str | None, trouble: str, count: int, code: int = 0) -> None:
        with self._lock:
            self._troubles.setdefault((kind, node), []).extend([(trouble, code)] * count)

    def requests_for(self, leadgen_id: str) -> list[GraphRequest]:
        return [request for request in self.requests if request.leadgen_id == leadgen_id and request.kind == "lead"]

    def requests_of(self, kind: str) -> list[GraphRequest]:
        return [request for request in self.requests if request.kind == kind]

    def events_sent(self) -> Counter[tuple[int, str]]:
        """(lead id, event name) of every event Meta accepted, counted."""
        return Counter((event["user_data"]["lead_id"], event["event_name"])
                       for post in self.capi_posts if post.answered == 200 for event in post.events)

    def _next_trouble(self, kind: str, node: str) -> tuple[str, int] | None:
        with self._lock:
            for key in ((kind, node), (kind, None)):
                waiting = self._troubles.get(key)
                if waiting:
                    return waiting.pop(0)
            return None

    def _answer(self, method: str, path: str, query: dict[str, str], token: str | None,
                form_body: dict[str, str]) -> tuple[int | None, dict[str, Any], dict[str, str]]:
        parts = path.strip("/").split("/")
        node, edge = (parts[1] if len(parts) > 1 else ""), (parts[2] if len(parts) > 2 else None)
        kind = {None: "lead", "leads": "leads", "leadgen_forms": "forms", "subscribed_apps": "subscriptions",
                "events": "events"}.get(edge, "unknown")
        trouble = self._next_trouble(kind, node)
        headers: dict[str, str] = {}
        expected = self.capi_token if kind == "events" else self.page_token
        if trouble and trouble[0] == "hang":
            status, body = None, {}
        elif trouble and trouble[0] == "fail":
            status, body = 500, graph_error("An unexpected error has occurred. Please retry your request later.",
                                            "OAuthException", 2)
        elif trouble and trouble[0] == "rate_limit":
            status, body = 400, graph_error("User request limit reached", "OAuthException", trouble[1])
            headers["x-business-use-case-usage"] = json.dumps({node: [{
                "type": "leadgen" if trouble[1] == 80005 else "pages", "call_count": 100,
                "estimated_time_to_regain_access": 1}]})
        elif token != expected:
            status, body = 400, graph_error("Invalid OAuth access token - Cannot parse access token",
                                            "OAuthException", 190)
        elif parts[0] != GRAPH_VERSION or kind == "unknown" or (method == "POST") != (kind == "events"):
            status, body = 400, graph_error(f"Unsupported {method.lower()} request.", "GraphMethodException", 100)
        else:
            status, body = self._serve(kind, node, query, form_body)
        with self._lock:
            self.requests.append(GraphRequest(path, node, query, status, kind, token))
            if kind == "events" and trouble:  # a refused post is recorded too: tests see it was tried
                self.capi_posts.append(CapiPost(node, json.loads(form_body.get("data") or "[]"), status or 0))
        if trouble and trouble[0] == "hang":
            self._released.wait(self.hang_seconds)
        return status, body, headers

    def _serve(self, kind: str, node: str, query: dict[str, str],
               form_body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if kind == "lead":
            if node not in self.leads:
                return 400, graph_error(f"Unsupported get request. Object with ID '{node}' does not exist",
                                        "GraphMethodException", 100)
            lead = self.leads[node]
            wanted = [name for name in query.get("fields", "").split(",") if name] or DEFAULT_FIELDS
            return 200, {name: lead[name] for name in ("id", *wanted) if name in lead}
        if kind == "leads":
            return self._form_leads(node, query)
        if kind == "forms":
            forms = [form for form in self.forms.values() if form.page_id == node]
            return 200, {"data": [{"id": form.form_id, "name": form.name, "status": form.status,
                                   "leads_count": len(form.lead_ids)} for form in forms]}
        if kind == "subscriptions":
            return 200, {"data": self.subscriptions.get(node, [])}
        return self._events(node, form_body)

    def _form_leads(self, form_id: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        form = self.forms.get(form_id)
        if form is None:
            return 400, graph_error(f"Object with ID '{form_id}' does not exist", "GraphMethodException", 100)
        since = 0
        for rule in json.loads(query.get("filtering") or "[]"):
            if rule.get("field") == "time_created" and rule.get("operator") == "GREATER_THAN":
                since = int(rule["value"])
        matching = [self.leads[lead_id] for lead_id in form.lead_ids if _epoch(self.leads[lead_id]) > since]
        matching.sort(key=_epoch, reverse=True)  # newest first, as Graph lists them
        size = min(int(query.get("limit") or 25), self.page_size)
        start = int(query.get("after") or 0)
        wanted = [name for name in query.get("fields", "").split(",") if name] or DEFAULT_FIELDS
        page = [{name: lead[name] for name in ("id", *wanted) if name in lead} for lead in matching[start:start + size]]
        answer: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": str(start),
                                                                       "after": str(start + size)}}}
        if start + size < len(matching):
            following = {**query, "after": str(start + size)}
            answer["paging"]["next"] = f"{self.url}/{form_id}/leads?{urlencode(following)}"
        return 200, answer

    def _events(self, dataset_id: str, form_body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        events = json.loads(form_body.get("data") or "[]")
        too_old = [event for event in events if time.time() - int(event.get("event_time", 0)) > SEVEN_DAYS_S]
        status = 400 if too_old else 200
        with self._lock:
            self.capi_posts.append(CapiPost(dataset_id, events, status))
        if too_old:
            return 400, graph_error("Invalid parameter: event_time is more than 7 days in the past",
                                    "OAuthException", 100)
        return 200, {"events_received": len(events), "messages": [], "fbtrace_id": "AFakeTraceId"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        graph = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the access token

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form_body = {name: values[-1] for name, values in parse_qs(raw, keep_blank_values=True).items()}
                bearer = (self.headers.get("authorization") or "").removeprefix("Bearer ").strip()
                token = query.get("access_token") or form_body.get("access_token") or bearer or None
                status, body, headers = graph._answer(self.command, parts.path, query, token, form_body)
                if status is None:
                    self.close_connection = True
                    return  # hung: the client gave up long ago
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json; charset=UTF-8")
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out while we were slow

            do_POST = do_GET

        return Handler


def _epoch(lead: dict[str, Any]) -> int:
    return int(datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp())


def created_time(moment: datetime) -> str:
    """A lead's `created_time` as Graph writes it: `2026-10-01T09:04:22+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


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
