"""Conditions over a lead, shared by scoring and routing. A condition never raises: a missing field or a value of
the wrong type simply does not match (bad regular expressions are refused when the config is saved)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from leadwire.config import Condition


def field_value(lead: Mapping[str, Any], field: str) -> Any:
    """A lead field, `email_domain`, `utm.<key>` or `fields.<name>`; None when absent."""
    if field == "email_domain":
        email = lead.get("email")
        return email.rpartition("@")[2].lower() if isinstance(email, str) and "@" in email else None
    head, _, rest = field.partition(".")
    if rest and head in ("utm", "fields"):
        nested = lead.get(head)
        return nested.get(rest) if isinstance(nested, Mapping) else None
    return lead.get(field)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _folded(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def matches(condition: Condition, lead: Mapping[str, Any]) -> bool:
    value = field_value(lead, condition.field)
    op, wanted = condition.op, condition.value
    if op == "exists":
        return _present(value) is (wanted is not False)
    if not _present(value):
        return False
    values = value if isinstance(value, list) else [value]
    if op == "equals":
        return any(_folded(item) == _folded(wanted) for item in values)
    if op == "in":
        choices = {_folded(choice) for choice in wanted if isinstance(choice, str | int | float)}
        return any(_folded(item) in choices for item in values if isinstance(item, str | int | float))
    if op == "contains":
        if isinstance(value, list):
            return any(_folded(item) == _folded(wanted) for item in value)
        return isinstance(value, str) and isinstance(wanted, str) and wanted.casefold() in value.casefold()
    if op == "matches":
        return any(isinstance(item, str) and _regex(wanted).search(item) is not None for item in values)
    number = _number(value)
    if number is None:
        return False
    return number >= wanted if op == "gte" else number <= wanted
