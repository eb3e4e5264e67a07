"""Every patch leadwire makes to moto, in one place, with the moto version it was checked against.

Where moto differs from AWS in a way our guarantees or measurements depend on, make it behave like AWS.

DynamoDB serialises a transaction against every other write to the same items. moto 5 checks a transaction's
conditions and then writes item by item, and deep-copies whole tables for its rollback, with no lock: two threads
can both pass `attribute_not_exists`, and a concurrent write breaks the copy ("dictionary changed size"). One lock
around each of moto's DynamoDB requests, its answer rendered, gives the isolation the real service has. Under that
lock a transaction can check every condition first and write only when all hold, so the whole-table copy (whose cost
grows with the table) goes.
A Query, too, costs moto time in the size of the whole table; it reads only the partition asked for here. And
EventBridge's input transformer parses the same JSONPath strings again for every event; each is parsed once.

moto's SES keeps only an email's HTML part and no time; `record_sent_emails` hands each email's text and the instant SES
accepted it to the local stack's outbox, reading the request through moto's private `_get_param`.

Each patch leans on moto's private code. `PATCHED` and `INSTANCE_ATTRIBUTES` name all of it (with what the local
stack's stream pump reads and the bench's timers wrap, which lean on it too), and
tests/integration/test_moto_fidelity.py fails, naming what changed, when the installed moto is not
`CHECKED_AGAINST` or one of those names is gone: re-read each patch against the new moto, then update the version.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

CHECKED_AGAINST = "5.2.5"

# "module:Class" -> the attributes of that class (or names of that module) the patches replace, wrap or call.
PATCHED: dict[str, tuple[str, ...]] = {
    "moto.dynamodb.models:DynamoDBBackend": ("transact_write_items", "get_table", "get_item", "put_item",
                                             "delete_item", "update_item"),
    "moto.dynamodb.models.table:Table": ("query", "all_items"),
    "moto.dynamodb.responses:DynamoHandler": ("call_action",),
    "moto.dynamodb.comparisons": ("get_filter_expression",),
    "moto.dynamodb.exceptions": ("MultipleTransactionsException", "TooManyTransactionsException",
                                 "TransactionCanceledException", "TransactWriteSingleOpException"),
    "moto.ses.responses:EmailResponse": ("send_email", "_get_param"),
    "moto.sesv2.responses:SESV2Response": ("send_email",),
    "moto.dynamodb.models:dynamodb_backends": (),  # read by local_stack/pump.py
    "moto.core.botocore_stubber:BotocoreStubber": ("process_request",),  # timed by bench/coldsetup.py, bench/warm.py
    "moto.events.utils:EventTemplateParser": ("parse",),  # imports jsonpath_ng.ext.parse on each call
    "jsonpath_ng.ext": ("parse",),
    "moto.core.responses": ("method_names_from_class",),  # lists a handler class's methods on each request
    "moto.dynamodb.parsing.validators": ("deepcopy",),  # copies each update's syntax tree before validating it
    "moto.dynamodb.parsing.ast_nodes": ("Node",),
    "moto.sqs.models:sqs_backends": (),  # read by local_stack/stack.py (the event tap), with the account below
    "moto.core": ("DEFAULT_ACCOUNT_ID",),
}
# "module:Class" -> the attributes each instance gets in `__init__`, which the patches read or swap.
INSTANCE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    # the last three, and StreamShard's, are how local_stack/pump.py reads the table's stream straight from moto
    "moto.dynamodb.models.table:Table": ("items", "hash_key_attr", "range_key_attr",
                                         "stream_shard", "table_arn", "latest_stream_label"),
    "moto.dynamodb.models.dynamo_type:Item": ("hash_key", "range_key"),
    "moto.dynamodb.models.dynamo_type:DynamoType": ("cast_value",),
    "moto.dynamodb.models.table:StreamShard": ("id", "starting_sequence_number", "get"),
    "moto.sqs.models:Message": ("body", "receipt_handle"),  # the event tap's messages
}

_LOCK = threading.RLock()
# Table.query(hash_key, range_comparison, range_objs, limit, start, forward, projection, index_name, ...)
_INDEX_NAME_POSITION = 6


def serialise_dynamodb() -> None:
    """Idempotent: patch moto's DynamoDB backend once per process."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    _query_one_partition()
    _replace_once(DynamoDBBackend, "transact_write_items", lambda _: _check_then_write)
    # The lock is around each whole request, not each backend call: moto's handlers render their answer from the
    # live items after the backend call (UpdateItem's ReturnValues, GetItem's and BatchGetItem's items), and a write
    # changes an item in place, so two atomic counters could hand out the same number, and a read meanwhile a write
    # would fail ("dictionary changed size during iteration").
    _replace_once(DynamoHandler, "call_action", _locked)


def _locked(method: Any) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

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
        # Callers hold moto_fidelity's lock around every DynamoDB request, so the swap is never seen by others.
        everything = table.items
        table.items = {hash_key: everything[hash_key]} if hash_key in everything else {}
        try:
            return original_query(table, hash_key, *args, **kwargs)
        finally:
            table.items = everything

    query._leadwire_fast = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]


