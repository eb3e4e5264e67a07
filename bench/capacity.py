"""DynamoDB's capacity arithmetic: item sizes, read and write request units, and the writes each GSI adds.

Item size follows "DynamoDB item sizes and formats" (Amazon DynamoDB developer guide): the sum of attribute names and
values; strings and binaries by their bytes, numbers 1 byte per two significant digits plus 1, booleans and nulls
1 byte, lists and maps 3 bytes plus 1 per element. A write costs 1 unit per started KB of the larger of the item
before and after it; a read 1 unit per started 4 KB (half when eventually consistent); a transaction twice as much.
A GSI entry is written when the item enters, leaves or changes in the index: 1 write, or 2 when its index key
changes (delete the old entry, put the new one). Items here are in DynamoDB JSON ({"S": "..."}, {"N": "..."}, ...).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
TRANSACTION_FACTOR = 2

Item = Mapping[str, Mapping[str, Any]]


def _number_size(text: str) -> int:
    digits = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "").strip("0")
    return math.ceil(max(1, len(digits)) / 2) + 1


def _binary_size(value: bytes | bytearray | str) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else len(base64.b64decode(value))


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one typed value, without its attribute name."""
    (kind, data), = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return _number_size(str(data))
    if kind == "B":
        return _binary_size(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(member).encode()) for member in data)
    if kind == "NS":
        return sum(_number_size(str(member)) for member in data)
    if kind == "BS":
        return sum(_binary_size(member) for member in data)
    if kind == "L":
        return 3 + sum(value_size(member) + 1 for member in data)
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_size(member) + 1 for name, member in data.items())
    raise ValueError(f"not a DynamoDB type: {kind}")


def item_size(item: Item | None) -> int:
    """Bytes DynamoDB bills an item as: attribute names plus values (0 when there is no item)."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(before: int, after: int, transactional: bool = False) -> int:
    """Write request units of one item write: by the larger of the item before and after, at least 1."""
    units = max(1, math.ceil(max(before, after) / WRITE_UNIT_BYTES))
    return units * (TRANSACTION_FACTOR if transactional else 1)


def read_units(size: int, consistent: bool = True, transactional: bool = False) -> float:
    """Read request units of reading `size` bytes (one item, or the items one Query page read), at least 1 unit."""
    units = float(max(1, math.ceil(size / READ_UNIT_BYTES)))
    if transactional:
        return units * TRANSACTION_FACTOR
    return units if consistent else units / 2


@dataclass(frozen=True)
class Index:
    """A global secondary index: its keys and which attributes it projects."""

    name: str
    hash_key: str
    range_key: str | None
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: tuple[str, ...] = ()

    def entry(self, item: Item | None, table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        """The item as this index stores it, or None when the item is not in the (sparse) index."""
        if not item or self.hash_key not in item or (self.range_key and self.range_key not in item):
            return None
        if self.projection == "ALL":
            return dict(item)
        keep = {*table_keys, self.hash_key, *([self.range_key] if self.range_key else [])}
        if self.projection == "INCLUDE":
            keep.update(self.included)
        return {name: value for name, value in item.items() if name in keep}

    def key_of(self, entry: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(str(entry.get(name)) for name in (self.hash_key, self.range_key) if name)


def indexes_of(table_properties: Mapping[str, Any]) -> list[Index]:
    """The GSIs of an AWS::DynamoDB::Table's Properties, as template.yaml declares them."""
    found = []
    for spec in table_properties.get("GlobalSecondaryIndexes") or []:
        keys = {key["KeyType"]: key["AttributeName"] for key in spec["KeySchema"]}
        projection = spec.get("Projection") or {}
        found.append(Index(name=spec["IndexName"], hash_key=keys["HASH"], range_key=keys.get("RANGE"),
                           projection=projection.get("ProjectionType", "ALL"),
                           included=tuple(projection.get("NonKeyAttributes") or ())))
    return found


def index_write_units(before: Item | None, after: Item | None, index: Index, table_keys: tuple[str, ...]) -> int:
    """Write units one table write adds in one GSI (taken as not doubled by transactions: the index is updated
    asynchronously, after the transaction)."""
    old, new = index.entry(before, table_keys), index.entry(after, table_keys)
    if old is None and new is None:
        return 0
    if old is None:
        return write_units(0, item_size(new))
    if new is None:
        return write_units(item_size(old), 0)
    if index.key_of(old) != index.key_of(new):
        return write_units(item_size(old), 0) + write_units(0, item_size(new))
    if old != new:
        return write_units(item_size(old), item_size(new))
    return 0


def size_profile(items: list[Item], top: int = 5) -> dict[str, Any]:
    """How big these items are against the 1 KB write unit: median and largest size, the share of them over one
    unit (each write of those costs 2 units or more, twice that in a transaction) and the attributes that weigh
    most (mean bytes, name included)."""
    if not items:
        return {"items": 0}
    sizes = sorted(item_size(item) for item in items)
    weights: dict[str, int] = {}
    for item in items:
        for name, value in item.items():
            weights[name] = weights.get(name, 0) + len(name.encode()) + value_size(value)
    heaviest = sorted(weights.items(), key=lambda pair: (-pair[1], pair[0]))[:top]
    return {"items": len(sizes), "median_bytes": sizes[(len(sizes) - 1) // 2], "max_bytes": sizes[-1],
            "over_one_unit_share": round(sum(size > WRITE_UNIT_BYTES for size in sizes) / len(sizes), 3),
            "heaviest_attributes": {name: round(weight / len(items), 1) for name, weight in heaviest}}
