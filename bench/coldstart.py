"""Cold starts: each function's import and first event in a fresh interpreter, beside the floor, in one run.

The floor is a fresh interpreter importing boto3 and creating one DynamoDB client. Runs are interleaved (floor,
intake, score, assign, followup, floor, ...) so a noisy moment hits all of them alike; each figure is a median.
The first events are the ones each function really got in a run of the pipeline, captured with the table as it was
just before. `python -X importtime` then shows what each handler's imports cost and which import pulled them in.
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.harness import DEPLOYED_ENV, SECRET_VALUES, Harness, Invoke
from bench.imports import blame, by_package, parse, top_imports
from bench.leads import TEAM, website_lead
from bench.progress import say

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.5
# Packages worth naming when a handler is over the goal (boto3 and botocore are in the floor too).
SUSPECTS = ["aws_xray_sdk", "email_validator", "dns", "aws_lambda_powertools", "pydantic", "pydantic_core",
            "pydantic_settings", "phonenumbers", "zoneinfo", "urllib", "http", "email", "yaml", "jmespath", "leadwire"]


def short_name(function_id: str) -> str:
    return function_id.removesuffix("Function").lower()


def capture_scenarios(folder: Path) -> dict[str, Path]:
    """One scenario file per function: its first event in a pipeline run and the table just before it."""
    harness = Harness().start()
    captured: dict[str, dict[str, Any]] = {}

    def snapshot(function_id: str, event: dict[str, Any], invoke: Invoke) -> Any:
        if function_id not in captured:
            captured[function_id] = {"event": copy.deepcopy(event), "items": harness.table_items()}
        return invoke()

    for rep_id, rep in TEAM.items():
        harness.api("PUT", f"/reps/{rep_id}", rep, auth=True)
    harness.middlewares.append(snapshot)
    status, answer = harness.api("POST", "/leads", website_lead(0, run="cold"))
    if status != 201:
        raise RuntimeError(f"the cold-start lead was not accepted: {status} {answer}")
    harness.drain()
    created = max(item["created_at"]["S"] for item in harness.table_items() if item["sk"]["S"] == "LEAD")
    from leadwire.clock import parse_iso

    harness.sweep(parse_iso(created) + timedelta(minutes=16))  # the owner's reminder and the SLA breach are due
    harness.stop()
    table = harness.template.table_create_kwargs(os.environ["TABLE_NAME"])
    paths = {}
    for spec in harness.template.functions().values():
        if spec.logical_id not in captured:
            raise RuntimeError(f"{spec.logical_id} was never invoked while capturing cold-start events")
        scenario = {"function": spec.logical_id, "app_path": str(ROOT / spec.code_dir / "app.py"),
                    "module_name": f"leadwire_function_{Path(spec.code_dir).name}", "timeout_s": spec.timeout_s,
                    "memory_mb": spec.memory_mb, "table": table, "secret": SECRET_VALUES,
                    **captured[spec.logical_id]}
        path = folder / f"{short_name(spec.logical_id)}.json"
        path.write_text(json.dumps(scenario, default=str))
        paths[short_name(spec.logical_id)] = path
    return paths


def child_env() -> dict[str, str]:
    """What a Lambda function's process has: the deployed settings, fake credentials, the layer on the path."""
    from local_stack.stack import LOCAL_ENV

    keep = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = {**keep, **LOCAL_ENV, **DEPLOYED_ENV}
    env.pop("LEADWIRE_SECRET_ARN", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])
    return env


def run_child(scenario: str, env: dict[str, str], *flags: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    try:
        done = subprocess.run([sys.executable, "-m", "bench.coldchild", scenario, out_path, *flags], env=env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"cold-start child for {scenario} failed:\n{done.stderr[-3000:]}")
        result: dict[str, float] = json.loads(Path(out_path).read_text())
        return result
    finally:
        Path(out_path).unlink(missing_ok=True)


def import_profile(scenario: str, env: dict[str, str]) -> dict[str, Any]:
    """The handler's import under `-X importtime` (its own run: importtime slows imports down)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bench.coldchild", scenario, out.name,
                               "--import-only"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"importtime run for {scenario} failed:\n{done.stderr[-3000:]}")
    roots = parse(done.stderr)
    names = [root.name for root in roots]
    handler_roots = roots[names.index("bench.coldchild") + 1:] if "bench.coldchild" in names else roots
    return {"top_imports_ms": top_imports(handler_roots), "by_package_ms": by_package(handler_roots),
            "suspects": blame(handler_roots, SUSPECTS)}


def measure(runs: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="leadwire-cold-") as folder:
        say("cold start: capturing each function's first event from a pipeline run")
        scenarios = capture_scenarios(Path(folder))
        env = child_env()
        floors: list[float] = []
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
        for round_number in range(1, runs + 1):
            floors.append(run_child("floor", env)["floor_ms"])
            for name, path in scenarios.items():
                samples[name].append(run_child(str(path), env))
            say(f"cold start: round {round_number}/{runs} (floor {floors[-1]:.0f} ms, "
                + ", ".join(f"{name} {sum(samples[name][-1][k] for k in ('import_ms', 'first_event_ms')):.0f} ms"
                            for name in scenarios) + ")")
        say("cold start: python -X importtime per handler")
        profiles = {name: import_profile(str(path), env) for name, path in scenarios.items()}
    floor_ms = statistics.median(floors)
    result: dict[str, Any] = {}
    for name, runs_of in samples.items():
        totals = [run["import_ms"] + run["first_event_ms"] for run in runs_of]
        ms = statistics.median(totals)
        result[name] = {
            "ms": round(ms, 1), "floor_ms": round(floor_ms, 1), "ratio": round(ms / floor_ms, 2),
            "import_ms": round(statistics.median(run["import_ms"] for run in runs_of), 1),
            "first_event_ms": round(statistics.median(run["first_event_ms"] for run in runs_of), 1),
            "runs_ms": [round(total, 1) for total in totals],
            "goal_met": ms / floor_ms <= GOAL_RATIO,
        }
    return {"coldstart": result, "coldstart_floor_runs_ms": [round(floor, 1) for floor in floors],
            "coldstart_imports": profiles}


def main() -> None:
    out = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    out.write_text(json.dumps(measure(runs), indent=2))


if __name__ == "__main__":
    main()
