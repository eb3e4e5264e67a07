"""`python -m bench.outbound`: what a webhook subscription costs, on moto with a receiver on 127.0.0.1.

The same leads go through the pipeline without a subscription and then with one (`lead.assigned`): AWS requests per
lead by function, and what they add; the outbound function's wall time per attempt (p50, p95) against a receiver
that answers at once; and one attempt against a receiver that never answers, which the 5-second deadline ends.
Not part of `make bench` (it opens sockets to its own receiver); the numbers are printed, nothing is asserted.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.harness import Harness
from bench.leads import TEAM, website_lead
from bench.requests import RequestCounter

LEADS = 60


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0
    hang = threading.Event()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path == "/hang":
            _Receiver.hang.wait(30)
            return
        _Receiver.received += 1
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()


def per_lead(counter: RequestCounter, functions: list[str], leads: int) -> dict[str, float]:
    return {function: round(counter.total(function) / leads, 2) for function in functions}


def timed(into: list[tuple[float, int]]) -> Callable[[str, dict[str, Any], Callable[[], Any]], Any]:
    def middleware(name: str, event: dict[str, Any], invoke: Callable[[], Any]) -> Any:
        if name != "OutboundFunction":
            return invoke()
        started = time.perf_counter()
        try:
            return invoke()
        finally:
            into.append((time.perf_counter() - started, len(event.get("Records", []))))
    return middleware


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    counter = RequestCounter()
    harness = Harness(counter).start()
    functions = sorted(harness.functions)
    for rep_id, rep in TEAM.items():
        harness.api("PUT", f"/reps/{rep_id}", rep, auth=True)

    def send(leads: int, run: str) -> None:
        for number in range(leads):
            harness.api("POST", "/leads", website_lead(number, run))
        harness.drain()

    send(5, "warm")
    counter.reset()
    send(LEADS, "plain")
    without = per_lead(counter, functions, LEADS)

    status, _ = harness.api("PUT", "/subscriptions/crm", {"kind": "webhook", "url": f"{base}/crm",
                                                          "events": ["lead.assigned"]}, auth=True)
    assert status == 201
    attempts: list[tuple[float, int]] = []
    harness.middlewares.append(timed(attempts))
    counter.reset()
    received_before = _Receiver.received
    send(LEADS, "hooked")
    with_hook = per_lead(counter, functions, LEADS)
    outbound = counter.by_operation("OutboundFunction")
    delivered = _Receiver.received - received_before

    harness.api("DELETE", "/subscriptions/crm", auth=True)
    harness.api("PUT", "/subscriptions/hang", {"kind": "webhook", "url": f"{base}/hang",
                                               "events": ["lead.assigned"]}, auth=True)
    attempts_before = len(attempts)
    send(1, "hang")
    hung = [seconds for seconds, _ in attempts[attempts_before:]]
    _Receiver.hang.set()

    per_attempt = sorted(seconds / max(1, records) for seconds, records in attempts[:attempts_before])
    lines = [
        f"leads: {LEADS} per run; deliveries received: {delivered}",
        "AWS requests per lead, without → with a webhook subscription:",
        *(f"  {function}: {without[function]} → {with_hook[function]}" for function in functions),
        f"the outbound function's requests per delivery: "
        f"{ {name: round(count / max(1, delivered), 2) for name, count in outbound.items()} }",
        f"outbound function wall time per attempt (moto, receiver on 127.0.0.1): "
        f"p50 {statistics.median(per_attempt) * 1000:.1f} ms, "
        f"p95 {per_attempt[int(len(per_attempt) * 0.95) - 1] * 1000:.1f} ms",
        f"an attempt to a receiver that never answers: {max(hung):.2f} s (the deadline is 5 s)",
    ]
    print("\n".join(lines))
    harness.stop()
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
