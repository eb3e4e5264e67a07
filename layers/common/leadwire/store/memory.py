"""The Table in memory, with DynamoDB's semantics for everything leadwire asks of it: tests get the store without
moto or sockets, and tests/contract runs one suite against this and DynamoDB (on moto) to keep the two alike.

Items are held as DynamoDB holds them (serialized attribute values), so numbers, dropped Nones, type-sensitive
comparisons and copies behave as the real table's do.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import DYNAMODB_CONTEXT

from leadwire.store.table import (
    ConditionFailed,
    Page,
    Update,
    delete_action,
    deserialize,
    every_page,
    put_action,
    serialize,
)

TABLE_KEYS = ("pk", "sk")


@dataclass(frozen=True)
class Index:
    """A global secondary index: its keys, and the non-key attributes it projects (empty for KEYS_ONLY)."""

    hash_key: str
    range_key: str
    projected: tuple[str, ...]


# As template.yaml declares them; tests/contract checks the two agree.
INDEXES = {
    "by_created": Index("list_pk", "created_at", ("stage", "status", "owner", "source")),
    "by_owner": Index("owner", "created_at", ("stage", "status", "source", "list_pk")),
    "due": Index("due_shard", "due_at", ()),
}
KEY_ATTRIBUTES = frozenset(TABLE_KEYS).union(*((index.hash_key, index.range_key) for index in INDEXES.values()))
# DynamoDB's limits on a key attribute's UTF-8 bytes: partition keys 2,048, sort keys 1,024 (indexes' too)
KEY_BYTES = {TABLE_KEYS[0]: 2048, TABLE_KEYS[1]: 1024,
             **{name: limit for index in INDEXES.values()
                for name, limit in ((index.hash_key, 2048), (index.range_key, 1024))}}
_UPDATE = "MemoryUpdate"  # where a fake update action keeps its Update, beside the request DynamoDB would get
_MAX_TRANSACTION = 100

Wire = dict[str, Any]  # one attribute value as DynamoDB holds it: {"S": "..."}, {"N": "1.5"}, {"M": {...}}, ...
Item = dict[str, Wire]


class MemoryTable:
    """A Table held in a dict, safe to share between threads."""

    def __init__(self, table_name: str = "leadwire") -> None:
        self.table = table_name
        self._items: dict[tuple[str, str], Item] = {}
        self._lock = threading.RLock()

    # --- plain item access -------------------------------------------------------------------------------------
    def get(self, key: Mapping[str, Any], consistent: bool = True) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(_identity(key))
            return _plain(item) if item is not None else None

    def get_many(self, keys: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        wanted = [_identity(key) for key in keys]
        for start in range(0, len(wanted), 100):
            if len(set(wanted[start:start + 100])) < len(wanted[start:start + 100]):
                raise ValueError("Provided list of item keys contains duplicates")
        with self._lock:
            return [_plain(self._items[identity]) for identity in wanted if identity in self._items]

    def put(self, item: Mapping[str, Any], condition: str | None = None) -> None:
        self._write_one(self.put_action(item, condition))

    def update(self, key: Mapping[str, Any], update: Update, return_new: bool = False) -> dict[str, Any] | None:
        with self._lock:
            identity = self._write_one(self.update_action(key, update))
            return _plain(self._items[identity]) if return_new else None

    def delete(self, key: Mapping[str, Any], condition: str | None = None, **values: Any) -> None:
        action = self.delete_action(key)
        if condition:
            action["Delete"]["ConditionExpression"] = condition
        if values:
            action["Delete"]["ExpressionAttributeValues"] = serialize({f":{name}": v for name, v in values.items()})
        self._write_one(action)

    def _write_one(self, action: dict[str, Any]) -> tuple[str, str]:
        """One write on its own, as PutItem, UpdateItem and DeleteItem are; answers the key it wrote."""
        with self._lock:
            write = _Write.of(action, self.table)
            current = self._items.get(write.identity)
            if not write.holds(current):
                raise ConditionFailed(["ConditionalCheckFailed"])
            self._store(write.identity, write.apply(current))
            return write.identity

    def transact(self, actions: list[dict[str, Any]]) -> None:
        """All or nothing: every condition is checked against the table as it was before any write."""
        if len(actions) > _MAX_TRANSACTION:
            raise ValueError(f"a transaction holds at most {_MAX_TRANSACTION} actions")
        writes = [_Write.of(action, self.table) for action in actions]
        if len({write.identity for write in writes}) < len(writes):
            raise ValueError("Transaction request cannot include multiple operations on one item")
        with self._lock:
            current = [self._items.get(write.identity) for write in writes]
            reasons = ["None" if write.holds(item) else "ConditionalCheckFailed" for write, item in zip(
                writes, current, strict=True)]
            if any(reason != "None" for reason in reasons):
                raise ConditionFailed(reasons)
            for write, item in zip(writes, current, strict=True):
                self._store(write.identity, write.apply(item))

    def put_action(self, item: Mapping[str, Any], condition: str | None = None) -> dict[str, Any]:
        return put_action(self.table, item, condition)

    def update_action(self, key: Mapping[str, Any], update: Update) -> dict[str, Any]:
        return {"Update": {**update.request(self.table, key), _UPDATE: copy.deepcopy(update)}}

    def delete_action(self, key: Mapping[str, Any], condition: str | None = None, **values: Any) -> dict[str, Any]:
        return delete_action(self.table, key, condition, **values)

    # --- queries -----------------------------------------------------------------------------------------------
    def query(self, partition: str, sk_prefix: str | None = None, *, sk_between: tuple[str, str] | None = None,
              limit: int | None = None, cursor: Mapping[str, Any] | None = None, newest_first: bool = False
              ) -> Page:
        def wanted(sk: str) -> bool:
            if sk_prefix:
                return sk.startswith(sk_prefix)
            return sk_between is None or sk_between[0] <= sk <= sk_between[1]

        with self._lock:
            rows = [((sk,), item) for (pk, sk), item in self._items.items() if pk == partition and wanted(sk)]
        start = (_string(cursor, "sk"),) if cursor else None
        evaluated, last = _page(rows, not newest_first, limit or None, start)
        return [_plain(item) for item in evaluated], _plain_key(last, TABLE_KEYS)

    def query_all(self, partition: str, sk_prefix: str | None = None, *,
                  sk_between: tuple[str, str] | None = None) -> Iterator[dict[str, Any]]:
        return every_page(self, partition, sk_prefix, sk_between)

    def query_index(self, index: str, hash_name: str, hash_value: str, *, range_name: str, upto: str | None = None,
                    between: tuple[str, str] | None = None, filters: Mapping[str, str] | None = None,
                    limit: int = 50, cursor: Mapping[str, Any] | None = None, newest_first: bool = True
                    ) -> Page:
        spec = INDEXES.get(index)
        if spec is None or (spec.hash_key, spec.range_key) != (hash_name, range_name):
            raise ValueError(f"no index {index} on ({hash_name}, {range_name})")
        if limit < 1:
            raise ValueError("Limit must be at least 1")

        def wanted(position: str) -> bool:
            if upto is not None:
                return position <= upto
            return between is None or between[0] <= position <= between[1]

        with self._lock:
            rows = []
            for (pk, sk), item in self._items.items():
                hashed, ranged = item.get(hash_name), item.get(range_name)
                if hashed == {"S": hash_value} and ranged is not None and wanted(ranged["S"]):
                    rows.append(((ranged["S"], pk, sk), _project(item, spec)))
        start = (_string(cursor, range_name), _string(cursor, "pk"), _string(cursor, "sk")) if cursor else None
        evaluated, last = _page(rows, not newest_first, limit, start)
        # A FilterExpression runs after Limit, on what the index projects: a page can come back short, or empty.
        expected = serialize(dict(filters or {}))
        kept = [item for item in evaluated if all(_equal(item.get(name), value) for name, value in expected.items())]
        return [_plain(item) for item in kept], _plain_key(last, (*TABLE_KEYS, hash_name, range_name))

    def next_number(self, key: Mapping[str, Any], attribute: str = "n") -> int:
        """An atomic counter: every caller gets its own number, counting from 0."""
        answer = self.update(key, Update().add(**{attribute: 1}), return_new=True)
        assert answer is not None
        return int(answer[attribute]) - 1

    # --- inside ------------------------------------------------------------------------------------------------
    def _store(self, identity: tuple[str, str], item: Item | None) -> None:
        if item is None:
            self._items.pop(identity, None)
        else:
            self._items[identity] = item


def _identity(key: Mapping[str, Any]) -> tuple[str, str]:
    if set(key) != set(TABLE_KEYS) or not all(isinstance(key[name], str) and key[name] for name in TABLE_KEYS):
        raise ValueError(f"The provided key element does not match the schema: {sorted(key)}")
    return key["pk"], key["sk"]


def _wire_identity(key: Mapping[str, Wire]) -> tuple[str, str]:
    return _identity({name: value.get("S") for name, value in key.items()})


def _checked(item: Item) -> Item:
    """Refuse what DynamoDB refuses: a key attribute (of the table or an index) that is not a non-empty string, or
    longer than its limit (KEY_BYTES)."""
    for name in KEY_ATTRIBUTES.intersection(item):
        if not (set(item[name]) == {"S"} and item[name]["S"]):
            raise ValueError(f"key attribute {name} must be a non-empty string, not {item[name]}")
        if len(item[name]["S"].encode()) > KEY_BYTES[name]:
            raise ValueError(f"key attribute {name} is longer than DynamoDB's {KEY_BYTES[name]} bytes")
    return item


def _plain(item: Item) -> dict[str, Any]:
    return deserialize(copy.deepcopy(item))


def _plain_key(item: Item | None, names: Iterable[str]) -> dict[str, Any] | None:
    return deserialize({name: item[name] for name in names}) if item is not None else None


def _string(cursor: Mapping[str, Any], name: str) -> str:
    value = cursor.get(name)
    if not isinstance(value, str):
        raise ValueError(f"The provided starting key is invalid: {name} is missing")
    return value


def _project(item: Item, index: Index) -> Item:
    kept = {*TABLE_KEYS, index.hash_key, index.range_key, *index.projected}
    return {name: value for name, value in item.items() if name in kept}


def _page(found: Sequence[tuple[tuple[str, ...], Item]], forward: bool, limit: int | None,
          start: tuple[str, ...] | None) -> tuple[list[Item], Item | None]:
    """Rows in sort-key order after `start`; at most `limit` evaluated, and the last of them when Limit stopped us."""
    rows = sorted(found, key=lambda row: row[0], reverse=not forward)
    if start is not None:
        rows = [row for row in rows if (row[0] > start if forward else row[0] < start)]
    if limit is None or len(rows) < limit:
        return [item for _, item in rows], None
    # DynamoDB stops when it has evaluated Limit items and hands back where it stopped, more to come or not.
    evaluated = [item for _, item in rows[:limit]]
    return evaluated, evaluated[-1]


# --- writes ------------------------------------------------------------------------------------------------------
@dataclass
class _Write:
    """One Put, Update or Delete as a request carries it: which item, on what condition, and what it leaves."""

    identity: tuple[str, str]
    check: Callable[[Item], bool]
    apply: Callable[[Item | None], Item | None]

    def holds(self, current: Item | None) -> bool:
        return self.check(current or {})

    @classmethod
    def of(cls, action: Mapping[str, Any], table: str) -> _Write:
        (kind, request), = action.items()
        if request.get("TableName") != table:
            raise ValueError(f"action for table {request.get('TableName')}, this is {table}")
        names = request.get("ExpressionAttributeNames", {})
        values = request.get("ExpressionAttributeValues", {})
        expressions = [request.get("ConditionExpression") or "", request.get("UpdateExpression") or ""]
        _all_used(expressions, names, values)
        condition = request.get("ConditionExpression")
        check = parse_condition(condition, names, values) if condition else _always
        if kind == "Put":
            item = _checked(copy.deepcopy(request["Item"]))
            return cls(_wire_identity({name: item.get(name, {}) for name in TABLE_KEYS}), check, lambda _: item)
        if kind == "Delete":
            return cls(_wire_identity(request["Key"]), check, lambda _: None)
        if kind == "Update":
            key = copy.deepcopy(request["Key"])
            update = request.get(_UPDATE)
            if not isinstance(update, Update):
                raise ValueError("an update action for MemoryTable comes from its own update_action")
            return cls(_wire_identity(key), check, lambda current: _updated(current, key, update))
        raise ValueError(f"unknown transaction action {kind}")


def _always(item: Item) -> bool:
    return True


def _all_used(expressions: list[str], names: Mapping[str, str], values: Mapping[str, Any]) -> None:
    """DynamoDB refuses a request whose names or values no expression uses."""
    used = set(re.findall(r"[#:]\w+", " ".join(expressions)))
    unused = (set(names) | set(values)) - used
    if unused:
        raise ValueError(f"Value provided in ExpressionAttributeNames/Values unused in expressions: {sorted(unused)}")


def _updated(current: Item | None, key: Item, update: Update) -> Item:
    """The item after an UpdateItem: every right-hand side reads the item as it was, as DynamoDB's do."""
    before = current or {}
    after = {**copy.deepcopy(before), **key}
    if {operation.attribute for operation in update.operations} & set(TABLE_KEYS):
        raise ValueError("Cannot update attribute pk or sk: it is part of the key")
    if _overlapping(update):
        raise ValueError("Two document paths overlap with each other")
    for operation in update.operations:
        name = operation.attribute
        if operation.kind == "remove":
            after.pop(name, None)
        elif operation.kind == "set":
            after[name] = _wire(operation.value)
        elif operation.kind == "set_if_absent":
            after[name] = copy.deepcopy(before[name]) if name in before else _wire(operation.value)
        elif operation.kind == "append":
            existing = before.get(name, {"L": []})
            if "L" not in existing:
                raise ValueError(f"list_append on {name}, which is not a list")
            after[name] = {"L": copy.deepcopy(existing["L"]) + _wire(list(operation.value))["L"]}
        elif operation.kind == "add":
            existing = before.get(name, {"N": "0"})
            if "N" not in existing:
                raise ValueError(f"ADD on {name}, which is not a number")
            total = DYNAMODB_CONTEXT.add(Decimal(existing["N"]), Decimal(_wire(operation.value)["N"]))
            after[name] = {"N": str(total)}
    return _checked(after)


