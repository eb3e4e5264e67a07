"""EventBridge Scheduler → the follow-up sweep, as of the schedule's own time (replayable)."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.followup.sweep import run_sweep
from leadwire.outbound.notify import Notifier
from leadwire.runtime import services
from leadwire.runtime.entry import lambda_entry
from leadwire.runtime.settings import Settings
from leadwire.store.table import Store

logger = Logger(child=True)


def sweep(event: dict[str, Any], context: LambdaContext, store: Store | None = None,
          notifier: Notifier | None = None, settings: Settings | None = None) -> dict[str, Any]:
    report = run_sweep(event["time"], store or services.store(), notifier or services.notifier(),
                       settings or services.settings(), context.get_remaining_time_in_millis)
    logger.info("sweep done", extra=report)
    return report


lambda_handler = lambda_entry(sweep)  # the logger and metrics around it

services.prime("table", "email", "events", "models", "templates")  # on Lambda only: the init phase has a full vCPU

gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
