"""Cold starts rehearsed as Lambda runs them: Python 3.13, `-I -B`, the layer `sam build` made on a read-only path.

Each run is a fresh `python3.13 -I -B bench/runtimechild.py` whose sys.path is the function's folder, the layer's
python/ and a boto3 of its own (the runtime ships boto3; here it is pip-installed once for Python 3.13, compiled,
into bench/results/runtime). It imports the handler and serves the first event the function really got in a
pipeline run, against a moto server reset and seeded with the table as it was just before. The floor is the same
interpreter importing boto3 and creating one DynamoDB client. Runs are interleaved (floor, then each function with
the layer as built, then each with the layer stripped of its bytecode), each figure a median.
Without a Python 3.13 on this machine the step says so and measures nothing.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.coldstart import GOAL_RATIO, capture_scenarios, child_env
from bench.cost import cpu_slowdown
from bench.imports import ImportNode, by_package, parse, top_imports
from bench.layer import ROOT, build, built_layer, bytecode
from bench.progress import say

BEFORE_RUNS = 3  # the layer stripped of its bytecode (the "before" row): fewer rounds, it only shows the gap
IMPORTTIME_RUNS = 1
CHILD = ROOT / "bench" / "runtimechild.py"
RUNTIME_DIR = ROOT / "bench" / "results" / "runtime"
FIND_PYTHON_313 = ROOT / "layers" / "common" / "find-python313.sh"


def find_python313() -> str | None:
    """The Python 3.13 the layer Makefile would compile with (PATH, pyenv, uv), or None."""
    found = subprocess.run(["sh", str(FIND_PYTHON_313)], capture_output=True, text=True, check=False).stdout.strip()
    return found or None


def child_command(python: str, spec: Path, out: Path, importtime: bool = False) -> list[str]:
    """As Lambda starts its runtime: isolated (no PYTHON* variables, no script folder on the path), no .pyc written."""
    return [python, "-I", "-B", *(["-X", "importtime"] if importtime else []), str(CHILD), str(spec), str(out)]


def runtime_sys_path(function_dir: Path, layer_dir: Path, boto3_dir: Path) -> list[str]:
    """Lambda's order: /var/task (the function), /opt/python (the layer), then the runtime's own boto3."""
    return [str(function_dir), str(layer_dir / "python"), str(boto3_dir)]


def runtime_env(base: dict[str, str], endpoint_url: str, secret_arn: str = "",
                secret_variables: Sequence[str] = (), function_name: str = "") -> dict[str, str]:
    """The function's environment, every AWS call sent to the moto server, the secret ARN in the variables the
    template gives this function, and the function's name as Lambda sets it (the handlers build their clients at
    import when it is there: `services.prime`); PYTHON* variables would be ignored anyway."""
    env = {name: value for name, value in base.items() if not name.startswith("PYTHON")}
    named = {"AWS_LAMBDA_FUNCTION_NAME": function_name} if function_name else {}
    return {**env, "AWS_ENDPOINT_URL": endpoint_url, **dict.fromkeys(secret_variables, secret_arn), **named}


def read_only_copy(source: Path, target: Path, keep_bytecode: bool = True) -> Path:
    """A copy of a built folder with every file and folder read-only, as Lambda mounts /opt and /var/task."""
    ignore = None if keep_bytecode else shutil.ignore_patterns("__pycache__")
    shutil.copytree(source, target, ignore=ignore)
    for path in [target, *target.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return target


def writable_again(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def runtime_boto3(python: str) -> Path:
    """boto3 for Python 3.13 in a folder of its own, the version this venv runs, compiled as the runtime ships it."""
    import boto3

    target = RUNTIME_DIR / f"boto3-{boto3.__version__}"
    if not (target / "boto3").is_dir():
        say(f"cold start (runtime): installing boto3 {boto3.__version__} for Python 3.13 into {target}")
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target",
                        str(target), f"boto3=={boto3.__version__}"], check=True, stdout=subprocess.DEVNULL)
    return target


def layer_for_this_machine(target: Path) -> tuple[Path, str]:
    """The layer as sam build makes it; on a machine that is not arm64, the same Makefile target for this machine's
    architecture (the wheels with native code, pydantic-core's, must load here)."""
    arch = platform.machine()
    if arch in ("aarch64", "arm64"):
        return built_layer()
    say(f"cold start (runtime): building the layer for {arch} with layers/common/Makefile (as sam build does)")
    return build(target, f"manylinux2014_{arch}"), \
        f"layers/common/Makefile for manylinux2014_{arch} (sam build's recipe, this machine's wheels)"


def function_dir(code_dir: str, name: str, target: Path) -> Path:
    """The function as `sam build` makes it (its Makefile's `build-<Name>` target: app.py only), built afresh here, so
    a `.aws-sam` left from older code is never what is measured."""
    target.mkdir(parents=True)
    subprocess.run(["make", "-C", str(ROOT / code_dir), f"build-{name}", f"ARTIFACTS_DIR={target}"],
                   check=True, stdout=subprocess.DEVNULL)
    return target


class MotoServer:
    """A moto server on a free port, reset and seeded with each scenario's resources before each run."""

    def start(self) -> MotoServer:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def seed(self, scenario: dict[str, Any]) -> str:
        """Resets moto, creates the table with the scenario's items, SES identity, bus and secret; the secret's ARN."""
        import boto3

        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=30)
        session = boto3.session.Session(region_name="us-east-1")

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=self.url)  # type: ignore[call-overload]

        dynamodb = client("dynamodb")
        dynamodb.create_table(**scenario["table"])
        for item in scenario["items"]:
            dynamodb.put_item(TableName=scenario["table"]["TableName"], Item=item)
        client("ses").verify_email_identity(EmailAddress=os.environ.get("SENDER_EMAIL", "leads@example.com"))
        client("events").create_event_bus(Name=os.environ.get("EVENT_BUS_NAME", "leadwire-local"))
        secret = client("secretsmanager").create_secret(Name="leadwire", SecretString=json.dumps(scenario["secret"]))
        return str(secret["ARN"])

    def stop(self) -> None:
        self.server.stop()


