"""DynamoDB stream → scoring: each lead whose score inputs changed gets its score, stage and reasons."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Notifier
from leadwire.runtime import services
from leadwire.runtime.entry import lambda_entry
from leadwire.runtime.stream import Record, each_record, lead_id_of, record_time
from leadwire.scoring import rescore
from leadwire.store.config import load_config
from leadwire.store.table import Store


def score_batch(event: dict[str, Any], context: LambdaContext, store: Store | None = None,
                notifier: Notifier | None = None) -> dict[str, Any]:
    store, notifier = store or services.store(), notifier or services.notifier()
    versioned = load_config(store)  # one config read per batch: every record in it is scored by the same rules
    delivery = Delivery(store, notifier)  # and one read of the subscriptions its events fan out to

    def score(record: Record) -> None:
        rescore.rescore(lead_id_of(record), store, notifier, record_time(record), versioned, delivery)

    return each_record(event, score)


lambda_handler = lambda_entry(score_batch)  # the logger and metrics around it

services.prime("table", "events", "models")  # on Lambda only: the init phase has a full vCPU

gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
