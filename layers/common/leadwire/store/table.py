"""The engine under the repositories: one DynamoDB table (the `Table` protocol, `DynamoTable`), the update builder
and the plain-value conversions. Key formats live in schema.py, never here or outside the store package."""

from __future__ import annotations

import base64
import json
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from leadwire.errors import Malformed

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(round(value, 4)))
    if isinstance(value, Mapping):
        return {key: _to_dynamo(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(item) for item in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(item) for item in value]
    return value


def as_stored(value: Any) -> Any:
    """`value` as the table would read it back: no None at any depth, floats rounded as stored, tuples as lists."""
    return _from_dynamo(_to_dynamo(value))


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(_to_dynamo(value)) for key, value in item.items() if value is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _from_dynamo(_deserializer.deserialize(value)) for key, value in item.items()}


def encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    refused = Malformed("cursor is not one this API handed out", [{"field": "cursor", "reason": "unreadable"}])
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as error:
        raise refused from error
    if not isinstance(key, dict):
        raise refused
    return key


@dataclass(frozen=True)
class Operation:
    """One change an Update makes, kept beside the expression text so a fake table can apply it too."""

    kind: Literal["set", "set_if_absent", "append", "remove", "add"]
    attribute: str
    value: Any = None


class Update:
    """Builds one UpdateExpression with its names and values, so callers say what changes, not how."""

    def __init__(self) -> None:
        self._set: list[str] = []
        self._remove: list[str] = []
        self._add: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._conditions: list[str] = []
        self.operations: list[Operation] = []

    def _name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def _value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, **attributes: Any) -> Update:
        for attribute, value in attributes.items():
            if value is None:
                self._remove.append(self._name(attribute))
                self.operations.append(Operation("remove", attribute))
            else:
                self._set.append(f"{self._name(attribute)} = {self._value(value)}")
                self.operations.append(Operation("set", attribute, value))
        return self

    def set_if_absent(self, **attributes: Any) -> Update:
        for attribute, value in attributes.items():
            name = self._name(attribute)
            self._set.append(f"{name} = if_not_exists({name}, {self._value(value)})")
            self.operations.append(Operation("set_if_absent", attribute, value))
        return self

    def append(self, **attributes: list[Any]) -> Update:
        for attribute, items in attributes.items():
            name = self._name(attribute)
            self._set.append(f"{name} = list_append(if_not_exists({name}, {self._value([])}), {self._value(items)})")
            self.operations.append(Operation("append", attribute, items))
        return self

    def remove(self, *attributes: str) -> Update:
        self._remove.extend(self._name(attribute) for attribute in attributes)
        self.operations.extend(Operation("remove", attribute) for attribute in attributes)
        return self

    def add(self, **attributes: int | float) -> Update:
        self._add.extend(f"{self._name(attribute)} {self._value(value)}" for attribute, value in attributes.items())
        self.operations.extend(Operation("add", attribute, value) for attribute, value in attributes.items())
        return self

    def when(self, condition: str, **values: Any) -> Update:
        """A condition in DynamoDB syntax, with `#name` for attributes and `:name` for the given values."""
        for word in condition.replace("(", " ").replace(")", " ").replace(",", " ").split():
            if word.startswith("#"):
                self.names[word] = word[1:]
        for name, value in values.items():
            self.values[f":{name}"] = value
        self._conditions.append(f"({condition})")
        return self

    def expression(self) -> str:
        parts = []
        if self._set:
            parts.append("SET " + ", ".join(self._set))
        if self._remove:
            parts.append("REMOVE " + ", ".join(dict.fromkeys(self._remove)))
        if self._add:
            parts.append("ADD " + ", ".join(self._add))
        return " ".join(parts)

    def condition(self) -> str | None:
        """The ConditionExpression every `when` adds up to, or None when the update is unconditional."""
        return " AND ".join(self._conditions) or None

    def request(self, table: str, key: Mapping[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {"TableName": table, "Key": serialize(key), "UpdateExpression": self.expression()}
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = serialize(self.values)
        condition = self.condition()
        if condition:
            request["ConditionExpression"] = condition
        return request


def put_action(table: str, item: Mapping[str, Any], condition: str | None = None) -> dict[str, Any]:
    """A transaction's Put, as TransactWriteItems takes it."""
    action: dict[str, Any] = {"TableName": table, "Item": serialize(item)}
    if condition:
        action["ConditionExpression"] = condition
    return {"Put": action}


def delete_action(table: str, key: Mapping[str, Any], condition: str | None = None, **values: Any) -> dict[str, Any]:
    """A transaction's Delete; `values` fill the condition's `:name` placeholders."""
    action: dict[str, Any] = {"TableName": table, "Key": serialize(key)}
    if condition:
        action["ConditionExpression"] = condition
    if values:
        action["ExpressionAttributeValues"] = serialize({f":{name}": value for name, value in values.items()})
    return {"Delete": action}


class ConditionFailed(Exception):
    """A conditional write lost: somebody else already did it, or the item changed under us."""

    def __init__(self, reasons: list[str] | None = None) -> None:
        super().__init__(", ".join(reasons or []))
        self.reasons = reasons or []


class StoreUnavailable(Exception):
    """DynamoDB did not do the write for a reason that says nothing about the state (a conflict with another
    transaction, throttling), even after retrying; the caller's own retry (the stream, the sweep) tries again."""


# Cancellation reasons that say nothing about the items: the same transaction may succeed a moment later.
TRANSIENT_REASONS = frozenset({"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                               "RequestLimitExceeded"})
TRANSACT_ATTEMPTS = 4
_BACKOFF_S = 0.025


Page = tuple[list[dict[str, Any]], dict[str, Any] | None]
"""One page of a query: the items, and the key to pass as `cursor` for the next page (None after the last)."""


class Table(Protocol):
    """The engine every repository in the store package works through: DynamoDB, or the in-memory fake."""

    def get(self, key: Mapping[str, Any], consistent: bool = True) -> dict[str, Any] | None: ...

    def get_many(self, keys: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]: ...

    def put(self, item: Mapping[str, Any], condition: str | None = None) -> None: ...

    def update(self, key: Mapping[str, Any], update: Update, return_new: bool = False) -> dict[str, Any] | None: ...

    def delete(self, key: Mapping[str, Any], condition: str | None = None, **values: Any) -> None: ...

    def transact(self, actions: list[dict[str, Any]]) -> None: ...

    def put_action(self, item: Mapping[str, Any], condition: str | None = None) -> dict[str, Any]: ...

    def update_action(self, key: Mapping[str, Any], update: Update) -> dict[str, Any]: ...

    def delete_action(self, key: Mapping[str, Any], condition: str | None = None, **values: Any
                      ) -> dict[str, Any]: ...

    def query(self, partition: str, sk_prefix: str | None = None, *, sk_between: tuple[str, str] | None = None,
              limit: int | None = None, cursor: Mapping[str, Any] | None = None, newest_first: bool = False
              ) -> Page: ...

    def query_all(self, partition: str, sk_prefix: str | None = None, *,
                  sk_between: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]: ...

    def query_index(self, index: str, hash_name: str, hash_value: str, *, range_name: str, upto: str | None = None,
                    between: tuple[str, str] | None = None, filters: Mapping[str, str] | None = None,
                    limit: int = 50, cursor: Mapping[str, Any] | None = None, newest_first: bool = True
                    ) -> Page: ...

    def next_number(self, key: Mapping[str, Any], attribute: str = "n") -> int: ...


def every_page(table: Table, partition: str, sk_prefix: str | None,
               sk_between: tuple[str, str] | None) -> Iterator[dict[str, Any]]:
    """Every item of a partition query, page after page: `query_all` of any Table."""
    cursor: dict[str, Any] | None = None
    while True:
        items, cursor = table.query(partition, sk_prefix, sk_between=sk_between, cursor=cursor)
        yield from items
        if not cursor:
            return


class DynamoTable:
    """The Table on DynamoDB, through boto3's low-level client."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            # Standard retries: throttling, 5xx and TransactionInProgress, with jittered backoff, on every call.
            client = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 5}))
        self.table = table_name
        self.client = client

    # --- plain item access -------------------------------------------------------------------------------------
    def get(self, key: Mapping[str, Any], consistent: bool = True) -> dict[str, Any] | None:
        answer = self.client.get_item(TableName=self.table, Key=serialize(key), ConsistentRead=consistent)
        return deserialize(answer["Item"]) if "Item" in answer else None

    def get_many(self, keys: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """BatchGetItem in chunks of 100, unprocessed keys retried, answers in the order of `keys`."""
        wanted = [dict(key) for key in keys]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(wanted), 100):
            request = {self.table: {"Keys": [serialize(key) for key in wanted[start:start + 100]],
                                    "ConsistentRead": True}}
            while request:
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table, []):
                    plain = deserialize(item)
                    found[(plain["pk"], plain["sk"])] = plain
                request = answer.get("UnprocessedKeys") or {}
        return [found[(key["pk"], key["sk"])] for key in wanted if (key["pk"], key["sk"]) in found]

    def put(self, item: Mapping[str, Any], condition: str | None = None) -> None:
        request: dict[str, Any] = {"TableName": self.table, "Item": serialize(item)}
        if condition:
            request["ConditionExpression"] = condition
        try:
            self.client.put_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise ConditionFailed(["ConditionalCheckFailed"]) from error

    def update(self, key: Mapping[str, Any], update: Update, return_new: bool = False) -> dict[str, Any] | None:
        request = update.request(self.table, key)
        if return_new:
            request["ReturnValues"] = "ALL_NEW"
        try:
            answer = self.client.update_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise ConditionFailed(["ConditionalCheckFailed"]) from error
        return deserialize(answer["Attributes"]) if return_new else None

    def delete(self, key: Mapping[str, Any], condition: str | None = None, **values: Any) -> None:
        """Delete an item; with `condition` (using `:name` for the given values) only if it holds."""
        request: dict[str, Any] = {"TableName": self.table, "Key": serialize(key)}
        if condition:
            request["ConditionExpression"] = condition
        if values:  # DynamoDB refuses an empty ExpressionAttributeValues
            request["ExpressionAttributeValues"] = serialize({f":{name}": value for name, value in values.items()})
        try:
            self.client.delete_item(**request)
        except self.client.exceptions.ConditionalCheckFailedException as error:
            raise ConditionFailed(["ConditionalCheckFailed"]) from error

    def transact(self, actions: list[dict[str, Any]]) -> None:
        """All or nothing; ConditionFailed.reasons holds one code per action ('None' for those that passed).
        A cancellation for transient reasons only is retried with jittered backoff, then StoreUnavailable."""
        for attempt in range(TRANSACT_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=actions)
                return
            except self.client.exceptions.TransactionCanceledException as error:
                reasons = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise ConditionFailed(reasons) from error
                if not set(reasons) <= TRANSIENT_REASONS:
                    raise  # a validation error: a bug, never to be taken for "someone else did it"
                if attempt + 1 == TRANSACT_ATTEMPTS:
                    raise StoreUnavailable(", ".join(reasons)) from error
            time.sleep(random.uniform(0, _BACKOFF_S * 2 ** attempt))

    def put_action(self, item: Mapping[str, Any], condition: str | None = None) -> dict[str, Any]:
        return put_action(self.table, item, condition)

    def update_action(self, key: Mapping[str, Any], update: Update) -> dict[str, Any]:
        return {"Update": update.request(self.table, key)}

    def delete_action(self, key: Mapping[str, Any], condition: str | None = None, **values: Any) -> dict[str, Any]:
        return delete_action(self.table, key, condition, **values)

    def query(self, partition: str, sk_prefix: str | None = None, *, sk_between: tuple[str, str] | None = None,
              limit: int | None = None, cursor: Mapping[str, Any] | None = None, newest_first: bool = False
              ) -> Page:
        values: dict[str, Any] = {":pk": partition}
        condition = "pk = :pk"
        if sk_prefix:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = sk_prefix
        elif sk_between:
            condition += " AND sk BETWEEN :lo AND :hi"
            values[":lo"], values[":hi"] = sk_between
        request: dict[str, Any] = {"TableName": self.table, "ScanIndexForward": not newest_first,
                                   "KeyConditionExpression": condition, "ExpressionAttributeValues": serialize(values)}
        if limit:
            request["Limit"] = limit
        if cursor:
            request["ExclusiveStartKey"] = serialize(cursor)
        answer = self.client.query(**request)
        last = answer.get("LastEvaluatedKey")
        return [deserialize(item) for item in answer["Items"]], deserialize(last) if last else None

    def query_all(self, partition: str, sk_prefix: str | None = None, *,
                  sk_between: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]:
        return every_page(self, partition, sk_prefix, sk_between)

    def query_index(self, index: str, hash_name: str, hash_value: str, *, range_name: str, upto: str | None = None,
                    between: tuple[str, str] | None = None, filters: Mapping[str, str] | None = None,
                    limit: int = 50, cursor: Mapping[str, Any] | None = None, newest_first: bool = True
                    ) -> Page:
        names = {"#h": hash_name}
        values: dict[str, Any] = {":h": hash_value}
        condition = "#h = :h"
        if upto is not None or between is not None:
            names["#r"] = range_name
        if upto is not None:
            condition += " AND #r <= :upto"
            values[":upto"] = upto
        elif between is not None:
            condition += " AND #r BETWEEN :lo AND :hi"
            values[":lo"], values[":hi"] = between
        request: dict[str, Any] = {"TableName": self.table, "IndexName": index, "KeyConditionExpression": condition,
                                   "ScanIndexForward": not newest_first, "Limit": limit}
        if filters:
            clauses = []
            for number, (attribute, wanted) in enumerate(sorted(filters.items())):
                names[f"#f{number}"] = attribute
                values[f":f{number}"] = wanted
                clauses.append(f"#f{number} = :f{number}")
            request["FilterExpression"] = " AND ".join(clauses)
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = serialize(values)
        if cursor:
            request["ExclusiveStartKey"] = serialize(cursor)
        answer = self.client.query(**request)
        last = answer.get("LastEvaluatedKey")
        return [deserialize(item) for item in answer["Items"]], deserialize(last) if last else None

    def next_number(self, key: Mapping[str, Any], attribute: str = "n") -> int:
        """An atomic counter: every caller gets its own number, counting from 0."""
        answer = self.update(key, Update().add(**{attribute: 1}), return_new=True)
        assert answer is not None
        return int(answer[attribute]) - 1


Store = DynamoTable
"""The name the domain has always used for the DynamoDB table."""
