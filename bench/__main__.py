"""`python -m bench` (`make bench`): every measurement, one table on stdout, the figures in bench/results/latest.json.

Each measurement runs in a process of its own (fresh moto, fresh environment) and hands back a JSON file; progress
lines go to stderr as it runs. Cold starts come first, while the machine is quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import layer, machine
from bench.progress import say
from bench.report import render
from bench.summary import summarise

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
STEPS = ("coldruntime", "coldstart", "warm", "usage", "pipeline")
# moto needs these; Powertools' "no metrics to publish" warnings would only clutter the progress lines.
STEP_ENV = {"AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONWARNINGS": "ignore::UserWarning"}


def run_step(step: str, *arguments: str) -> dict[str, Any]:
    """`python -m bench.<step> <out.json>`; what the functions print is dropped, errors show on stderr."""
    out = RESULTS / f"{step}.json"
    out.unlink(missing_ok=True)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", f"bench.{step}", str(out), *arguments], cwd=ROOT,
                          env={**os.environ, **STEP_ENV}, stdout=subprocess.DEVNULL)
    if done.returncode != 0 or not out.is_file():
        raise SystemExit(f"bench: the {step} step failed (exit {done.returncode}); see the error above")
    say(f"{step}: done in {time.monotonic() - started:.0f} s")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="cold starts per function (median; default 7)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure nothing: summarise the step files a previous run left in bench/results")
    args = parser.parse_args()
    started = time.time()
    RESULTS.mkdir(parents=True, exist_ok=True)
    about = machine.describe()
    say(f"leadwire bench on {about['cpu']} ({about['cores']} cores), Python {about['python']}")
    say("layer: measuring the built CommonLayer")
    results: dict[str, Any] = {"layer": layer.measure()}
    for step in STEPS:
        if args.reuse:
            results.update(json.loads((RESULTS / f"{step}.json").read_text()))
            continue
        say(f"{step}: starting")
        results.update(run_step(step, *([str(args.runs)] if step.startswith("cold") else [])))
    from devtools.template import load_template

    final = {"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "runtime_s": 0.0, "machine": about,
             **summarise(results, load_template())}
    final["runtime_s"] = round(time.time() - started, 1)
    latest = RESULTS / "latest.json"
    latest.write_text(json.dumps(final, indent=2))
    print(render(final))
    print(f"\nfigures: {latest.relative_to(ROOT)}  (ran {final['runtime_s']:.0f} s)")


if __name__ == "__main__":
    main()
