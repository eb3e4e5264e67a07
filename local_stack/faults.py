"""Fault injection, in the local stack only: a fraction of the SES, EventBridge, DynamoDB and Graph API calls the
functions make fail the way those services fail them, so what leadwire does about failures can be watched.

AWS calls are failed inside botocore, through its event system, on every client created after `install` (the
functions' clients; the stack's own clients, made earlier, read the truth). A fault is what the calling code sees
after the SDK's own retries: `before-call` answers an error instead of sending the request, and one DynamoDB
`InternalServerError` in two is raised by `after-call`, once the write was done (AWS documents that a 500 can
leave it applied). Graph API calls go through a small proxy on 127.0.0.1 that answers 500 or holds the request
until the client gives up. Production code holds none of this.

A seed makes the decisions repeatable: each kind draws from its own generator, so the n-th call of a kind meets
the same fate in every run with that seed (with concurrent callers, which call is the n-th can differ).
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import ProxyHandler, Request, build_opener

KINDS = ("ses", "events", "dynamodb", "graph")
# every failure a kind can meet (which of them a call can meet depends on its operation: `_failures`)
FAILURES = {"ses": ("Throttling", "TooManyRequestsException", "MessageRejected"),
            "events": ("FailedEntry", "ThrottlingException"),
            "dynamodb": ("ProvisionedThroughputExceededException", "InternalServerError",
                         "InternalServerError (applied)", "TransactionConflict"),
            "graph": ("500", "timeout")}
# botocore's service name → the kind of fault that applies to its calls
SERVICES = {"ses": "ses", "sesv2": "ses", "events": "events", "dynamodb": "dynamodb"}


class FaultSpecError(ValueError):
    """A fault setting that cannot be used; `details` names each field and why, in the API's error shape."""

    def __init__(self, details: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{detail['field']}: {detail['reason']}" for detail in details))
        self.details = details


@dataclass(frozen=True)
class FaultPlan:
    """The fraction of each kind of call that fails (0 to 1), and the seed of the decisions (None: not repeatable)."""

    rates: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    scripted: tuple[Scripted, ...] = ()  # single faults at chosen places, met before any drawn at random

    @classmethod
    def from_json(cls, body: Any) -> FaultPlan:
        """`{"ses": 0.1, "events": 0.1, "dynamodb": 0.1, "graph": 0.1, "seed": 7}`; `{}` is no faults. `"next":
        [{"kind": "dynamodb", "failure": "InternalServerError (applied)", "operation": "TransactWriteItems"}]`
        fails the next such call (`count` of them; `operation` left out: any call of the kind)."""
        if not isinstance(body, dict):
            raise FaultSpecError([{"field": "body", "reason": "must be a JSON object"}])
        details, rates = [], {}
        scripted = _scripted(body.get("next", []), details)
        for name, value in body.items():
            if name in ("seed", "next"):
                continue
            if name not in KINDS:
                details.append({"field": name, "reason": f"unknown; one of {', '.join(KINDS)}, seed or next"})
            elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                details.append({"field": name, "reason": "must be a number from 0 to 1"})
            elif value:
                rates[name] = float(value)
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            details.append({"field": "seed", "reason": "must be an integer"})
        if details:
            raise FaultSpecError(details)
        return cls(rates, seed, scripted)

    @classmethod
    def from_text(cls, text: str) -> FaultPlan:
        """The `LEADWIRE_FAULTS` form: `ses=0.1,dynamodb=0.1,seed=3`."""
        body: dict[str, Any] = {}
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            name, equals, value = part.partition("=")
            name = name.strip()
            try:
                body[name] = int(value) if name == "seed" else float(value)
            except ValueError as error:
                raise FaultSpecError([{"field": name, "reason": f"not a number: {value.strip()!r}"}]) from error
            if not equals:
                raise FaultSpecError([{"field": name, "reason": "give it as name=value"}])
        return cls.from_json(body)

    def as_dict(self) -> dict[str, Any]:
        return {**self.rates, **({"seed": self.seed} if self.seed is not None else {}),
                **({"next": [scripted.as_dict() for scripted in self.scripted]} if self.scripted else {})}


@dataclass(frozen=True)
class Scripted:
    """`count` faults of `kind` (on calls of `operation` only, when given) that fail with `failure`."""

    kind: str
    failure: str
    operation: str | None = None
    count: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "failure": self.failure, "count": self.count,
                **({"operation": self.operation} if self.operation else {})}


