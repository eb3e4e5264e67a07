"""Conditions over a lead, shared by scoring and routing. A condition never raises: a missing field or a value of
the wrong type simply does not match (bad regular expressions are refused when the config is saved)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from leadwire import regex_engine
from leadwire.config import Condition
from leadwire.intake.normalize import email_domain
from leadwire.lead import LeadRecord

_NESTED = ("utm", "fields")
LeadFields = Mapping[str, Any] | LeadRecord  # a stored lead, or the plain fields of one (rules are tried on both)


def field_value(lead: LeadFields, field: str) -> Any:
    """A lead field, `email_domain`, `utm.<key>` or `fields.<name>`; None when absent."""
    get = lead.get if isinstance(lead, Mapping) else lambda name: getattr(lead, name, None)
    if field == "email_domain":
        email = get("email")
        return email_domain(email) if isinstance(email, str) else None
    head, _, rest = field.partition(".")
    if rest and head in _NESTED:
        nested = get(head)
        return nested.get(rest) if isinstance(nested, Mapping) else None
    value = get(field)
    return value.model_dump() if isinstance(value, BaseModel) else value


def matches(condition: Condition, lead: LeadFields) -> bool:
    """True when the lead meets the condition; False for anything missing or of the wrong type, never an error."""
    value = field_value(lead, condition.field)
    if condition.op == "exists":
        return _present(value) is (condition.value is not False)
    if not _present(value):
        return False
    return _OPS[condition.op](value, condition.value)


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() != ""
    return value is not None and value != [] and value != {}


def _number(value: Any) -> float | None:
    """A finite number from a number or a numeric string; None for anything else (bools are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _comparable(value: Any) -> tuple[str, Any] | None:
    """What equality compares: strings ignoring case, numbers by value, bools only with bools, nothing else."""
    if isinstance(value, str):
        return ("text", value.casefold())
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float | Decimal):
        number = _number(value)
        return ("number", number) if number is not None else None
    return None


def _elements(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _equals(value: Any, wanted: Any) -> bool:
    target = _comparable(wanted)
    return target is not None and any(_comparable(item) == target for item in _elements(value))


def _in(value: Any, wanted: Any) -> bool:
    if not isinstance(wanted, list):
        return False
    choices = {key for choice in wanted if (key := _comparable(choice)) is not None}
    return any(_comparable(item) in choices for item in _elements(value))


def _contains(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return _equals(value, wanted)
    return isinstance(value, str) and isinstance(wanted, str) and wanted.casefold() in value.casefold()


@lru_cache(maxsize=256)
def _regex(pattern: str) -> Any:
    """The owner's pattern compiled by RE2, which matches in linear time: no crafted lead can stall a shard."""
    try:
        return regex_engine.compile(pattern)
    except ValueError:
        return None  # unreachable for validated configs; a condition must still never raise


def _matches(value: Any, wanted: Any) -> bool:
    regex = _regex(wanted) if isinstance(wanted, str) else None
    return regex is not None and any(isinstance(item, str) and regex.search(item) for item in _elements(value))


def _compare(at_least: bool) -> Callable[[Any, Any], bool]:
    def compare(value: Any, wanted: Any) -> bool:
        number, bound = _number(value), _number(wanted)
        if number is None or bound is None:
            return False
        return number >= bound if at_least else number <= bound
    return compare


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equals, "in": _in, "contains": _contains, "matches": _matches,
    "gte": _compare(at_least=True), "lte": _compare(at_least=False),
}
