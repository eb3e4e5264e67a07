"""Where moto differs from DynamoDB in a way our guarantees depend on, make it behave like DynamoDB.

DynamoDB serialises a transaction against every other write to the same items. moto 5 checks a transaction's
conditions and then writes item by item, and deep-copies whole tables for its rollback, with no lock: two threads
can both pass `attribute_not_exists`, and a concurrent write breaks the copy ("dictionary changed size"). One lock
around moto's DynamoDB operations gives the isolation the real service has.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_OPERATIONS = ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items",
               "transact_get_items", "batch_get_item", "batch_write_item")


def serialise_dynamodb() -> None:
    """Idempotent: patch moto's DynamoDB backend once per process."""
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        method = getattr(DynamoDBBackend, name, None)
        if method is None or getattr(method, "_leadwire_serialised", False):
            continue
        setattr(DynamoDBBackend, name, _locked(method))


def _locked(method: Any) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    call._leadwire_serialised = True  # type: ignore[attr-defined]
    return call
