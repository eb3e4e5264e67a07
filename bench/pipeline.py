"""Pipeline throughput and speed to lead on the local stack, from the outside, as a user runs it.

The local stack in its own process (`python -m local_stack --port 0 --no-schedule`); three reps set up with
PUT /reps/{id}; 1,000
website leads posted by 8 concurrent clients (keep-alive connections). Throughput is leads accepted per second
from the first request to the last answer; speed to lead is, per lead, the time from its 2xx to the owner's email
in the outbox (`sent_at`), the email matched to the lead by the `X-Leadwire-Lead` header it carries.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.leads import TEAM, lead_id_of, website_lead
from bench.progress import say

ROOT = Path(__file__).resolve().parents[1]
READY = re.compile(r"leadwire local stack at (http://\S+) \(API key: (\S+)\)")
LEADS = 1000
CLIENTS = 8
EMAIL_WAIT_S = 300
ONE_AT_A_TIME = 20  # before the burst: leads sent one by one, each after the previous one's email, on a quiet stack
SUSTAINED_RATE_PER_S = 10  # then a steady stream: this many leads a second from concurrent clients, for
SUSTAINED_S = 60


@dataclass(frozen=True)
class Accepted:
    lead_id: str
    status: int
    sent_at: float  # epoch seconds when the request went out
    answered_at: float  # epoch seconds when the 2xx came back


class LocalStackProcess:
    """The local stack as its own process, as `make run` starts it (on a free port, without the schedule)."""

    def __init__(self) -> None:
        self.output: list[str] = []

    def start(self) -> LocalStackProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "local_stack", "--port", "0", "--no-schedule"],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            found = READY.search(line)
            if found:
                self.url, self.api_key = found.group(1), found.group(2)
                break
        else:
            raise RuntimeError("the local stack did not start:\n" + "".join(self.output[-40:]))
        threading.Thread(target=self._keep_reading, daemon=True).start()
        return self

    def _keep_reading(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Client:
    """One keep-alive HTTP connection to the stack."""

    def __init__(self, url: str, api_key: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.api_key = api_key

    def request(self, method: str, path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
        headers = {"content-type": "application/json"}
        if auth:
            headers["authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None

    def close(self) -> None:
        self.connection.close()


def process_cpu_s(pid: int) -> float | None:
    """A process's CPU time so far (user and system), from Linux's /proc; None where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime, fields 14 and 15


def cpu_ms_per_lead(before: float | None, after: float | None, leads: int) -> float | None:
    return None if before is None or after is None or not leads else round((after - before) / leads * 1000, 1)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of all values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def speed_to_lead(accepted: list[Accepted], outbox: list[dict[str, Any]]) -> dict[str, Any]:
    """Seconds from each lead's 2xx to its owner's first email (emails matched by the lead they name)."""
    first_email: dict[str, float] = {}
    for email in outbox:
        sent = datetime.fromisoformat(email["sent_at"].replace("Z", "+00:00")).timestamp()
        lead_id = lead_id_of(email)
        if lead_id:
            first_email[lead_id] = min(sent, first_email.get(lead_id, sent))
    # The stream can outrun the answer: an email sent before the client read its 2xx counts as no delay at all.
    delays = [max(0.0, first_email[lead.lead_id] - lead.answered_at) for lead in accepted
              if lead.lead_id in first_email]
    if not delays:
        return {"p50": None, "p95": None, "max": None, "emailed": 0}
    return {"p50": round(percentile(delays, 0.50), 3), "p95": round(percentile(delays, 0.95), 3),
            "max": round(max(delays), 3), "emailed": len(delays)}


def send_times(rate_per_s: float, seconds: float, start: float) -> list[float]:
    """When each lead of a steady stream goes out: evenly spaced, `rate_per_s` a second for `seconds`."""
    return [start + number / rate_per_s for number in range(round(rate_per_s * seconds))]


def _post_all(url: str, api_key: str, leads: int, clients: int, at: list[float] | None = None,
              run: str = "pipeline") -> list[Accepted]:
    local = threading.local()
    connections: list[Client] = []

    def post(number: int) -> Accepted:
        if not hasattr(local, "client"):
            local.client = Client(url, api_key)
            connections.append(local.client)
        if at is not None:
            time.sleep(max(0.0, at[number] - time.time()))
        sent = time.time()
        status, answer = local.client.request("POST", "/leads", website_lead(number, run=run), auth=False)
        return Accepted(answer.get("id", "") if isinstance(answer, dict) else "", status, sent, time.time())

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(post, range(leads)))
    for connection in connections:
        connection.close()
    return results


