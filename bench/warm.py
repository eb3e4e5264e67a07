"""Warm cost per event: the CPU of the intake function per request, of score and assign per stream record, and of a
follow-up sweep, split into our own code, botocore, and moto (which stands in for AWS and is left out of totals).

Invocations run in this process through the harness (deployed settings: INFO logs, EMF metrics on). Each one is
timed with this thread's CPU clock; botocore's share is the CPU between each call's first and last botocore hook,
less the time moto spent answering inside it. What the functions print (logs, EMF) is counted, not shown.

Two traffic shapes: a burst (200 leads, then the stream drained: full batches of the template's size) and a trickle
(one lead at a time: batches of one record), since stream consumers cost more per record when batches are small.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Harness, Invoke
from bench.leads import TEAM, website_lead
from bench.progress import say
from bench.requests import Request, RequestCounter

BURST_LEADS = 200
TRICKLE_LEADS = 30
WARMUP_LEADS = 10


@dataclass
class Sample:
    """One invocation."""

    function: str
    phase: str
    records: int  # requests for intake, stream records for score and assign, 1 for a sweep
    cpu_s: float = 0.0
    wall_s: float = 0.0
    calls_cpu_s: float = 0.0  # inside botocore calls, moto included
    moto_cpu_s: float = 0.0
    log_bytes: int = 0
    log_lines: int = 0
    metrics_bytes: int = 0  # of log_bytes, the EMF lines (the basic tier prints none: POWERTOOLS_METRICS_DISABLED)
    metrics_lines: int = 0
    leads_swept: int = 0  # leads a follow-up sweep worked on (from its report)
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def ours_s(self) -> float:
        return self.cpu_s - self.calls_cpu_s

    @property
    def botocore_s(self) -> float:
        return self.calls_cpu_s - self.moto_cpu_s


class Recorder:
    """Times invocations, collects their AWS calls, and counts what they print: one Sample per invocation."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.phase = "setup"
        self._current = threading.local()
        self.metrics: set[tuple[str, str, str]] = set()  # (namespace, metric, dimensions): custom metrics billed

    def current(self) -> Sample | None:
        return getattr(self._current, "sample", None)

    def middleware(self, function: str, event: dict[str, Any], invoke: Invoke) -> Any:
        sample = Sample(function, self.phase, records=len(event.get("Records", [])) or 1)
        self._current.sample = sample
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            answer = invoke()
            if isinstance(answer, dict) and isinstance(answer.get("leads"), int):
                sample.leads_swept = answer["leads"]
            return answer
        finally:
            sample.cpu_s = time.thread_time() - cpu
            sample.wall_s = time.perf_counter() - wall
            self._current.sample = None
            self.samples.append(sample)

    def on_request(self, request: Request) -> None:
        sample = self.current()
        if sample is not None and request.function is not None:
            sample.calls_cpu_s += request.call_cpu_s
            sample.calls[request.name] += 1

    def add_moto_time(self, seconds: float) -> None:
        sample = self.current()
        if sample is not None:
            sample.moto_cpu_s += seconds

    def printed(self, text: str) -> None:
        sample = self.current()
        if sample is not None:
            sample.log_bytes += len(text.encode())
            sample.log_lines += text.count("\n")
        if '"_aws"' not in text:
            return  # no EMF line in it: nothing more to look at (most of what the functions print)
        for line in text.splitlines(keepends=True):
            if '"_aws"' in line:
                if sample is not None:
                    sample.metrics_bytes += len(line.encode())
                    sample.metrics_lines += 1
                self._note_metrics(line)

    def _note_metrics(self, line: str) -> None:
        try:
            document = json.loads(line)
        except ValueError:
            return
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            dimensions = ",".join(f"{name}={document.get(name)}" for names in directive.get("Dimensions", [])
                                  for name in names)
            for metric in directive.get("Metrics", []):
                self.metrics.add((directive.get("Namespace", ""), metric["Name"], dimensions))


class CountingStdout:
    """Stands in for sys.stdout: what the functions print is counted per invocation and thrown away."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def write(self, text: str) -> int:
        self.recorder.printed(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@contextmanager
def moto_timed(recorder: Recorder) -> Iterator[None]:
    """moto answers inside botocore's `before-send`; its CPU is AWS's time, not ours or botocore's."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request

    def process_request(stubber: BotocoreStubber, request: Any) -> Any:
        started = time.thread_time()
        try:
            return original(stubber, request)
        finally:
            recorder.add_moto_time(time.thread_time() - started)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.process_request = original  # type: ignore[method-assign]


