"""What every handler wraps its delegate in: Powertools' logger (the request id and whether the start was cold on
every line, nothing of one invocation kept for the next) and the custom metrics (flushed once per invocation, when
they are on)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.runtime import metrics

Handler = Callable[[dict[str, Any], LambdaContext], Any]
# What Powertools adds from the context that the log group (one per function) and Lambda's REPORT line say already:
# 150 bytes of every line, and CloudWatch Logs bills each byte.
SAID_ELSEWHERE = ["function_name", "function_arn", "function_memory_size"]


def lambda_entry(delegate: Handler, correlation_id_path: str | None = None) -> Handler:
    """The function Lambda calls: `delegate` with the logger and metrics around it."""
    logger = Logger()

    @metrics.flushed
    @logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
        logger.remove_keys(SAID_ELSEWHERE)
        return delegate(event, context)

    return lambda_handler
