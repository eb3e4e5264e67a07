"""The benchmark's request counter, fed by botocore's Stubber: no network, no moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bench.requests import RequestCounter, on_behalf_of, per_lead


@pytest.fixture
def dynamodb() -> Any:
    return boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x",
                                 region_name="us-east-1").client("dynamodb")


def test_a_stubbed_call_is_counted_by_operation_and_booked_to_its_function(dynamodb: Any) -> None:
    # Given a counter on the client and a stubbed GetItem
    counter = RequestCounter(keep=True)
    counter.attach(dynamodb.meta.events)
    key = {"pk": {"S": "LEAD#1"}, "sk": {"S": "LEAD"}}
    with Stubber(dynamodb) as stub:
        stub.add_response("get_item", {"Item": key}, {"TableName": "t", "Key": key})
        stub.add_response("get_item", {}, {"TableName": "t", "Key": key})

        # When one call is made for the score function and one outside any function
        with on_behalf_of("ScoreFunction"):
            dynamodb.get_item(TableName="t", Key=key)
        dynamodb.get_item(TableName="t", Key=key)

    # Then each is counted once, booked where it was made, with what was asked and answered
    assert counter.by_operation("ScoreFunction") == {"dynamodb.GetItem": 1}
    assert counter.by_operation(None) == {"dynamodb.GetItem": 1}
    assert counter.by_operation() == {"dynamodb.GetItem": 1}  # "*": every function, not the harness
    first = counter.requests[0]
    assert (first.function, first.name, first.ok) == ("ScoreFunction", "dynamodb.GetItem", True)
    assert first.params["Key"] == key
    assert first.response["Item"] == key


def test_a_failed_call_is_counted_too(dynamodb: Any) -> None:
    counter = RequestCounter(keep=True)
    counter.attach(dynamodb.meta.events)
    with Stubber(dynamodb) as stub, on_behalf_of("IntakeFunction"):
        stub.add_client_error("put_item", "ConditionalCheckFailedException", http_status_code=400)
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
            dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "b"}})
    assert counter.by_operation("IntakeFunction") == {"dynamodb.PutItem": 1}
    assert counter.requests[0].ok is False


def test_listeners_see_each_request_and_reset_forgets_the_counts(dynamodb: Any) -> None:
    counter = RequestCounter()
    seen: list[str] = []
    counter.listeners.append(lambda request: seen.append(request.name))
    counter.attach(dynamodb.meta.events)
    with Stubber(dynamodb) as stub:
        stub.add_response("list_tables", {"TableNames": []})
        dynamodb.list_tables()
    assert seen == ["dynamodb.ListTables"]
    assert counter.requests == []  # not kept unless asked
    counter.reset()
    assert counter.total(None) == 0


def test_per_lead_divides_by_the_leads() -> None:
    assert per_lead({"dynamodb.GetItem": 30, "ses.SendEmail": 10}, 10) == {"dynamodb.GetItem": 3.0,
                                                                          "ses.SendEmail": 1.0}
    with pytest.raises(ValueError):
        per_lead({}, 0)
