"""One cold start, inside a fresh interpreter: `python -m bench.coldchild <scenario.json> <out.json>`.

Imports at the top are only what Lambda's runtime has loaded before it imports a handler, so the clock sees the
handler's own imports. The order is: time the handler import; then (not timed) start moto and create what the
first event needs with a boto3 session of its own, so none of the handler's clients are warmed; then time the
first event. The floor scenario times `import boto3` and one DynamoDB client, and nothing else.
"""

from __future__ import annotations

import gc
import importlib.util
import json  # the runtime's bootstrap has imported json before any handler
import sys
import time
from typing import Any


def _load_handler(path: str, name: str) -> object:
    """As devtools/lambdas.py (and Lambda) do: `app.py` imported from the function's folder."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _floor() -> dict[str, Any]:
    started = time.perf_counter()
    import boto3

    boto3.client("dynamodb")
    return {"floor_ms": (time.perf_counter() - started) * 1000}


def _handler(scenario_path: str, import_only: bool) -> dict[str, Any]:
    with open(scenario_path, encoding="utf-8") as stream:
        scenario = json.load(stream)
    started = time.perf_counter()
    module = _load_handler(scenario["app_path"], scenario["module_name"])
    imported = time.perf_counter()
    if import_only:
        return {"import_ms": (imported - started) * 1000}
    if "--compile-cost" in sys.argv:
        return _compile_cost()
    # The first event triggers one full garbage collection; in this child it would also walk moto's objects. So
    # collections are held off during the event, and one full collection of the handler's own heap, measured here
    # before moto exists, is counted in their place.
    gc.collect()
    heap_gc_ms = (time.perf_counter() - imported) * 1000

    from bench.coldsetup import TIMERS, prepare

    event, context = prepare(scenario)
    if "--profile-first-event" in sys.argv:
        from bench.coldsetup import profiled

        return profiled(lambda: module.lambda_handler(event, context))  # type: ignore[attr-defined]
    gc.disable()
    first = time.perf_counter()
    module.lambda_handler(event, context)  # type: ignore[attr-defined]
    done = time.perf_counter()
    gc.enable()
    return {"import_ms": (imported - started) * 1000, "first_event_ms": (done - first) * 1000,
            "heap_gc_ms": heap_gc_ms, **TIMERS}


def _compile_cost() -> dict[str, Any]:
    """What compiling the imported layer modules from source costs: Lambda's /opt is read-only, so a layer that
    ships no bytecode is compiled again on every cold start (the runtime's own boto3 ships compiled)."""
    from bench.layer import layer_packages

    layer = layer_packages()
    modules, total = 0, 0.0
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or not path.endswith(".py") or name.split(".")[0] not in layer:
            continue
        with open(path, "rb") as stream:
            source = stream.read()
        began = time.perf_counter()
        compile(source, path, "exec")
        total += time.perf_counter() - began
        modules += 1
    return {"layer_modules": modules, "compile_ms": total * 1000}


def main() -> None:
    scenario_path, out_path = sys.argv[1], sys.argv[2]
    import_only = "--import-only" in sys.argv
    result = _floor() if scenario_path == "floor" else _handler(scenario_path, import_only)
    with open(out_path, "w", encoding="utf-8") as stream:
        json.dump(result, stream)


if __name__ == "__main__":
    main()