def _post_leads(harness: Harness, numbers: range, run: str) -> None:
    for number in numbers:
        status, answer = harness.api("POST", "/leads", website_lead(number, run=run))
        if status != 201:
            raise RuntimeError(f"lead {number} was not accepted: {status} {answer}")


def run_phases(harness: Harness, recorder: Recorder) -> None:
    for rep_id, rep in TEAM.items():
        harness.api("PUT", f"/reps/{rep_id}", rep, auth=True)
    recorder.phase = "warmup"
    _post_leads(harness, range(WARMUP_LEADS), "warmup")
    harness.drain()
    harness.sweep(datetime.now(UTC))
    say(f"warm: burst of {BURST_LEADS} leads, then the stream drained in batches")
    recorder.phase = "burst"
    _post_leads(harness, range(BURST_LEADS), "burst")
    harness.drain()
    say(f"warm: trickle of {TRICKLE_LEADS} leads, one at a time")
    recorder.phase = "trickle"
    for number in range(TRICKLE_LEADS):
        _post_leads(harness, range(number, number + 1), "trickle")
        harness.drain()
    say("warm: follow-up sweeps (one with the new leads due, one with nothing due)")
    recorder.phase = "sweep"
    at = datetime.now(UTC) + timedelta(minutes=1)
    harness.sweep(at)
    harness.drain()
    recorder.phase = "empty_sweep"
    harness.sweep(at)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarise(samples: list[Sample]) -> dict[str, Any]:
    """Per invocation and per record (request, stream record or sweep): CPU ms by owner, wall ms, logs, calls."""
    invocations = len(samples)
    records = sum(sample.records for sample in samples)
    calls: Counter[str] = Counter()
    for sample in samples:
        calls.update(sample.calls)

    def per(total_s: float, count: int) -> float:
        return round(total_s * 1000 / count, 3) if count else 0.0

    ours = sum(sample.ours_s for sample in samples)
    botocore = sum(sample.botocore_s for sample in samples)
    return {
        "invocations": invocations, "records": records, "leads_swept": sum(sample.leads_swept for sample in samples),
        "per_record": {"ours_ms": per(ours, records), "botocore_ms": per(botocore, records),
                       "cpu_ms": per(ours + botocore, records),
                       "moto_ms": per(sum(sample.moto_cpu_s for sample in samples), records)},
        "per_invocation": {"ours_ms": per(ours, invocations), "botocore_ms": per(botocore, invocations),
                           "cpu_ms": per(ours + botocore, invocations),
                           "wall_ms": per(sum(sample.wall_s for sample in samples), invocations),
                           "log_bytes": round(_mean([sample.log_bytes for sample in samples]), 1),
                           "log_lines": round(_mean([sample.log_lines for sample in samples]), 2),
                           "metrics_log_bytes": round(_mean([sample.metrics_bytes for sample in samples]), 1),
                           "metrics_log_lines": round(_mean([sample.metrics_lines for sample in samples]), 2),
                           "calls": {name: round(count / invocations, 3) for name, count in sorted(calls.items())}},
    }


def measure() -> dict[str, Any]:
    recorder = Recorder()
    counter = RequestCounter()
    counter.listeners.append(recorder.on_request)
    harness = Harness(counter=counter)
    real_stdout = sys.stdout
    sys.stdout = CountingStdout(recorder)  # type: ignore[assignment]
    try:
        harness.start()
        harness.middlewares.append(recorder.middleware)
        with moto_timed(recorder):
            run_phases(harness, recorder)
    finally:
        sys.stdout = real_stdout
    harness.stop()
    by: dict[str, dict[str, Any]] = {}
    for phase in ("burst", "trickle", "sweep", "empty_sweep"):
        for function in sorted({sample.function for sample in recorder.samples if sample.phase == phase}):
            chosen = [sample for sample in recorder.samples if sample.phase == phase and sample.function == function]
            by.setdefault(phase, {})[function] = summarise(chosen)
    return {"warm": by, "custom_metrics": sorted("/".join(metric) for metric in recorder.metrics)}


def main() -> None:
    Path(sys.argv[1]).write_text(json.dumps(measure(), indent=2))


if __name__ == "__main__":
    main()