def run(python: str, spec: dict[str, Any], env: dict[str, str], folder: Path, importtime: bool = False) -> Any:
    spec_path, out_path = folder / "spec.json", folder / "out.json"
    spec_path.write_text(json.dumps(spec, default=str))
    out_path.unlink(missing_ok=True)
    done = subprocess.run(child_command(python, spec_path, out_path, importtime), env=env, cwd=folder,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"runtime cold-start child failed:\n{done.stderr[-3000:]}")
    if importtime:
        return parse(done.stderr)
    return json.loads(out_path.read_text())


def cold_ms(result: dict[str, float]) -> float:
    """Import plus first event, without the time the moto server took to answer (AWS's time)."""
    return result["import_ms"] + result["first_event_ms"] - result["aws_wait_ms"]


def summarise(runs_of: list[dict[str, float]], floor_ms: float, floor_cpu_ms: float | None = None
              ) -> dict[str, Any]:
    totals = [cold_ms(run) for run in runs_of]
    ms = statistics.median(totals)
    cpu: dict[str, Any] = {}
    if floor_cpu_ms and all("cpu_ms" in run for run in runs_of):
        cpu_ms = statistics.median(run["cpu_ms"] for run in runs_of)
        cpu = {"cpu_ms": round(cpu_ms, 1), "floor_cpu_ms": round(floor_cpu_ms, 1),
               "cpu_ratio": round(cpu_ms / floor_cpu_ms, 2)}
    return {"ms": round(ms, 1), "floor_ms": round(floor_ms, 1), "ratio": round(ms / floor_ms, 2), **cpu,
            "import_ms": round(statistics.median(run["import_ms"] for run in runs_of), 1),
            "first_event_ms": round(statistics.median(run["first_event_ms"] - run["aws_wait_ms"]
                                                      for run in runs_of), 1),
            "aws_calls": int(statistics.median(run["aws_calls"] for run in runs_of)),
            "runs_ms": [round(total, 1) for total in totals], "goal_ratio": GOAL_RATIO,
            "goal_met": ms / floor_ms <= GOAL_RATIO}


def on_lambda_ms(import_ms: float, first_event_ms: float, memory_mb: int) -> float:
    """The cold start on Lambda, estimated: the import runs in the init phase, which on-demand functions get a full
    vCPU for, and the first event at the memory's share of one (`bench.cost.cpu_slowdown`)."""
    return round(import_ms + first_event_ms * cpu_slowdown(memory_mb), 1)


def _profile(trees: list[list[ImportNode]]) -> dict[str, Any]:
    runs = [dict(by_package(roots, count=10_000)) for roots in trees]
    packages = {package for run in runs for package in run}
    medians = {package: round(statistics.median(run.get(package, 0.0) for run in runs), 1) for package in packages}
    return {"by_package_ms": sorted(medians.items(), key=lambda pair: -pair[1])[:10],
            "top_imports_ms": top_imports(trees[0])}


