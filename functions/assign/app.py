"""DynamoDB stream → assignment: each scored lead without an owner gets exactly one, who is told once."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.outbound.notify import Notifier
from leadwire.routing.assignment import Assigner
from leadwire.runtime import services
from leadwire.runtime.entry import lambda_entry
from leadwire.runtime.stream import each_record, lead_id_of, record_time
from leadwire.store.table import Store


def assign_batch(event: dict[str, Any], context: LambdaContext, store: Store | None = None,
                 notifier: Notifier | None = None, base_url: str | None = None) -> dict[str, Any]:
    # One Assigner per batch: it reads the config once, so every record in it is routed by the same rules.
    table = store or services.store()
    links = services.rep_links(base_url, table)
    assigner = Assigner(table, notifier or services.notifier(), links.base_url, links=links)
    return each_record(event, lambda record: assigner.assign(lead_id_of(record), record_time(record)))


lambda_handler = lambda_entry(assign_batch)  # the logger and metrics around it

services.prime("table", "email", "events", "models", "templates")  # on Lambda only: the init phase has a full vCPU

gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
