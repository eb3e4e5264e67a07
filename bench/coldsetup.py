"""What a cold-start child sets up after timing the handler import and before timing its first event (not timed).

moto starts here, and the table (from the template), the items the event refers to, the SES identity, the bus and
the secret are created with a boto3 session of their own: the handler's default session stays cold, as in Lambda.
Timers then split the first event: creating boto3 clients, AWS calls in botocore, and moto answering them.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from typing import Any

from devtools.lambdas import Context

TIMERS: dict[str, float] = {"clients_ms": 0.0, "clients": 0, "calls_ms": 0.0, "calls": 0, "moto_ms": 0.0}


def _timed(owner: Any, name: str, total: str, count: str | None = None) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMERS[total] += (time.perf_counter() - started) * 1000
            if count:
                TIMERS[count] += 1

    setattr(owner, name, timed)


def _install_timers() -> None:
    import botocore.client
    import botocore.session
    from moto.core.botocore_stubber import BotocoreStubber

    _timed(botocore.session.Session, "create_client", "clients_ms", "clients")
    _timed(botocore.client.BaseClient, "_make_api_call", "calls_ms", "calls")
    _timed(BotocoreStubber, "process_request", "moto_ms")


def prepare(scenario: dict[str, Any]) -> tuple[dict[str, Any], Context]:
    import boto3
    from moto import mock_aws

    mock_aws().start()  # stays on until the child exits
    session = boto3.session.Session(region_name=os.environ["AWS_DEFAULT_REGION"])
    dynamodb = session.client("dynamodb")
    dynamodb.create_table(**scenario["table"])
    for item in scenario["items"]:
        dynamodb.put_item(TableName=scenario["table"]["TableName"], Item=item)
    session.client("ses").verify_email_identity(EmailAddress=os.environ["SENDER_EMAIL"])
    session.client("events").create_event_bus(Name=os.environ["EVENT_BUS_NAME"])
    secrets = session.client("secretsmanager")
    secret = secrets.create_secret(Name="leadwire", SecretString=json.dumps(scenario["secret"]))
    for name in scenario["secret_variables"]:  # the fake secret, when the function may read one
        os.environ[name] = secret["ARN"]
    context = Context(scenario["function"], float(scenario["timeout_s"]), int(scenario["memory_mb"]))
    _install_timers()
    return scenario["event"], context


# Where first-event time goes, by the code's own folders (botocore and moto are accounted for by the timers).
_OWNERS = ("leadwire", "aws_lambda_powertools", "pydantic", "functions")


def profiled(first_event: Callable[[], Any], count: int = 8) -> dict[str, Any]:
    """The first event under cProfile: the functions of ours and of our libraries that took longest (cumulative,
    leaving out the wrappers around nearly everything), and own time per file."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(first_event)
    whole = time.perf_counter() - started
    stats = pstats.Stats(profile)
    functions, files = [], {}
    for (path, line, name), (_, _, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        owner = next((owner for owner in _OWNERS if f"/{owner}/" in path), None)
        if owner is None:
            continue
        label = f"{owner}/{os.path.basename(path)}"
        files[label] = files.get(label, 0.0) + own * 1000
        if cumulative < 0.5 * whole:
            functions.append((f"{label}:{line}({name})", round(cumulative * 1000, 1)))
    return {"slowest_first_event_ms": sorted(functions, key=lambda row: -row[1])[:count],
            "own_time_by_file_ms": sorted(((label, round(ms, 1)) for label, ms in files.items()),
                                          key=lambda row: -row[1])[:count]}
