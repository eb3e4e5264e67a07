"""Cold starts of this checkout against another, side by side in one run: `python -m bench.compare OTHER [--rounds N]
[function ...]`, OTHER being another checkout of leadwire (for example `git worktree add /tmp/base b8f1f9b`).

Each round runs every function's cold start once from each checkout, in turn, so both see the same machine: a fresh
`bench.coldchild` process imports that checkout's handler and serves the first event this checkout's pipeline
captured, against moto, whose time is left out (as `make bench` does). The medians and their ratio are printed. An
older checkout gets this checkout's events and table: a function whose code has changed what it reads may do
different work there, so compare functions whose first event means the same in both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.coldstart import capture_scenarios, child_env, run_child
from bench.layer import ROOT
from bench.progress import say


def cold_ms(result: dict[str, float]) -> tuple[float, float, float]:
    """(total, import, first event) of one cold start, moto's time left out of the first event."""
    first_event = result["first_event_ms"] - result.get("aws_wait_ms", 0.0)
    return result["import_ms"] + first_event, result["import_ms"], first_event


def summary(runs: dict[str, list[tuple[float, float, float]]]) -> dict[str, Any]:
    """Medians per checkout (`this`, `other`) and the ratio this / other of the totals."""
    medians = {side: [statistics.median(run[part] for run in sides) for part in range(3)]
               for side, sides in runs.items()}
    return {"this_ms": medians["this"], "other_ms": medians["other"],
            "ratio": round(medians["this"][0] / medians["other"][0], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("other", type=Path, help="another checkout of leadwire")
    parser.add_argument("functions", nargs="*", help="intake, score, assign, followup (default: all)")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    other = args.other.resolve()
    if not (other / "functions").is_dir() or not (other / "layers" / "common").is_dir():
        raise SystemExit(f"bench.compare: {other} is not a checkout of leadwire (no functions/ and layers/common/)")
    folder = Path(tempfile.mkdtemp(prefix="leadwire-compare-"))
    say("compare: capturing each function's first event from a pipeline run of this checkout")
    scenarios = {name: path for name, path in capture_scenarios(folder).items()
                 if not args.functions or name in args.functions}
    specs = {}
    for name, path in scenarios.items():
        scenario = json.loads(path.read_text())
        for side, root in (("this", ROOT), ("other", other)):
            spec = folder / f"{name}-{side}.json"
            spec.write_text(json.dumps({**scenario, "app_path": scenario["app_path"].replace(str(ROOT), str(root))}))
            env = {**child_env(), "PYTHONPATH": os.pathsep.join([str(root / "layers" / "common"), str(ROOT)])}
            specs[(name, side)] = (spec, env)
    runs: dict[str, dict[str, list[tuple[float, float, float]]]] = {name: {"this": [], "other": []}
                                                                     for name in scenarios}
    for round_number in range(1, args.rounds + 1):
        for (name, side), (spec, env) in specs.items():
            runs[name][side].append(cold_ms(run_child(str(spec), env)))
        say(f"compare: round {round_number}/{args.rounds}")
    print(f"cold start, import + first event, median of {args.rounds} interleaved: this checkout / {other}")
    for name, sides in runs.items():
        found = summary(sides)
        (total, imported, first), (other_total, other_imported, other_first) = found["this_ms"], found["other_ms"]
        print(f"  {name:9} {total:6.0f} / {other_total:6.0f} ms  ratio {found['ratio']:.3f}   "
              f"(import {imported:.0f} / {other_imported:.0f}, first event {first:.0f} / {other_first:.0f})")


if __name__ == "__main__":
    main()
