"""One cold start as Lambda's Python 3.13 runs it: `python3.13 -I -B bench/runtimechild.py <spec.json> <out.json>`.

This file runs alone, outside the project: `-I` puts neither its folder nor any PYTHON* variable on the path, and
`-B` writes no bytecode (Lambda's /opt is read-only). It builds sys.path as the runtime's bootstrap does (the
function's folder, the layer's python/, then the runtime's own boto3) and imports only what the bootstrap has
imported before the handler. It times the handler import, then its first event, which talks to a moto server
(AWS_ENDPOINT_URL); the time spent waiting on that server (AWS's time, as in the in-process figures) is timed on
its own and left out. The floor spec times `import boto3` and one DynamoDB client, and nothing else. Each is also
timed in CPU time (this process only: the moto server runs elsewhere), which other work on a shared machine
disturbs far less.
"""

import json  # the runtime's bootstrap has imported json before any handler
import sys
import time

FLAGS = sys.argv[3:]


class Context:
    """The parts of LambdaContext that Powertools and the handlers read."""

    def __init__(self, function_name: str, timeout_s: float, memory_mb: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = "0f3c9a52-8a53-4f7e-9a34-7d4f3c2b1a00"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "runtime-rehearsal"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _floor() -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    import boto3

    boto3.client("dynamodb")
    return {"floor_ms": (time.perf_counter() - started) * 1000, "floor_cpu_ms": (time.process_time() - cpu) * 1000}


def _time_aws_waits() -> dict[str, float]:
    """Wall time inside botocore's HTTP send (the moto server answering), installed after the handler import."""
    import botocore.endpoint

    waits = {"aws_wait_ms": 0.0, "aws_calls": 0}
    send = botocore.endpoint.Endpoint._send

    def timed(self: object, request: object) -> object:
        started = time.perf_counter()
        try:
            return send(self, request)
        finally:
            waits["aws_wait_ms"] += (time.perf_counter() - started) * 1000
            waits["aws_calls"] += 1

    botocore.endpoint.Endpoint._send = timed
    return waits


def _handler(spec: dict) -> dict[str, float]:
    import importlib.util

    started, cpu = time.perf_counter(), time.process_time()
    loaded = importlib.util.spec_from_file_location(spec["module_name"], spec["app_path"])
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    imported, imported_cpu = time.perf_counter(), time.process_time()
    if "--import-only" in FLAGS:
        return {"import_ms": (imported - started) * 1000}
    already = "botocore.endpoint" in sys.modules  # imported by the handler, or only now by the timer (not timed)
    waits = _time_aws_waits()
    context = Context(spec["function"], float(spec["timeout_s"]), int(spec["memory_mb"]))
    first, first_cpu = time.perf_counter(), time.process_time()
    module.lambda_handler(spec["event"], context)
    done, done_cpu = time.perf_counter(), time.process_time()
    return {"import_ms": (imported - started) * 1000, "first_event_ms": (done - first) * 1000,
            "cpu_ms": (imported_cpu - cpu + done_cpu - first_cpu) * 1000,
            "botocore_imported_by_handler": float(already), **waits}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as stream:
        spec = json.load(stream)
    sys.path[:0] = spec["sys_path"]
    result = _floor() if spec.get("floor") else _handler(spec)
    result["python"] = float(sys.version_info[0] * 100 + sys.version_info[1])
    result["dont_write_bytecode"] = float(sys.dont_write_bytecode)
    with open(sys.argv[2], "w", encoding="utf-8") as stream:
        json.dump(result, stream)


if __name__ == "__main__":
    main()
