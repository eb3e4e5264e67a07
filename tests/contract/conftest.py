"""One suite, two engines: every contract test runs against DynamoDB (moto, table from template.yaml) and the
in-memory fake. The memory half opens no sockets."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from pytest_socket import disable_socket, enable_socket

from devtools.environment import LOCAL_ENV, REGION
from devtools.moto_fidelity import serialise_dynamodb
from devtools.template import load_template
from leadwire.store.memory import MemoryTable
from leadwire.store.table import DynamoTable, Table

TEMPLATE = load_template()
TABLE_NAME = LOCAL_ENV["TABLE_NAME"]


@pytest.fixture(params=["dynamodb", "memory"])
def table(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Table]:
    if request.param == "memory":
        disable_socket(allow_unix_socket=False)
        try:
            yield MemoryTable(TABLE_NAME)
        finally:
            enable_socket()
        return
    for name, value in LOCAL_ENV.items():
        monkeypatch.setenv(name, value)
    serialise_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**TEMPLATE.table_create_kwargs(TABLE_NAME))
        yield DynamoTable(TABLE_NAME, client)
