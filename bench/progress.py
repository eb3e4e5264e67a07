"""Progress lines while the benchmark runs, on stderr so results on stdout stay clean, with the elapsed time."""

from __future__ import annotations

import os
import sys
import time

# Steps run as child processes; they inherit the start time so every line shows time since `python -m bench` began.
_STARTED = float(os.environ.setdefault("LEADWIRE_BENCH_STARTED", str(time.time())))


def say(message: str) -> None:
    print(f"[{time.time() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)
