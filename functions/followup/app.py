"""EventBridge Scheduler → the follow-up sweep, as of the schedule's own time (replayable)."""

from __future__ import annotations

import gc
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.followup.sweep import run_sweep
from leadwire.runtime import services

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = run_sweep(event["time"], services.store(), services.notifier(), services.settings(),
                       context.get_remaining_time_in_millis)
    logger.info("sweep done", extra=report)
    return report


# Everything imported above lives as long as the container: keep it out of the first collections.
gc.freeze()