def measure(runs: int = 7) -> dict[str, Any]:
    python = find_python313()
    if python is None:
        say("cold start (runtime): no Python 3.13 on this machine (PATH, pyenv, uv): not measured")
        return {"coldstart_runtime": {"python": None, "note": "no Python 3.13 found: not measured"}}
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    boto3_dir = runtime_boto3(python)
    folder = Path(tempfile.mkdtemp(prefix="leadwire-runtime-"))
    server = MotoServer().start()
    try:
        layer, origin = layer_for_this_machine(folder / "layer")
        compiled = bytecode(layer / "python")
        say("cold start (runtime): capturing each function's first event from a pipeline run")
        scenarios = {name: json.loads(path.read_text()) for name, path in capture_scenarios(folder).items()}
        layers = {"built": read_only_copy(layer, folder / "opt"),
                  "no_bytecode": read_only_copy(layer, folder / "opt-no-bytecode", keep_bytecode=False)}
        tasks = {name: read_only_copy(function_dir(str(Path(s["app_path"]).parent.relative_to(ROOT)), s["function"],
                                                   folder / f"built-{name}"), folder / f"task-{name}")
                 for name, s in scenarios.items()}
        base = child_env()
        floors: list[float] = []
        floor_cpus: list[float] = []
        samples: dict[str, dict[str, list[dict[str, float]]]] = {kind: {name: [] for name in scenarios}
                                                                  for kind in layers}
        specs = {(kind, name): {"sys_path": runtime_sys_path(tasks[name], layers[kind], boto3_dir),
                                "app_path": str(tasks[name] / "app.py"), "module_name": scenario["module_name"],
                                "event": scenario["event"], "function": scenario["function"],
                                "timeout_s": scenario["timeout_s"], "memory_mb": scenario["memory_mb"]}
                 for kind in layers for name, scenario in scenarios.items()}
        floor_spec = {"floor": True, "sys_path": [str(boto3_dir)]}
        for round_number in range(1, runs + 1):
            floor = run(python, floor_spec, runtime_env(base, server.url), folder)
            floors.append(floor["floor_ms"])
            if "floor_cpu_ms" in floor:
                floor_cpus.append(floor["floor_cpu_ms"])
            for (kind, name), spec in specs.items():
                if kind == "no_bytecode" and round_number > BEFORE_RUNS:
                    continue
                arn = server.seed(scenarios[name])
                env = runtime_env(base, server.url, arn, scenarios[name]["secret_variables"],
                                  scenarios[name]["function"])
                samples[kind][name].append(run(python, spec, env, folder))
            say(f"cold start (runtime): round {round_number}/{runs} (floor {floors[-1]:.0f} ms, "
                + ", ".join(f"{name} {cold_ms(samples['built'][name][-1]):.0f} ms" for name in scenarios) + ")")
        say("cold start (runtime): python3.13 -X importtime per handler")
        imports = {}
        for name in scenarios:
            spec = {**specs[("built", name)]}
            env = runtime_env(base, server.url)
            trees = []
            for _ in range(IMPORTTIME_RUNS):
                out = folder / "importtime.json"
                spec_path = folder / "spec.json"
                spec_path.write_text(json.dumps(spec, default=str))
                done = subprocess.run([*child_command(python, spec_path, out, importtime=True), "--import-only"],
                                      env=env, cwd=folder, capture_output=True, text=True, timeout=180)
                if done.returncode != 0:
                    raise RuntimeError(f"importtime run for {name} failed:\n{done.stderr[-3000:]}")
                roots = parse(done.stderr)
                names = [root.name for root in roots]
                # the child imports importlib.util just before the handler: what follows is the handler's
                trees.append(roots[names.index("importlib.util") + 1:] if "importlib.util" in names else roots)
            imports[name] = _profile(trees)
    finally:
        server.stop()
        writable_again(folder)
        shutil.rmtree(folder, ignore_errors=True)
    floor_ms = statistics.median(floors)
    floor_cpu_ms = statistics.median(floor_cpus) if floor_cpus else None
    functions = {name: {**summarise(samples["built"][name], floor_ms, floor_cpu_ms),
                        "layer_without_bytecode_ms": summarise(samples["no_bytecode"][name], floor_ms)["ms"]}
                 for name in scenarios}
    for name, found in functions.items():
        memory_mb = int(scenarios[name]["memory_mb"])
        found.update(memory_mb=memory_mb,
                     on_lambda_ms=on_lambda_ms(found["import_ms"], found["first_event_ms"], memory_mb))
    return {"coldstart_runtime": {
        "python": f"{version} ({python})", "flags": "-I -B", "layer": origin,
        "layer_bytecode": {"modules": compiled["modules"], "compiled_for_python_313": compiled["compiled_for_313"]},
        "floor_ms": round(floor_ms, 1), "floor_runs_ms": [round(floor, 1) for floor in floors],
        "floor_cpu_ms": round(floor_cpu_ms, 1) if floor_cpu_ms else None,
        "functions": functions, "imports": imports}}


def main() -> None:
    out = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    out.write_text(json.dumps(measure(runs), indent=2))


if __name__ == "__main__":
    main()
