"""Unit tests cannot open sockets: anything that tries fails loudly (pytest-socket)."""

from __future__ import annotations

import pytest
from pytest_socket import disable_socket, enable_socket


def pytest_runtest_setup(item: pytest.Item) -> None:
    disable_socket(allow_unix_socket=False)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    enable_socket()


@pytest.fixture(autouse=True)
def no_aws_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests run on fakes: creating an AWS client is a mistake, and says so."""
    import boto3

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests use the fakes in tests/fakes.py and leadwire.store.memory, not AWS clients")

    monkeypatch.setattr(boto3, "client", refuse)
    monkeypatch.setattr(boto3.Session, "client", refuse)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run of the unit tests alone (`make unit`) fails if anything imported moto; a run that also collected the
    moto tests (`pytest tests`) cannot tell who imported it, and is not failed for it."""
    import sys
    from pathlib import Path

    unit = Path(__file__).resolve().parent
    only_unit = all(unit in Path(item.path).resolve().parents for item in session.items)
    if only_unit and "moto" in sys.modules and exitstatus == 0:
        session.exitstatus = 1
        print("\nunit tests imported moto: they must run on fakes")
