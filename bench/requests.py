"""Every AWS request the code under test makes, counted by function and operation through botocore's event hooks.

Attach a RequestCounter to a botocore event emitter (a session's, before its clients exist, or one client's
`meta.events`); wrap the work a function does in `on_behalf_of(name)`, and each request is booked to it. Requests
made outside any function (the harness, the stream pump) are booked to None, so reports can leave them out.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_function: ContextVar[str | None] = ContextVar("bench_function", default=None)
_PARAMS = "bench_params"
_STARTED = "bench_started"


@contextmanager
def on_behalf_of(function: str) -> Iterator[None]:
    """Book the AWS requests made inside this block (in this thread) to `function`."""
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)


def current_function() -> str | None:
    return _function.get()


@dataclass(frozen=True)
class Request:
    function: str | None
    service: str  # botocore's service name: dynamodb, ses, events, secretsmanager, ...
    operation: str  # e.g. TransactWriteItems
    status: int
    params: dict[str, Any]
    response: dict[str, Any]
    call_cpu_s: float  # this thread's CPU from the call's first hook to its last: botocore, and moto when in-process

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"

    @property
    def ok(self) -> bool:
        return self.status < 300


Listener = Callable[[Request], None]


@dataclass
class RequestCounter:
    keep: bool = False  # keep every Request (params and responses), not only the counts
    counts: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    requests: list[Request] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, events: Any) -> None:
        """Register on a botocore HierarchicalEmitter; `provide-client-params` opens each call, `after-call`
        closes it (it fires for answers from the network, from moto and from botocore's Stubber alike)."""
        events.register("provide-client-params", self._opened, unique_id=f"bench-open-{id(self)}")
        events.register("after-call", self._closed, unique_id=f"bench-close-{id(self)}")

    def _opened(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS] = dict(params)
        context[_STARTED] = time.thread_time()

    def _closed(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any],
                **_: Any) -> None:
        started = context.get(_STARTED, time.thread_time())
        request = Request(function=current_function(), service=model.service_model.service_name,
                          operation=model.name, status=int(getattr(http_response, "status_code", 200)),
                          params=context.get(_PARAMS, {}), response=parsed,
                          call_cpu_s=time.thread_time() - started)
        with self._lock:
            self.counts[(request.function, request.name)] += 1
            if self.keep:
                self.requests.append(request)
        for listener in self.listeners:
            listener(request)

    def by_operation(self, function: str | None = "*") -> dict[str, int]:
        """Requests per `service.Operation`; for one function, for None (the harness), or "*" for every function."""
        totals: Counter[str] = Counter()
        for (booked_to, name), count in self.counts.items():
            if (function == "*" and booked_to is not None) or booked_to == function:
                totals[name] += count
        return dict(sorted(totals.items()))

    def total(self, function: str | None = "*") -> int:
        return sum(self.by_operation(function).values())

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.requests.clear()


def per_lead(counts: dict[str, int], leads: int) -> dict[str, float]:
    """Counts divided by the number of leads that caused them."""
    if leads <= 0:
        raise ValueError("per-lead figures need at least one lead")
    return {name: round(count / leads, 4) for name, count in counts.items()}
