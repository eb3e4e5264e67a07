"""The local stack's AWS side and its functions in this process, without HTTP or threads, for measuring.

moto with the resources template.yaml declares (the local stack's own LocalAws), the secret deployed functions read,
the four functions loaded as Lambda loads them, and the stream pump with the template's batch sizes and filters.
Every invocation runs through the harness's middlewares (timers, snapshots) and books its AWS requests to the
function. Nothing here opens a socket.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.requests import RequestCounter, on_behalf_of
from devtools.environment import DEV_KEY

SECRET_VALUES = {"LEADWIRE_API_KEYS": DEV_KEY, "UNSUBSCRIBE_SECRET": "bench-unsubscribe-secret",
                 "WEBHOOK_SECRETS": "", "META_APP_SECRET": "", "META_VERIFY_TOKEN": "", "META_PAGE_TOKEN": "",
                 "GOOGLE_ADS_KEY": "", "TYPEFORM_SECRET": ""}
# As template.yaml deploys them: INFO logs and EMF metrics on (the local stack turns both down for developers).
DEPLOYED_ENV = {"POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_METRICS_DISABLED": "false",
                "PUBLIC_BASE_URL": "https://leads.example.com"}
API_KEY = SECRET_VALUES["LEADWIRE_API_KEYS"]

Invoke = Callable[[], Any]
Middleware = Callable[[str, dict[str, Any], Invoke], Any]


class Harness:
    def __init__(self, counter: RequestCounter | None = None, env: dict[str, str] | None = None) -> None:
        from devtools.template import load_template

        self.template = load_template()
        self.counter = counter or RequestCounter()
        self.env = {**DEPLOYED_ENV, **(env or {})}
        self.middlewares: list[Middleware] = []

    def start(self) -> Harness:
        import boto3

        from devtools.environment import LOCAL_ENV, REGION
        from local_stack.stack import LocalAws

        # The environment first, as Lambda sets it before any import (Powertools reads it when objects are made).
        os.environ.update({**LOCAL_ENV, **self.env})
        from devtools.lambdas import Function
        from leadwire.runtime import services
        from local_stack.pump import MotoStream, StreamPump, Subscription

        self.aws = LocalAws()
        self.aws.start(self.template.table_create_kwargs(os.environ["TABLE_NAME"]), self.template.ttl_attribute())
        # moto drops boto3's default session when it starts; a fresh one now gives every client the code makes later
        # the hooks (the clients copy the session's event emitter when they are created).
        boto3.setup_default_session(region_name=REGION)
        self.counter.attach(boto3.DEFAULT_SESSION.events)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        os.environ["LEADWIRE_SECRET_ARN"] = secrets.create_secret(
            Name="leadwire-bench", SecretString=json.dumps(SECRET_VALUES))["ARN"]
        services.reset()
        self.functions = {spec.logical_id: Function(spec.logical_id, spec.code_dir, spec.timeout_s, spec.memory_mb)
                          for spec in self.template.functions().values()}
        for function in self.functions.values():
            function.invoke = self._wrapped(function.name, function.invoke)  # type: ignore[method-assign]
        self.subscriptions = {sub.function_id: sub for sub in self.template.stream_subscriptions()}
        self.pump = StreamPump(MotoStream(os.environ["TABLE_NAME"]), self.aws.sqs, self.aws.dlq_url, [
            Subscription(function=self.functions[sub.function_id], batch_size=sub.batch_size, filters=sub.filters,
                         max_retries=sub.max_retries, max_record_age_s=sub.max_record_age_s,
                         report_failures=sub.report_batch_item_failures, bisect=sub.bisect)
            for sub in self.subscriptions.values()])
        self.schedule = self.template.schedule()
        self.routes = self.template.routes()
        return self

    def _wrapped(self, name: str, invoke: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        def call(event: dict[str, Any]) -> Any:
            def innermost() -> Any:
                with on_behalf_of(name):
                    return invoke(event)

            return _run_through(self.middlewares, name, event, innermost)

        return call

    # --- what happens to a lead ---------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None, query: str = "", headers: dict[str, str] | None = None,
            auth: bool = False) -> tuple[int, Any]:
        """One HTTP API request, as API Gateway would hand it to the intake function; (status, JSON body or text)."""
        from devtools.apigw import Route, build_event, find_route, response_parts

        sent = {"content-type": "application/json", "host": "leads.example.com", **(headers or {})}
        if auth:
            sent["authorization"] = f"Bearer {API_KEY}"
        data = json.dumps(body).encode() if body is not None else b""
        found = find_route([Route(route.method, route.path) for route in self.routes], method, path)
        if found is None:
            raise LookupError(f"no route {method} {path} in the template")
        route, params = found
        event = build_event(method, path, query, list(sent.items()), data, "198.51.100.7", route, params)
        status, _, answer = response_parts(self.functions["IntakeFunction"].invoke(event))
        try:
            return status, json.loads(answer) if answer else None
        except ValueError:
            return status, answer.decode()

    def drain(self) -> int:
        return self.pump.drain()

    def sweep(self, at: datetime) -> Any:
        return self.functions[self.schedule.function_id].invoke(self.schedule.event(at.astimezone(UTC)))

    def table_items(self) -> list[dict[str, Any]]:
        """Every item in DynamoDB JSON (harness requests, booked to no function)."""
        pages = self.aws.dynamodb.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
        return [item for page in pages for item in page["Items"]]

    def stop(self) -> None:
        self.aws.stop()


def _run_through(middlewares: list[Middleware], name: str, event: dict[str, Any], innermost: Invoke) -> Any:
    """The first middleware wraps all the others; the last one wraps the invocation itself."""
    if not middlewares:
        return innermost()
    first, rest = middlewares[0], middlewares[1:]
    return first(name, event, lambda: _run_through(rest, name, event, innermost))