def _overlapping(update: Update) -> bool:
    """One attribute in two clauses, which DynamoDB refuses (REMOVE twice is one path: Update renders it once)."""
    removed = {operation.attribute for operation in update.operations if operation.kind == "remove"}
    changed = [operation.attribute for operation in update.operations if operation.kind != "remove"]
    return len(set(changed)) < len(changed) or bool(removed & set(changed))


def _wire(value: Any) -> Wire:
    return serialize({"value": value})["value"]


# --- condition expressions ---------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(<>|<=|>=|=|<|>|\(|\)|,|#\w+|:\w+|[A-Za-z_][\w.]*)")
_COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
Operand = Callable[[Item], Wire | None]
Check = Callable[[Item], bool]


def parse_condition(expression: str, names: Mapping[str, str], values: Mapping[str, Wire]) -> Check:
    """A ConditionExpression as leadwire writes them, compiled to a check over a stored item.

    condition  := disjunct (OR disjunct)*          disjunct := conjunct (AND conjunct)*
    conjunct   := NOT conjunct | ( condition ) | function ( operand [, operand] )
                | operand comparator operand | operand BETWEEN operand AND operand | operand IN ( operand, ... )
    operand    := #name | :value | attribute
    """
    return _Parser(expression, names, values).parse()


class _Parser:
    def __init__(self, expression: str, names: Mapping[str, str], values: Mapping[str, Wire]) -> None:
        self.tokens = _tokens(expression)
        self.position = 0
        self.names = names
        self.values = values

    def parse(self) -> Check:
        check = self._disjunction()
        if self.position != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.position]!r} in condition")
        return check

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token.upper() == word:
            self.position += 1
            return True
        return False

    def _expect(self, token: str) -> None:
        if self._peek() != token:
            raise ValueError(f"expected {token!r} in condition, found {self._peek()!r}")
        self.position += 1

    def _disjunction(self) -> Check:
        checks = [self._conjunction()]
        while self._keyword("OR"):
            checks.append(self._conjunction())
        return checks[0] if len(checks) == 1 else lambda item: any(check(item) for check in checks)

    def _conjunction(self) -> Check:
        checks = [self._negation()]
        while self._keyword("AND"):
            checks.append(self._negation())
        return checks[0] if len(checks) == 1 else lambda item: all(check(item) for check in checks)

    def _negation(self) -> Check:
        if self._keyword("NOT"):
            inner = self._negation()
            return lambda item: not inner(item)
        if self._peek() == "(":
            self.position += 1
            if self._peek() == "(" and self._after_group() == ")":
                raise ValueError("The expression has redundant parentheses")  # `((x))`, as DynamoDB refuses it
            inner = self._disjunction()
            self._expect(")")
            return inner
        token = self._peek() or ""
        if token.lower() in _FUNCTIONS:
            return self._function(token.lower())
        return self._comparison()

    def _after_group(self) -> str | None:
        """The token after the parenthesised group that starts here."""
        depth = 0
        for position in range(self.position, len(self.tokens)):
            depth += {"(": 1, ")": -1}.get(self.tokens[position], 0)
            if depth == 0:
                return self.tokens[position + 1] if position + 1 < len(self.tokens) else None
        return None

    def _function(self, name: str) -> Check:
        self.position += 1
        operands = self._operand_list()
        test = _FUNCTIONS[name]
        return lambda item: test(*(operand(item) for operand in operands))

    def _operand_list(self) -> list[Operand]:
        """`( operand, operand, ... )`: a function's arguments, or the options of IN."""
        self._expect("(")
        operands = [self._operand()]
        while self._peek() == ",":
            self.position += 1
            operands.append(self._operand())
        self._expect(")")
        return operands

    def _comparison(self) -> Check:
        left = self._operand()
        if self._keyword("BETWEEN"):
            low = self._operand()
            if not self._keyword("AND"):
                raise ValueError("BETWEEN needs AND")
            high = self._operand()
            return lambda item: _ordered(left(item), ">=", low(item)) and _ordered(left(item), "<=", high(item))
        if self._keyword("IN"):
            options = self._operand_list()
            return lambda item: any(_equal(left(item), option(item)) for option in options)
        comparator = self._peek()
        if comparator not in _COMPARATORS:
            raise ValueError(f"expected a comparison in condition, found {comparator!r}")
        self.position += 1
        right = self._operand()
        if comparator == "=":
            return lambda item: _equal(left(item), right(item))
        if comparator == "<>":
            return lambda item: not _equal(left(item), right(item))
        return lambda item: _ordered(left(item), comparator, right(item))

    def _operand(self) -> Operand:
        token = self._peek()
        if token is None or token in "(),":
            raise ValueError(f"expected an attribute or value in condition, found {token!r}")
        self.position += 1
        if token.startswith(":"):
            if token not in self.values:
                raise ValueError(f"An expression attribute value used in expression is not defined: {token}")
            value = self.values[token]
            return lambda item: value
        if token.startswith("#"):
            if token not in self.names:
                raise ValueError(f"An expression attribute name used in expression is not defined: {token}")
            token = self.names[token]
        elif token.upper() in _RESERVED_WORDS:
            raise ValueError(f"Attribute name is a reserved keyword; reserved keyword: {token}")
        attribute = token
        return lambda item: item.get(attribute)


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    stripped = expression.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:
            raise ValueError(f"cannot read condition {expression!r} at {position}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _comparable(value: Wire) -> tuple[str, Any]:
    (kind, content), = value.items()
    if kind == "N":
        return kind, Decimal(content)
    if kind in ("SS", "BS"):
        return kind, frozenset(content)
    if kind == "NS":
        return kind, frozenset(Decimal(number) for number in content)
    if kind == "L":
        return kind, tuple(_comparable(element) for element in content)
    if kind == "M":
        return kind, tuple(sorted((name, _comparable(element)) for name, element in content.items()))
    return kind, content


def _equal(left: Wire | None, right: Wire | None) -> bool:
    """DynamoDB's `=`: false when either side is missing or the types differ (a 0 is not a false)."""
    return left is not None and right is not None and _comparable(left) == _comparable(right)


def _ordered(left: Wire | None, comparator: str, right: Wire | None) -> bool:
    """DynamoDB's `<`, `<=`, `>`, `>=`: only between two strings, two numbers or two binaries."""
    if left is None or right is None:
        return False
    (left_kind, left_value), (right_kind, right_value) = _comparable(left), _comparable(right)
    if left_kind != right_kind or left_kind not in ("S", "N", "B"):
        return False
    return {"<": left_value < right_value, "<=": left_value <= right_value,
            ">": left_value > right_value, ">=": left_value >= right_value}[comparator]


def _begins_with(value: Wire | None, prefix: Wire | None) -> bool:
    if value is None or prefix is None or set(value) != set(prefix) or set(value) - {"S", "B"}:
        return False
    return bool(next(iter(value.values())).startswith(next(iter(prefix.values()))))


def _contains(value: Wire | None, operand: Wire | None) -> bool:
    """A string holding a substring, or a list or set holding an element, as DynamoDB's `contains` reads them."""
    if value is None or operand is None:
        return False
    if "S" in value:
        return "S" in operand and operand["S"] in value["S"]
    if "L" in value:
        return any(_equal(element, operand) for element in value["L"])
    kind = next(iter(operand))
    return f"{kind}S" in value and operand[kind] in value[f"{kind}S"]


_FUNCTIONS: dict[str, Callable[..., bool]] = {
    "attribute_exists": lambda value: value is not None,
    "attribute_not_exists": lambda value: value is None,
    "begins_with": _begins_with,
    "contains": _contains,
}

# DynamoDB's reserved words (docs: "Reserved words in DynamoDB"): a condition must name these through `#name`.
_RESERVED_TEXT = """
ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ASC ASCII
ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK BACKUP BASE
BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE CALL CALLED CALLING
CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS CLOB CLOSE CLUSTER CLUSTERED CLUSTERING
CLUSTERS COALESCE COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS
CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED CONTINUE
CONVERT COPY CORRESPONDING COUNT COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE DATA DATABASE DATE DATETIME DAY
DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF
DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT DISTRIBUTE DO
DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED
EVAL EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT
EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED
FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL FUNCTION FUNCTIONS GENERAL GENERATE GET GLOB
GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF
IGNORE IMMEDIATE IMPORT IN INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE
INITIALLY INLINE INNER INNTER INOUT INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE
IS ISOLATION ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS
LEVEL LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS LOG LOGED LONG
LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD MODE MODIFIES
MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF NUMBER
NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER ORDINALITY OTHER OTHERS OUT
OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS PARTIAL PARTITION PARTITIONED PARTITIONS
PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN POOL POSITION PRECISION PREPARE PRESERVE PRIMARY
PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT QUORUM
RAISE RANDOM RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE REF REFERENCE REFERENCES REFERENCING
REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER RENAME REPEAT REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE
RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS
RULE RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT
SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR
SIZE SKEWED SMALLINT SNAPSHOT SOME SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR
SQLEXCEPTION SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT STYLE SUB
SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY
TERMINATED TEXT THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION
TRANSFORM TRANSLATE TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION UNIQUE UNIT UNKNOWN
UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS USING UUID VACUUM VALUE VALUED
VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE WINDOW WITH
WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE
"""
_RESERVED_WORDS = frozenset(_RESERVED_TEXT.split())
