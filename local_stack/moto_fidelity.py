"""Where moto differs from DynamoDB in a way our guarantees or measurements depend on, make it behave like DynamoDB.

DynamoDB serialises a transaction against every other write to the same items. moto 5 checks a transaction's
conditions and then writes item by item, and deep-copies whole tables for its rollback, with no lock: two threads
can both pass `attribute_not_exists`, and a concurrent write breaks the copy ("dictionary changed size"). One lock
around moto's DynamoDB operations gives the isolation the real service has. Under that lock a transaction can check
every condition first and write only when all hold, so the whole-table copy (whose cost grows with the table) goes.
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

    if not getattr(DynamoDBBackend.transact_write_items, "_leadwire_serialised", False):
        DynamoDBBackend.transact_write_items = _locked(_check_then_write)  # type: ignore[method-assign]
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


def _check_then_write(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """TransactWriteItems: every condition checked before any write, all under the lock; nothing to roll back."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    actions, outcomes, seen = [], [], set()
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        table = backend.get_table(op["TableName"])
        source = op["Item"] if op_type == "Put" else op["Key"]
        key = {name: source[name] for name in (table.hash_key_attr, table.range_key_attr) if name}
        identity = (op["TableName"], str(sorted(key.items())))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        condition = op.get("ConditionExpression")
        current = backend.get_item(op["TableName"], key)
        holds = condition is None or get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).expr(current)
        outcomes.append((None, None, None) if holds else
                        ("ConditionalCheckFailed", "The conditional request failed", None))
        actions.append((op_type, op, key))
    if any(code is not None for code, _, _ in outcomes):
        raise TransactionCanceledException(outcomes)
    for op_type, op, key in actions:
        expression = {"condition_expression": op.get("ConditionExpression"),
                      "expression_attribute_names": op.get("ExpressionAttributeNames"),
                      "expression_attribute_values": op.get("ExpressionAttributeValues")}
        if op_type == "Put":
            backend.put_item(op["TableName"], op["Item"], **expression)
        elif op_type == "Delete":
            backend.delete_item(op["TableName"], key, **expression)
        elif op_type == "Update":
            backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"], **expression)