def _scripted(entries: Any, details: list[dict[str, str]]) -> tuple[Scripted, ...]:
    """The `next` list of `FaultPlan.from_json`; what is wrong with it goes to `details`, by field."""
    if not isinstance(entries, list):
        details.append({"field": "next", "reason": "must be a list of {kind, failure, operation, count}"})
        return ()
    found = []
    for index, entry in enumerate(entries):
        where = f"next[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"kind", "failure", "operation", "count"}:
            details.append({"field": where, "reason": "must be an object of kind, failure, operation and count"})
            continue
        kind, failure = entry.get("kind"), entry.get("failure")
        operation, count = entry.get("operation"), entry.get("count", 1)
        if kind not in KINDS:
            details.append({"field": f"{where}.kind", "reason": f"one of {', '.join(KINDS)}"})
        elif failure not in FAILURES[kind]:
            details.append({"field": f"{where}.failure", "reason": f"one of {', '.join(FAILURES[kind])}"})
        elif operation is not None and not isinstance(operation, str):
            details.append({"field": f"{where}.operation", "reason": "an API operation's name, as TransactWriteItems"})
        elif isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
            details.append({"field": f"{where}.count", "reason": "a whole number from 1 to 100"})
        else:
            found.append(Scripted(kind, failure, operation, count))
    return tuple(found)