def _wait_for_emails(client: Client, lead_ids: set[str], timeout_s: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        _, outbox = client.request("GET", "/_local/outbox")
        emailed = {lead_id_of(email) for email in outbox}
        say(f"pipeline: {len(lead_ids & emailed)} of {len(lead_ids)} owners emailed")
        if lead_ids <= emailed or time.monotonic() > deadline:
            return list(outbox)
        time.sleep(5.0)


def _one_at_a_time(client: Client, leads: int) -> dict[str, Any]:
    """Speed to lead when the stack is idle: each lead posted after the previous one's owner was emailed."""
    accepted: list[Accepted] = []
    outbox: list[dict[str, Any]] = []
    for number in range(leads):
        sent = time.time()
        status, answer = client.request("POST", "/leads", website_lead(number, run="quiet"), auth=False)
        accepted.append(Accepted(answer.get("id", ""), status, sent, time.time()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            _, outbox = client.request("GET", "/_local/outbox")
            if any(lead_id_of(email) == accepted[-1].lead_id for email in outbox):
                break
            time.sleep(0.02)
    return speed_to_lead(accepted, outbox)


def measure(leads: int = LEADS, clients: int = CLIENTS) -> dict[str, Any]:
    stack = LocalStackProcess().start()
    try:
        control = Client(stack.url, stack.api_key)
        for rep_id, rep in TEAM.items():
            status, answer = control.request("PUT", f"/reps/{rep_id}", rep)
            if status != 200:
                raise RuntimeError(f"PUT /reps/{rep_id} answered {status}: {answer}")
        say(f"pipeline: {ONE_AT_A_TIME} leads one at a time on the quiet stack at {stack.url}")
        quiet = _one_at_a_time(control, ONE_AT_A_TIME)
        say(f"pipeline: {SUSTAINED_RATE_PER_S} leads a second for {SUSTAINED_S} s from {clients} concurrent clients")
        times = send_times(SUSTAINED_RATE_PER_S, SUSTAINED_S, time.time() + 0.5)
        cpu_before = process_cpu_s(stack.process.pid)
        posted = _post_all(stack.url, stack.api_key, len(times), clients, times, "sustained")
        steady = [result for result in posted if 200 <= result.status < 300 and result.lead_id]
        emailed = _wait_for_emails(control, {lead.lead_id for lead in steady}, 120)
        cpu = cpu_ms_per_lead(cpu_before, process_cpu_s(stack.process.pid), len(steady))
        # how far behind its planned instant the latest request went out (the clients kept up if this is small)
        late = max(result.sent_at - planned for result, planned in zip(posted, times, strict=True))
        sustained = {"rate_per_s": SUSTAINED_RATE_PER_S, "seconds": SUSTAINED_S, "accepted": len(steady),
                     "latest_send_behind_plan_s": round(late, 3), "stack_cpu_ms_per_lead": cpu,
                     **speed_to_lead(steady, emailed)}
        say(f"pipeline: posting {leads} leads from {clients} concurrent clients")
        results = _post_all(stack.url, stack.api_key, leads, clients)
        accepted = [result for result in results if 200 <= result.status < 300 and result.lead_id]
        elapsed = max(result.answered_at for result in results) - min(result.sent_at for result in results)
        say(f"pipeline: {len(accepted)} accepted in {elapsed:.1f} s; waiting for the owners' emails")
        outbox = _wait_for_emails(control, {lead.lead_id for lead in accepted}, EMAIL_WAIT_S)
        _, invocations = control.request("GET", "/_local/invocations")
        control.close()
    finally:
        stack.stop()
    latencies = sorted(result.answered_at - result.sent_at for result in accepted)
    return {
        "throughput_leads_per_s": round(len(accepted) / elapsed, 1),
        "speed_to_lead_s": speed_to_lead(accepted, outbox),
        "speed_to_lead_one_at_a_time_s": quiet,
        "speed_to_lead_sustained_s": sustained,
        "pipeline": {"leads": leads, "clients": clients, "accepted": len(accepted),
                     "refused": {str(status): sum(1 for r in results if r.status == status)
                                 for status in sorted({r.status for r in results}) if not 200 <= status < 300},
                     "elapsed_s": round(elapsed, 2),
                     "response_ms": {"p50": round(percentile(latencies, 0.5) * 1000, 1),
                                     "p95": round(percentile(latencies, 0.95) * 1000, 1)} if latencies else {},
                     "invocations": invocations},
    }


def main() -> None:
    Path(sys.argv[1]).write_text(json.dumps(measure(), indent=2))


if __name__ == "__main__":
    main()
