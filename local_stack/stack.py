"""The whole stack in one process: moto for AWS (created from template.yaml), the functions, the stream pump,
the schedule and an HTTP server speaking API Gateway's payload 2.0."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

from devtools.environment import DEV_KEY, LOCAL_ENV, REGION
from devtools.lambdas import Function
from devtools.moto_fidelity import (
    SentEmail,
    copy_update_trees_by_pickle,
    list_actions_once,
    parse_event_paths_once,
    record_sent_emails,
    serialise_dynamodb,
)
from devtools.template import load_template
from local_stack.faults import FaultPlan, Faults, GraphFaults
from local_stack.pump import MotoStream, StreamPump, Subscription

TAP_QUEUE = "leadwire-local-events"
SQS_BATCH = 10  # the most messages SQS hands out, or takes, in one call


def _unsigned(**_: Any) -> Any:
    from botocore import UNSIGNED

    return UNSIGNED


class LocalAws:
    """moto in this process, with the resources template.yaml declares (and a tap to read domain events)."""

    def __init__(self) -> None:
        from moto import mock_aws

        self._mock = mock_aws()
        self.outbox: list[SentEmail] = []
        self.events: list[dict[str, Any]] = []
        self._outbox_lock = threading.Lock()
        self._events_lock = threading.Lock()

    def start(self, table_kwargs: dict[str, Any], ttl_attribute: str | None) -> None:
        import boto3

        serialise_dynamodb()
        parse_event_paths_once()
        list_actions_once()
        copy_update_trees_by_pickle()
        self._mock.start()
        self._restore_ses = record_sent_emails(self._keep_sent_email)
        env = os.environ
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        # moto reads no signature: signing every request of the functions' clients cost the one process 5% of its
        # CPU (on AWS each function signs its own requests, on its own CPU).
        self.session_events().register("choose-signer", _unsigned, unique_id="leadwire-local-unsigned")
        self.dynamodb.create_table(**table_kwargs)
        if ttl_attribute:
            self.dynamodb.update_time_to_live(TableName=env["TABLE_NAME"], TimeToLiveSpecification={
                "Enabled": True, "AttributeName": ttl_attribute})
        self.dlq_url = self.sqs.create_queue(QueueName="leadwire-local-dlq")["QueueUrl"]
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=env["SENDER_EMAIL"])
        self._tap_events(env["EVENT_BUS_NAME"])

    def _tap_events(self, bus: str) -> None:
        import boto3
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sqs.models import sqs_backends

        events = boto3.client("events", region_name=REGION)
        events.create_event_bus(Name=bus)
        queue_url = self.sqs.create_queue(QueueName=TAP_QUEUE)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url,
                                                  AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="local-tap", EventBusName=bus, EventPattern=json.dumps({"source": ["leadwire"]}))
        events.put_targets(Rule="local-tap", EventBusName=bus, Targets=[{"Id": "tap", "Arn": queue_arn}])
        self._tap_sqs = sqs_backends[DEFAULT_ACCOUNT_ID][REGION]  # every request's account: they are unsigned

    def session_events(self) -> Any:
        """The event system of boto3's default session, which every client the functions create copies."""
        import boto3

        return boto3.DEFAULT_SESSION.events if boto3.DEFAULT_SESSION else boto3.Session().events

    def _keep_sent_email(self, email: SentEmail) -> None:
        with self._outbox_lock:
            self.outbox.append(email)

    def read_events(self) -> list[dict[str, Any]]:
        """Every domain event so far. The tap queue is emptied as it is read (a thread of the stack reads it twice a
        second too): moto's SQS counts a queue's messages on every send, so a queue left full would make each
        PutEvents cost time in the number of events ever published. It is read from moto's SQS backend, the code
        a ReceiveMessage runs, without the HTTP request around it."""
        sqs = self._tap_sqs
        with self._events_lock:
            while messages := sqs.receive_message(TAP_QUEUE, 10, wait_seconds_timeout=0, visibility_timeout=30):
                self.events += [json.loads(message.body) for message in messages]
                for message in messages:
                    sqs.delete_message(TAP_QUEUE, message.receipt_handle)
            return self.events

    def table_items(self) -> list[dict[str, Any]]:
        """Every item of the table, as stored (a dev-only look behind the product, which never scans)."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
        return [item for page in pages for item in page["Items"]]

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the dead-letter queue, left there: SQS hands out ten at a time, so each is hidden while
        the queue is read, then shown again."""
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=SQS_BATCH,
                                                VisibilityTimeout=60).get("Messages", []):
            found += batch
        for start in range(0, len(found), SQS_BATCH):
            self.sqs.change_message_visibility_batch(QueueUrl=self.dlq_url, Entries=[
                {"Id": str(number), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                for number, message in enumerate(found[start:start + SQS_BATCH])])
        return [json.loads(message["Body"]) for message in found]

    def stop(self) -> None:
        self._restore_ses()
        self._mock.stop()


class LocalStack:
    def __init__(self, port: int = 3000, host: str = "127.0.0.1", env: dict[str, str] | None = None,
                 schedule: bool = True) -> None:
        self.host, self.port = host, port
        self.env = {**LOCAL_ENV, **(env or {})}
        self.schedule_enabled = schedule
        self.template = load_template()
        self.aws = LocalAws()
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sweep_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalStack:
        for name, value in self.env.items():
            # Fake credentials always (the local stack never reaches real AWS); other settings only as defaults.
            if name.startswith("AWS_"):
                os.environ[name] = value
            else:
                os.environ.setdefault(name, value)
        os.environ.setdefault("LEADWIRE_API_KEYS", DEV_KEY)
        self.api_key = os.environ["LEADWIRE_API_KEYS"].split(",")[0].strip()
        # The domain only after the environment, as Lambda sets it before any import (Powertools reads it early).
        from leadwire.runtime import services
        from leadwire.runtime.settings import GRAPH_API_URL
        from local_stack.server import serve

        self.faults = Faults(FaultPlan.from_text(os.environ.get("LEADWIRE_FAULTS", "")))
        # The Graph API is reached through the fault proxy, which forwards to the one the owner named.
        self.graph_faults = GraphFaults(self.faults, os.environ.get("META_GRAPH_URL") or GRAPH_API_URL,
                                        hold_s=float(os.environ.get("META_GRAPH_TIMEOUT_S") or 3.0) + 1).start()
        os.environ["META_GRAPH_URL"] = self.graph_faults.url
        self.server = serve(self, self.host, self.port)
        self.port = self.server.server_address[1]
        os.environ["PUBLIC_BASE_URL"] = self.url
        services.reset()
        self.aws.start(self.template.table_create_kwargs(self.env["TABLE_NAME"]), self.template.ttl_attribute())
        self.faults.install(self.aws.session_events())  # the functions' clients, made from here on, not the stack's
        self.functions = {spec.logical_id: Function(spec.logical_id, spec.code_dir, spec.timeout_s, spec.memory_mb)
                          for spec in self.template.functions().values()}
        self.pump = StreamPump(MotoStream(self.env["TABLE_NAME"]), self.aws.sqs, self.aws.dlq_url, [
            Subscription(function=self.functions[sub.function_id], batch_size=sub.batch_size, filters=sub.filters,
                         max_retries=sub.max_retries, max_record_age_s=sub.max_record_age_s,
                         report_failures=sub.report_batch_item_failures, bisect=sub.bisect)
            for sub in self.template.stream_subscriptions()])
        for function in self.functions.values():
            function.warm()
        self.schedule = self.template.schedule()
        self.followup = self.functions[self.schedule.function_id]
        self.schedule_rate_s = self.schedule.rate_s
        self._spawn(self.server.serve_forever, "http")
        self._spawn(self._pump_loop, "stream")
        self._spawn(self._tap_loop, "events")
        if self.schedule_enabled:
            self._spawn(self._schedule_loop, "schedule")
        return self

    def add_demo_team(self) -> None:
        """Two reps, so that a lead sent from the demo page gets an owner and an email; set up as an owner would,
        through the stack's own front door."""
        opener = build_opener(ProxyHandler({}))  # the stack is on this machine, whatever proxy the shell names
        for rep_id, name in (("anna", "Anna Demo"), ("ben", "Ben Demo")):
            rep = json.dumps({"name": name, "email": f"{rep_id}@example.com"}).encode()
            request = Request(f"{self.url}/reps/{rep_id}", data=rep, method="PUT", headers={
                "content-type": "application/json", "authorization": f"Bearer {self.api_key}"})
            try:
                opener.open(request, timeout=30).close()
            except HTTPError as error:
                raise RuntimeError(f"PUT /reps/{rep_id} answered {error.code}: {error.read()!r}") from error

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=f"leadwire-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def kick(self) -> None:
        """Something was written: let the stream pump look now rather than at its next tick."""
        self._kick.set()

    def _pump_loop(self) -> None:
        while not self._stop.is_set():
            self._kick.wait(timeout=0.25)
            self._kick.clear()
            try:
                self.pump.drain()
            except Exception as error:
                print(f"stream pump: {type(error).__name__}: {error}", flush=True)

    def _tap_loop(self) -> None:
        while not self._stop.wait(timeout=0.5):
            try:
                self.aws.read_events()
            except Exception as error:
                print(f"event tap: {type(error).__name__}: {error}", flush=True)

    def _schedule_loop(self) -> None:
        while not self._stop.wait(timeout=self.schedule_rate_s):
            self.sweep(datetime.now(UTC))

    def sweep(self, at: datetime) -> Any:
        """Fire the follow-up function as the schedule would at `at`, then drain what it caused."""
        with self.sweep_lock:
            try:
                report = self.followup.invoke(self.schedule.event(at))
            except Exception as error:  # the invocation failed, as Lambda would report it; the next one runs anyway
                print(f"follow-up function failed: {type(error).__name__}: {error}", flush=True)
                report = {"at": at.isoformat(), "error": type(error).__name__}
        self.pump.drain()
        return report

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.graph_faults.stop()
        self.aws.stop()
