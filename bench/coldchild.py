"""One cold start, inside a fresh interpreter: `python -m bench.coldchild <scenario.json> <out.json>`.

Imports at the top are only what Lambda's runtime has loaded before it imports a handler, so the clock sees the
handler's own imports. The order is: time the handler import; then (not timed) start moto and create what the
first event needs with a boto3 session of its own, so none of the handler's clients are warmed; then time the
first event. The floor scenario times `import boto3` and one DynamoDB client, and nothing else.
"""

from __future__ import annotations

import importlib.util
import json  # the runtime's bootstrap has imported json before any handler
import sys
import time


def _load_handler(path: str, name: str) -> object:
    """As local_stack/lambdas.py (and Lambda) do: `app.py` imported from the function's folder."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _floor() -> dict[str, float]:
    started = time.perf_counter()
    import boto3

    boto3.client("dynamodb")
    return {"floor_ms": (time.perf_counter() - started) * 1000}


def _handler(scenario_path: str, import_only: bool) -> dict[str, float]:
    with open(scenario_path, encoding="utf-8") as stream:
        scenario = json.load(stream)
    started = time.perf_counter()
    module = _load_handler(scenario["app_path"], scenario["module_name"])
    imported = time.perf_counter()
    if import_only:
        return {"import_ms": (imported - started) * 1000}

    from bench.coldsetup import prepare

    event, context = prepare(scenario)
    first = time.perf_counter()
    module.lambda_handler(event, context)  # type: ignore[attr-defined]
    done = time.perf_counter()
    return {"import_ms": (imported - started) * 1000, "first_event_ms": (done - first) * 1000,
            "modules_before_first_event": float(len(sys.modules))}


def main() -> None:
    scenario_path, out_path = sys.argv[1], sys.argv[2]
    import_only = "--import-only" in sys.argv
    result = _floor() if scenario_path == "floor" else _handler(scenario_path, import_only)
    with open(out_path, "w", encoding="utf-8") as stream:
        json.dump(result, stream)


if __name__ == "__main__":
    main()
