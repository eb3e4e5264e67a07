"""Where moto differs from DynamoDB in a way our guarantees or measurements depend on, make it behave like DynamoDB.

DynamoDB serialises a transaction against every other write to the same items. moto 5 checks a transaction's
conditions and then writes item by item, and deep-copies whole tables for its rollback, with no lock: two threads
can both pass `attribute_not_exists`, and a concurrent write breaks the copy ("dictionary changed size"). One lock
around moto's DynamoDB operations gives the isolation the real service has. Under that lock a transaction can check
every condition first and write only when all hold, so the whole-table copy (whose cost grows with the table) goes.
A Query, too, costs moto time in the size of the whole table; it reads only the partition asked for here.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
# Table.query(hash_key, range_comparison, range_objs, limit, start, forward, projection, index_name, ...)
_INDEX_NAME_POSITION = 6
_OPERATIONS = ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items",
               "transact_get_items", "batch_get_item", "batch_write_item")


def serialise_dynamodb() -> None:
    """Idempotent: patch moto's DynamoDB backend once per process."""
    from moto.dynamodb.models import DynamoDBBackend

    _query_one_partition()

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


def _query_one_partition() -> None:
    """moto sorts every item of the table on each Query, comparing values that re-parse themselves: O(n log n) in
    the table's size per call. A Query on the table's own key reads only its partition, and sorts parse once."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_leadwire_fast", False):
        return
    original_query = Table.query

    def all_items(table: Any) -> list[Any]:
        items: list[Any] = []
        for hash_set in table.items.values():
            if table.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)
        return sorted(items, key=lambda item: (item.hash_key.cast_value, item.range_key.cast_value)
                      if item.range_key else item.hash_key.cast_value)

    def query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[_INDEX_NAME_POSITION] if len(args) > _INDEX_NAME_POSITION else kwargs.get("index_name")
        if index_name or hash_key is None or not table.range_key_attr:
            return original_query(table, hash_key, *args, **kwargs)
        # Callers hold moto_fidelity's lock around every DynamoDB operation, so the swap is never seen by others.
        everything = table.items
        table.items = {hash_key: everything[hash_key]} if hash_key in everything else {}
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            table.items = everything

    query._leadwire_fast = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
