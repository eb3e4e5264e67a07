"""DynamoDB stream → one attempt of each delivery that asks for one (a signed webhook or a Slack message)."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.outbound.dispatch import Dispatcher
from leadwire.runtime import services
from leadwire.runtime.entry import lambda_entry
from leadwire.runtime.stream import Record, each_record, keys_of


def deliver_batch(event: dict[str, Any], context: LambdaContext, dispatcher: Dispatcher | None = None
                  ) -> dict[str, Any]:
    chosen = dispatcher or Dispatcher(services.store(), services.rep_links(),
                                      allow_local=services.settings().allow_local_receivers)

    def deliver(record: Record) -> None:
        chosen.attempt(keys_of(record))

    return each_record(event, deliver)


lambda_handler = lambda_entry(deliver_batch)  # the logger and metrics around it

services.prime("table")  # on Lambda only: the init phase has a full vCPU

gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