class Faults:
    """The faults in force, and what was injected so far (`status`)."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self.set(plan or FaultPlan())

    def set(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._random = {kind: random.Random(None if plan.seed is None else f"leadwire-faults {kind} {plan.seed}")
                            for kind in KINDS}
            self.calls: Counter[str] = Counter()
            self.injected: Counter[str] = Counter()
            self._scripted: list[tuple[str, str | None, str]] = [
                (scripted.kind, scripted.operation, scripted.failure)
                for scripted in plan.scripted for _ in range(scripted.count)]

    def fail_next(self, kind: str, failure: str, operation: str | None = None, count: int = 1) -> None:
        """The next `count` calls of `kind` (of `operation` only, when given) fail with `failure`, one of the
        failures of that kind (tests that need one fault at one place: a conflict on one transaction, say)."""
        with self._lock:
            self._scripted += [(kind, operation, failure)] * count

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"faults": self.plan.as_dict(), "calls": dict(self.calls), "injected": dict(self.injected)}

    def draw(self, kind: str, choices: tuple[str, ...], operation: str | None = None
             ) -> tuple[str, random.Random] | None:
        """Whether this call of `kind` fails, and how (one of `choices`), with the generator for its details."""
        with self._lock:
            self.calls[kind] += 1
            for index, (scripted_kind, scripted_operation, failure) in enumerate(self._scripted):
                if scripted_kind == kind and scripted_operation in (None, operation) and failure in choices:
                    del self._scripted[index]
                    self.injected[f"{kind}.{failure}"] += 1
                    return failure, random.Random(index)
            rate = self.plan.rates.get(kind, 0.0)
            if not rate:
                return None
            generator = self._random[kind]
            if generator.random() >= rate:
                return None
            failure = generator.choice(choices)
            self.injected[f"{kind}.{failure}"] += 1
            return failure, random.Random(generator.random())

    # --- AWS, through botocore's events --------------------------------------------------------------------------
    def install(self, events: Any) -> None:
        """Hook every client made from now on by the session whose event system `events` is (botocore copies the
        session's handlers into each client it creates)."""
        events.register_first("before-call", self._before_call, unique_id="leadwire-faults-before")
        events.register_first("after-call", self._after_call, unique_id="leadwire-faults-after")

    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        kind = SERVICES.get(model.service_model.service_name)
        if kind is None:
            return None
        drawn = self.draw(kind, _failures(model.service_model.service_name, model.name), model.name)
        if drawn is None:
            return None
        failure, generator = drawn
        if failure == "InternalServerError (applied)":
            context["leadwire_fault"] = failure  # sent for real; `_after_call` reports the error
            return None
        return _answer(failure, _request_of(params), generator)

    def _after_call(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.pop("leadwire_fault", None) and http_response is not None and http_response.status_code < 300:
            status, error = ERRORS["InternalServerError"]
            http_response.status_code = status
            parsed.clear()
            parsed.update(_error_body(status, error))


def _request_of(request_dict: dict[str, Any]) -> dict[str, Any]:
    """The API parameters of a JSON-protocol request (DynamoDB, EventBridge), from the body botocore built."""
    body = request_dict.get("body")
    try:
        return json.loads(body) if body else {}
    except (TypeError, ValueError):
        return {}


def _failures(service: str, operation: str) -> tuple[str, ...]:
    if service == "ses":
        return ("Throttling", "MessageRejected")
    if service == "sesv2":  # API v2 words the sending-rate throttle as HTTP 429
        return ("TooManyRequestsException", "MessageRejected")
    if service == "events":
        return ("FailedEntry", "ThrottlingException") if operation == "PutEvents" else ("ThrottlingException",)
    transaction = ("TransactionConflict",) if operation in ("TransactWriteItems", "TransactGetItems") else ()
    return ("ProvisionedThroughputExceededException", "InternalServerError", "InternalServerError (applied)",
            *transaction)


# code → (HTTP status, the error as the service words it)
ERRORS: dict[str, tuple[int, dict[str, str]]] = {
    "Throttling": (400, {"Type": "Sender", "Code": "Throttling", "Message": "Maximum sending rate exceeded."}),
    "MessageRejected": (400, {"Type": "Sender", "Code": "MessageRejected",
                              "Message": "Email address is not verified."}),
    "TooManyRequestsException": (429, {"Code": "TooManyRequestsException",
                                       "Message": "Maximum sending rate exceeded."}),
    "ThrottlingException": (400, {"Code": "ThrottlingException", "Message": "Rate exceeded"}),
    "ProvisionedThroughputExceededException": (400, {
        "Code": "ProvisionedThroughputExceededException",
        "Message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing "
                   "your provisioning level with the UpdateTable API."}),
    "InternalServerError": (500, {"Code": "InternalServerError", "Message": "Internal server error"}),
    "TransactionConflict": (400, {"Code": "TransactionCanceledException",
                                  "Message": "Transaction cancelled, please refer cancellation reasons for specific "
                                             "reasons"}),
}


def _error_body(status: int, error: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"Error": dict(error), **extra, "ResponseMetadata": {
        "RequestId": str(uuid.uuid4()), "HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}}


def _answer(failure: str, params: dict[str, Any], generator: random.Random) -> tuple[Any, dict[str, Any]]:
    """(the HTTP response, the parsed answer) botocore would have got from the service for this failure."""
    from botocore.awsrequest import AWSResponse

    if failure == "FailedEntry":  # PutEvents answers 200 and names what it did not take, entry by entry
        code = generator.choice(("InternalFailure", "ThrottlingException"))
        entries = [{"ErrorCode": code, "ErrorMessage": "Internal Failure" if code == "InternalFailure"
                    else "Rate exceeded"} for _ in params.get("Entries", [])]
        parsed: dict[str, Any] = {"FailedEntryCount": len(entries), "Entries": entries, "ResponseMetadata": {
            "RequestId": str(uuid.uuid4()), "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0}}
        return AWSResponse("", 200, {}, _NoBody()), parsed
    status, error = ERRORS[failure]
    extra: dict[str, Any] = {}
    if failure == "TransactionConflict":  # one reason per action, in order: another transaction held one item
        count = len(params.get("TransactItems", [])) or 1
        conflicting = generator.randrange(count)
        extra["CancellationReasons"] = [
            {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"} if index == conflicting
            else {"Code": "None"} for index in range(count)]
        error = {**error, "Message": error["Message"] + " [" + ", ".join(
            reason["Code"] for reason in extra["CancellationReasons"]) + "]"}
    return AWSResponse("", status, {}, _NoBody()), _error_body(status, error, **extra)


class _NoBody:
    """The raw body of an answer that was never on the wire."""

    def stream(self, *_: Any, **__: Any) -> Any:
        return iter(())


# --- the Graph API, through a proxy -------------------------------------------------------------------------------
class GraphFaults:
    """A proxy on 127.0.0.1 in front of the Graph API (`upstream`, META_GRAPH_URL as the owner set it): it forwards
    every request (method, headers, body), except that the fraction `faults` draws for "graph" gets a 500 in Graph's
    error envelope or is held without an answer until the client's timeout has passed."""

    def __init__(self, faults: Faults, upstream: str, hold_s: float) -> None:
        self.faults = faults
        self.upstream = upstream.rstrip("/")
        self.hold_s = hold_s
        self._released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="leadwire-graph-faults", daemon=True)

    @property
    def url(self) -> str:
        """What the functions are given as META_GRAPH_URL: this proxy, with the upstream's path (its version)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{urlsplit(self.upstream).path}"

    def start(self) -> GraphFaults:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None
                 ) -> tuple[int, list[tuple[str, str]], bytes]:
        origin = urlsplit(self.upstream)
        opener = build_opener(ProxyHandler({}))
        request = Request(f"{origin.scheme}://{origin.netloc}{path}", data=body, method=method, headers=headers)
        try:
            with opener.open(request, timeout=self.hold_s + 5) as answer:
                return answer.status, _passed(answer.headers.items()), self._rewritten(answer.read())
        except HTTPError as error:
            return error.code, _passed(error.headers.items()), self._rewritten(error.read())
        except (URLError, OSError):
            return 502, [("content-type", "application/json")], GRAPH_ERROR

    def _rewritten(self, body: bytes) -> bytes:
        """Links in the answer (`paging.next`) lead back through the proxy, as they would to Graph itself."""
        origin = urlsplit(self.upstream)
        upstream, here = f"{origin.scheme}://{origin.netloc}", f"http://127.0.0.1:{self._server.server_address[1]}"
        for before, after in ((upstream, here), (upstream.replace("/", "\\/"), here.replace("/", "\\/"))):
            body = body.replace(before.encode(), after.encode())
        return body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the query holds the page token

            def do_GET(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                drawn = proxy.faults.draw("graph", ("500", "timeout"))
                if drawn and drawn[0] == "timeout":
                    proxy._released.wait(proxy.hold_s)  # longer than the client waits: it gives up first
                    self.close_connection = True
                    return
                if drawn:
                    status, headers, data = 500, [("content-type", "application/json")], GRAPH_ERROR
                else:
                    sent = dict(_passed(self.headers.items()))
                    status, headers, data = proxy._forward(self.command, self.path, sent, body)
                try:
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_DELETE = do_GET

        return Handler


def _passed(headers: Any) -> list[tuple[str, str]]:
    """Headers as they go through the proxy: all but those of the connection itself (and the two every answer
    gets from the proxy's own server)."""
    return [(name, value) for name, value in headers if name.lower() not in (
        "host", "content-length", "connection", "transfer-encoding", "keep-alive", "server", "date")]


# Graph's error envelope for a transient failure (code 2: "Service temporarily unavailable")
GRAPH_ERROR = (b'{"error":{"message":"An unexpected error has occurred. Please retry your request later.",'
               b'"type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"ALocalFault"}}')
