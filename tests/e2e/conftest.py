"""The local stack as a user starts it (`python -m local_stack`), on a free port, one per test module."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"leadwire local stack at (http://\S+) \(API key: (\S+)\)")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RunningStack:
    url: str
    api_key: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, json_body: Any = None, headers: dict[str, str] | None = None,
                data: bytes | None = None, auth: bool = True, timeout_s: float = 30) -> Answer:
        sent = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent.setdefault("content-type", "application/json")
        if auth:
            sent.setdefault("authorization", f"Bearer {self.api_key}")
        request = Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urlopen(request, timeout=timeout_s) as response:
                return Answer(response.status, dict(response.headers.items()), response.read())
        except HTTPError as error:
            return Answer(error.code, dict(error.headers.items()), error.read())

    def drain(self) -> None:
        # Draining hundreds of leads through moto takes a while on a busy machine; it is not a measure of speed.
        self.request("POST", "/_local/drain", timeout_s=180)

    def sweep(self, at: str) -> dict[str, Any]:
        return self.request("POST", "/_local/sweep", {"at": at}, timeout_s=180).json()

    def outbox(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_local/outbox").json()

    def events(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_local/events").json()

    def wait_for(self, check: Any, timeout: float = 5.0, every: float = 0.05) -> Any:
        """Poll until `check()` gives something truthy; the last value when time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(every)


def start_stack(extra_env: dict[str, str] | None = None) -> RunningStack:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    process = subprocess.Popen([sys.executable, "-m", "local_stack", "--port", "0", "--no-schedule"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = READY.search(line)
        if found:
            running = RunningStack(found.group(1), found.group(2), process, seen)
            # Keep reading what the stack prints, so its pipe never fills and tests can inspect its logs.
            threading.Thread(target=lambda: seen.extend(iter(process.stdout.readline, "")), daemon=True).start()
            return running
    process.kill()
    raise RuntimeError("local stack did not start:\n" + "".join(seen))


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {}


@pytest.fixture(scope="module")
def stack(stack_env: dict[str, str]) -> Iterator[RunningStack]:
    running = start_stack(stack_env)
    yield running
    running.process.terminate()
    try:
        running.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        running.process.kill()
