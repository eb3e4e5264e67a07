"""DynamoDB stream → imported lists: each chunk of rows written pending goes through intake and is counted once."""

import gc

gc.disable()  # importing leaves nothing to collect: collections while it runs cost 5-12% of a cold start

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.intake import imports
from leadwire.runtime import services
from leadwire.runtime.entry import lambda_entry
from leadwire.runtime.stream import Record, each_record, import_chunk_of, record_time
from leadwire.store.table import Store


def import_batch(event: dict[str, Any], context: LambdaContext, store: Store | None = None) -> dict[str, Any]:
    store = store or services.store()

    def take(record: Record) -> None:
        imports.process_chunk(store, *import_chunk_of(record), record_time(record))

    return each_record(event, take)


lambda_handler = lambda_entry(import_batch)  # the logger and metrics around it

services.prime("table", "models", "forms")  # on Lambda only: the init phase has a full vCPU

gc.freeze()  # everything imported above lives as long as the container: keep it out of every collection
gc.enable()
