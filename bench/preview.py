"""`python -m bench.preview [N]`: the dry run of a candidate rules document (`POST /config/preview`) over N leads
(500, the most it reads) in DynamoDB on moto, in this process: its DynamoDB requests by operation and the time it
took here (moto's, not AWS's). Prints one table; writes nothing to the repo."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any


def measure(count: int = 500) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from devtools.environment import LOCAL_ENV, REGION
    from devtools.moto_fidelity import serialise_dynamodb
    from devtools.template import load_template

    os.environ.update(LOCAL_ENV)
    serialise_dynamodb()
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            **load_template().table_create_kwargs(LOCAL_ENV["TABLE_NAME"]))
        from leadwire.config import default_config
        from leadwire.intake.dedupe import accept
        from leadwire.lead import LeadInput
        from leadwire.owner import preview
        from leadwire.runtime import services
        from leadwire.store.table import DynamoTable

        services.reset()
        store = services.store()
        start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        for n in range(count):
            accept(LeadInput(source="website", email=f"p{n}@shop{n % 40}.example", company=f"Shop {n % 40}"
                             if n % 3 else None, job_title="Owner" if n % 5 == 0 else None),
                   store, start + timedelta(seconds=n))
        candidate = default_config().model_copy(update={"scoring": default_config().scoring.model_copy(
            update={"mql": 15})})
        assert isinstance(store, DynamoTable)
        calls: Counter[str] = Counter()

        def count_call(model: Any, **_: Any) -> None:
            calls[model.name] += 1

        store.client.meta.events.register("after-call.dynamodb", count_call)
        began = time.perf_counter()
        answer = preview.preview(store, candidate, start + timedelta(hours=1))
        seconds = time.perf_counter() - began
        services.reset()
    return {"leads": answer["compared"], "changed": answer["changed"], "seconds": round(seconds, 2),
            "requests": dict(calls), "total_requests": sum(calls.values())}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    result = measure(count)
    print(f"dry run over {result['leads']} leads ({result['changed']} would change)")
    print(f"  time on moto, in process: {result['seconds']} s")
    print(f"  DynamoDB requests: {result['total_requests']} "
          + ", ".join(f"{name} {n}" for name, n in sorted(result["requests"].items())))


if __name__ == "__main__":
    main()