def _replace_once(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    """Idempotent: `owner.name` becomes `make(original)` once per process (the replacement is marked as such)."""
    original = getattr(owner, name)
    if getattr(original, "_leadwire_replaced", False):
        return
    replacement = make(original)
    replacement._leadwire_replaced = True
    setattr(owner, name, replacement)


def parse_event_paths_once() -> None:
    """Idempotent. moto hands every event a rule matches through its input transformer, which builds a new
    JSONPath parser (a ply grammar) for each path of its default template: about a tenth of the local stack's CPU
    under load, for the same two strings every time. A parsed path is an immutable tree, so each is parsed once."""
    import jsonpath_ng.ext

    _replace_once(jsonpath_ng.ext, "parse", functools.lru_cache(maxsize=256))


def list_actions_once() -> None:
    """Idempotent. moto finds the method of each request's action among its handler class's methods, which it lists
    afresh with inspect.getmembers on every request (2% of the local stack's CPU under load); a class's methods do
    not change while the process runs, so each class is listed once (as a tuple, which no caller can change)."""
    import moto.core.responses as responses

    _replace_once(responses, "method_names_from_class",
                  lambda listed: functools.cache(lambda clazz: tuple(listed(clazz))))


def copy_update_trees_by_pickle() -> None:
    """Idempotent. moto validates each UpdateItem on a deep copy of the update's syntax tree, and copy.deepcopy of
    that tree of plain nodes was 5% of the local stack's CPU under load; a pickle round trip makes the same copy in
    a third of the time. Anything else that module copies (attribute values, which copy themselves) is left to
    deepcopy."""
    import pickle

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import Node

    def by_pickle(deepcopy: Callable[..., Any]) -> Callable[..., Any]:
        def tree_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
            if isinstance(value, Node):
                return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            return deepcopy(value, memo)

        return tree_copy

    _replace_once(validators, "deepcopy", by_pickle)


# --- SES: what was sent, as the owner reads it ----------------------------------------------------------------------
@dataclass
class SentEmail:
    to: str
    subject: str
    text: str
    sent_at: str
    headers: dict[str, str] = field(default_factory=dict)  # the extra headers asked for (List-Unsubscribe, …)


def record_sent_emails(on_sent: Callable[[SentEmail], None]) -> Callable[[], None]:
    """Hand every email SES accepts (API v1 or v2) to `on_sent`, one per recipient, with its plain text, the extra
    headers asked for and the instant it was accepted (moto keeps only the HTML part, no headers, no time).
    Answers the function that takes the patches off again."""
    from moto.ses.responses import EmailResponse
    from moto.sesv2.responses import SESV2Response

    original, original_v2 = EmailResponse.send_email, SESV2Response.send_email

    def sent_now() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def send_email(response: EmailResponse) -> Any:
        answer = original(response)
        text = response._get_param("Message.Body.Text.Data") or response._get_param("Message.Body.Html.Data")
        subject = response._get_param("Message.Subject.Data")
        for address in response._get_param("Destination", {}).get("ToAddresses", []):
            on_sent(SentEmail(address, subject, text, sent_now()))
        return answer

    def send_email_v2(response: SESV2Response) -> Any:
        answer = original_v2(response)
        params = json.loads(response.body)
        simple = params.get("Content", {}).get("Simple", {})
        body = simple.get("Body", {})
        text = (body.get("Text") or body.get("Html") or {}).get("Data", "")
        headers = {header["Name"]: header["Value"] for header in simple.get("Headers", [])}
        for address in params.get("Destination", {}).get("ToAddresses", []):
            on_sent(SentEmail(address, simple.get("Subject", {}).get("Data", ""), text, sent_now(), headers))
        return answer

    EmailResponse.send_email = send_email  # type: ignore[method-assign]
    SESV2Response.send_email = send_email_v2  # type: ignore[method-assign]

    def restore() -> None:
        EmailResponse.send_email = original  # type: ignore[method-assign]
        SESV2Response.send_email = original_v2  # type: ignore[method-assign]

    return restore


# --- is the installed moto still the one these patches were written for? ------------------------------------------
def _resolve(target: str) -> Any:
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name) if class_name else module


def drift() -> list[str]:
    """What no longer holds in the installed moto's private code, one sentence each; empty when nothing changed.
    Call it before any patch is applied (a patched class has every name, it was given them)."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_leadwire_fast", False):
        raise RuntimeError("moto is already patched in this process: check drift() in a fresh interpreter")
    problems = []
    for target, names in PATCHED.items():
        try:
            owner = _resolve(target)
        except (ImportError, AttributeError) as error:
            problems.append(f"{target} is gone ({error})")
            continue
        problems += [f"{target}.{name} is gone" for name in names if not hasattr(owner, name)]
    if hasattr(Table, "query"):
        parameters = list(inspect.signature(Table.query).parameters)
        position = parameters.index("index_name") - 2 if "index_name" in parameters else None
        if position != _INDEX_NAME_POSITION:
            problems.append(f"Table.query no longer takes index_name at position {_INDEX_NAME_POSITION} after "
                            f"hash_key: its parameters are {parameters}")
    return problems


def instance_drift(instances: dict[str, Any]) -> list[str]:
    """What `INSTANCE_ATTRIBUTES` names and the given live moto objects (keyed as there) lack."""
    return [f"{target} instances have no {name!r}" for target, names in INSTANCE_ATTRIBUTES.items()
            for name in names if not hasattr(instances[target], name)]
