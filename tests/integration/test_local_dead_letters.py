"""The local stack's dead-letter queue as `GET /_local/dead-letters` lists it: every message, left in the queue."""

from __future__ import annotations

import json

import pytest

from devtools.environment import LOCAL_ENV
from local_stack.stack import LocalAws

from .conftest import TEMPLATE

pytestmark = pytest.mark.integration


def test_every_dead_letter_is_listed_however_many_and_stays_in_the_queue(monkeypatch):
    # Given the local stack's AWS with more dead letters than SQS hands out at once
    for name, value in LOCAL_ENV.items():
        monkeypatch.setenv(name, value)
    aws = LocalAws()
    aws.start(TEMPLATE.table_create_kwargs(LOCAL_ENV["TABLE_NAME"]), TEMPLATE.ttl_attribute())
    try:
        for number in range(23):
            aws.sqs.send_message(QueueUrl=aws.dlq_url, MessageBody=json.dumps({"batch": number}))

        # When they are listed twice
        first, second = aws.dead_letters(), aws.dead_letters()
    finally:
        aws.stop()

    # Then each listing has all 23, once each
    assert sorted(message["batch"] for message in first) == list(range(23))
    assert sorted(message["batch"] for message in second) == list(range(23))
