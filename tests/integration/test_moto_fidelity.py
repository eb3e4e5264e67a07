"""The moto patches still fit the installed moto: its version is the one they were checked against, and every
private name they patch or read is still there. When this fails, re-read devtools/moto_fidelity.py against the
installed moto, then update CHECKED_AGAINST."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import boto3
import pytest

from devtools.environment import LOCAL_ENV, REGION
from devtools.moto_fidelity import CHECKED_AGAINST, INSTANCE_ATTRIBUTES, instance_drift

from .conftest import TEMPLATE

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_moto_is_the_version_the_patches_were_checked_against() -> None:
    installed = version("moto")
    assert installed == CHECKED_AGAINST, (
        f"moto {installed} is installed, devtools/moto_fidelity.py was checked against moto {CHECKED_AGAINST}: "
        "re-read every patch there against the installed moto, then set CHECKED_AGAINST")


def test_every_patched_private_name_still_exists() -> None:
    # Given a fresh interpreter, so that moto's classes are as moto ships them and not as the patches left them
    script = "import json; from devtools.moto_fidelity import drift; print(json.dumps(drift()))"

    # When the patched names are looked up there
    answer = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)

    # Then every one is found
    assert answer.returncode == 0, answer.stderr
    problems = json.loads(answer.stdout.splitlines()[-1])
    assert problems == [], "moto changed under devtools/moto_fidelity.py:\n" + "\n".join(problems)


def test_moto_objects_still_carry_what_the_patches_read(aws: None) -> None:
    from moto.dynamodb.models import dynamodb_backends
    from moto.sqs.models import sqs_backends

    # Given an item in the template's table, and a message in a queue (the local stack's event tap reads one)
    table_kwargs = TEMPLATE.table_create_kwargs(LOCAL_ENV["TABLE_NAME"])
    key = {element["AttributeName"]: {"S": f"{element['KeyType']}#fidelity"} for element in table_kwargs["KeySchema"]}
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=LOCAL_ENV["TABLE_NAME"], Item=key)
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=sqs.create_queue(QueueName="fidelity")["QueueUrl"], MessageBody="{}")

    # When moto's own objects for them are looked at
    table = dynamodb_backends["123456789012"][REGION].get_table(LOCAL_ENV["TABLE_NAME"])
    item = next(iter(next(iter(table.items.values())).values())) if table.range_key_attr else None
    assert item is not None, "the template's table has no sort key: the one-partition Query does not apply"
    message = sqs_backends["123456789012"][REGION].receive_message("fidelity", 1, 0, 30)[0]
    instances = {"moto.dynamodb.models.table:Table": table, "moto.dynamodb.models.dynamo_type:Item": item,
                 "moto.dynamodb.models.dynamo_type:DynamoType": item.hash_key,
                 "moto.dynamodb.models.table:StreamShard": table.stream_shard, "moto.sqs.models:Message": message}

    # Then each attribute the patches rely on is there
    assert set(instances) == set(INSTANCE_ATTRIBUTES)
    problems = instance_drift(instances)
    assert problems == [], "moto changed under devtools/moto_fidelity.py:\n" + "\n".join(problems)
