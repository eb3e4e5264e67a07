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
from bench.imports import ImportNode, blame, by_package, parse, slowest_modules, top_imports
from bench.leads import TEAM, website_lead
from bench.progress import say

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.3  # issue 17: every function at most 1.3 times its floor (here and as Lambda runs it)
IMPORTTIME_RUNS = 3


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
        if spec.logical_id not in captured:  # the outbound deliveries: only with a receiver subscribed
            say(f"cold start: {spec.logical_id} has no event in a lead's way to its owner: not measured")
            continue
        scenario = {"function": spec.logical_id, "app_path": str(ROOT / spec.code_dir / "app.py"),
                    "module_name": f"leadwire_function_{Path(spec.code_dir).name}", "timeout_s": spec.timeout_s,
                    "memory_mb": spec.memory_mb, "table": table, "secret": SECRET_VALUES,
                    "secret_variables": secret_variables(spec.environment), **captured[spec.logical_id]}
        path = folder / f"{short_name(spec.logical_id)}.json"
        path.write_text(json.dumps(scenario, default=str))
        paths[short_name(spec.logical_id)] = path
    return paths


def secret_variables(environment: dict[str, Any]) -> list[str]:
    """The secret ARN variable when the template gives a function one (intake and follow-up): its cold start reads
    the secret, the others' none."""
    from leadwire.runtime.settings import SECRET_ARN_VARIABLE

    return [SECRET_ARN_VARIABLE] if SECRET_ARN_VARIABLE in environment else []


def child_env() -> dict[str, str]:
    """What a Lambda function's process has: the deployed settings, fake credentials, the layer on the path."""
    from devtools.environment import LOCAL_ENV

    keep = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")}
    env = {**keep, **LOCAL_ENV, **DEPLOYED_ENV}
    for name in secret_variables(env):
        env.pop(name)
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


def import_tree(scenario: str, env: dict[str, str]) -> list[ImportNode]:
    """The handler's (or the floor's) imports under `-X importtime` (own run: importtime slows imports down)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bench.coldchild", scenario, out.name,
                               "--import-only"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"importtime run for {scenario} failed:\n{done.stderr[-3000:]}")
    roots = parse(done.stderr)
    names = [root.name for root in roots]
    # `-m bench.coldchild` imports the `bench` package, then runs the child (not an import): what follows is the
    # child's own few imports and then the handler's.
    return roots[names.index("bench") + 1:] if "bench" in names else roots


def _median_by_package(trees: list[list[ImportNode]]) -> dict[str, float]:
    """Milliseconds per package, the median over several importtime runs (one run is noisy)."""
    runs = [dict(by_package(roots, count=10_000)) for roots in trees]
    packages = {package for run in runs for package in run}
    return {package: round(statistics.median(run.get(package, 0.0) for run in runs), 1) for package in packages}


def import_profile(trees: list[list[ImportNode]], floor_trees: list[list[ImportNode]]) -> dict[str, Any]:
    """Top imports, time per package, and what the handler imports beyond the floor, with who pulls it in."""
    roots = trees[0]
    packages = _median_by_package(trees)
    in_floor = _median_by_package(floor_trees)
    beyond = [(package, round(ms - in_floor.get(package, 0.0), 1)) for package, ms in packages.items()]
    beyond = sorted((pair for pair in beyond if pair[1] >= 1.0), key=lambda pair: -pair[1])[:10]
    chains = {entry["package"]: entry["pulled_in_by"] for entry in blame(roots, [package for package, _ in beyond])}
    return {"top_imports_ms": top_imports(roots),
            "by_package_ms": sorted(packages.items(), key=lambda pair: -pair[1])[:10],
            "beyond_floor": [{"package": package, "ms": ms, "pulled_in_by": chains[package]} for package, ms in beyond],
            "slowest_leadwire_modules_ms": slowest_modules(roots, "leadwire")}


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
                + ", ".join(f"{name} {cold_ms(samples[name][-1]):.0f} ms" for name in scenarios) + ")")
        say("cold start: python -X importtime per handler and for the floor")
        floor_trees = [import_tree("floor", env) for _ in range(IMPORTTIME_RUNS)]
        profiles = {name: import_profile([import_tree(str(path), env) for _ in range(IMPORTTIME_RUNS)], floor_trees)
                    for name, path in scenarios.items()}
        say("cold start: what compiling the layer's modules from source costs (Lambda cannot cache bytecode in /opt)")
        compile_costs = {name: run_child(str(path), env, "--compile-cost") for name, path in scenarios.items()}
    floor_ms = statistics.median(floors)
    result = {name: {**summarise_runs(runs_of, floor_ms),
                     "layer_compile_ms": round(compile_costs[name]["compile_ms"], 1),
                     "layer_modules_imported": int(compile_costs[name]["layer_modules"])}
              for name, runs_of in samples.items()}
    return {"coldstart": result, "coldstart_floor_runs_ms": [round(floor, 1) for floor in floors],
            "coldstart_imports": profiles}


def cold_ms(run: dict[str, float]) -> float:
    """Import, first event without the time moto spent answering (AWS's time, as in the warm figures), and one full
    garbage collection of the handler's heap (every child run saw one during its first event)."""
    return run["import_ms"] + run["first_event_ms"] - run["moto_ms"] + run["heap_gc_ms"]


def summarise_runs(runs_of: list[dict[str, float]], floor_ms: float) -> dict[str, Any]:
    def median(name: str) -> float:
        return round(statistics.median(run[name] for run in runs_of), 1)

    totals = [cold_ms(run) for run in runs_of]
    ms = statistics.median(totals)
    first_event = statistics.median(run["first_event_ms"] - run["moto_ms"] + run["heap_gc_ms"] for run in runs_of)
    return {
        "ms": round(ms, 1), "floor_ms": round(floor_ms, 1), "ratio": round(ms / floor_ms, 2),
        "import_ms": median("import_ms"), "first_event_ms": round(first_event, 1),
        "first_event_split_ms": {
            "boto3_clients": median("clients_ms"),
            "botocore_calls": round(statistics.median(run["calls_ms"] - run["moto_ms"] for run in runs_of), 1),
            "ours": round(statistics.median(run["first_event_ms"] - run["clients_ms"] - run["calls_ms"]
                                            for run in runs_of), 1),
            "garbage_collection": median("heap_gc_ms"),
            "moto_not_counted": median("moto_ms")},
        "clients_created": int(median("clients")), "aws_calls": int(median("calls")),
        "runs_ms": [round(total, 1) for total in totals],
        "goal_ratio": GOAL_RATIO, "goal_met": ms / floor_ms <= GOAL_RATIO,
    }


def main() -> None:
    out = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    out.write_text(json.dumps(measure(runs), indent=2))


if __name__ == "__main__":
    main()
