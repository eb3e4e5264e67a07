"""The functions as the Lambda runtime would call them: handler modules loaded from their code folders."""

from __future__ import annotations

import importlib.util
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from devtools.environment import REGION

ROOT = Path(__file__).resolve().parents[1]


def load_handler_module(code_dir: str) -> ModuleType:
    """Import `<code_dir>/app.py` under a name of its own, as Lambda imports `app` from the function's folder."""
    path = ROOT / code_dir / "app.py"
    name = "leadwire_function_" + Path(code_dir).name
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Context:
    """The parts of LambdaContext that Powertools and our handlers read."""

    function_name: str
    timeout_s: float
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


@dataclass
class Function:
    name: str
    code_dir: str
    timeout_s: float
    memory_mb: int
    module: ModuleType | None = None
    invocations: int = 0
    # One execution environment takes one event at a time, as Lambda's do: the handler's module state (Powertools'
    # resolver keeps the current request on the router) is not shared between requests served by the same process.
    busy: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def warm(self) -> None:
        """Import the handler now, as a warm Lambda container has (cold starts are measured by `make bench`)."""
        if self.module is None:
            self.module = load_handler_module(self.code_dir)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.busy:
            self.warm()
            self.invocations += 1
            context = Context(self.name, self.timeout_s, self.memory_mb)
            return self.module.lambda_handler(event, context)
