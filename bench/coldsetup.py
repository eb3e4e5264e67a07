"""What a cold-start child sets up after timing the handler import and before timing its first event (not timed).

moto starts here, and the table (from the template), the items the event refers to, the SES identity, the bus and
the secret are created with a boto3 session of their own: the handler's default session stays cold, as in Lambda.
"""

from __future__ import annotations

import json
import os
from typing import Any

from local_stack.lambdas import Context


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
    os.environ["LEADWIRE_SECRET_ARN"] = secret["ARN"]
    context = Context(scenario["function"], float(scenario["timeout_s"]), int(scenario["memory_mb"]))
    return scenario["event"], context
