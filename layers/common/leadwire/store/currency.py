"""The business's currency: set by the first amount it records, then the only one its books accept."""

from __future__ import annotations

from leadwire.errors import ValidationFailed
from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store


def current(store: Store) -> str | None:
    item = store.get(schema.BUSINESS_CURRENCY)
    return str(item["currency"]) if item else None


def settle(store: Store, currency: str, field: str = "currency") -> str:
    """`currency` when it is the business's (the first amount ever recorded sets it); a 422 naming `field`
    otherwise, so amounts in two currencies are never added up."""
    known = current(store)
    if known is None:
        try:
            store.put({**schema.BUSINESS_CURRENCY, "currency": currency}, "attribute_not_exists(pk)")
            return currency
        except ConditionFailed:  # another request set it first
            known = current(store)
    if known != currency:
        raise ValidationFailed([{"field": field, "reason": f"this business keeps its books in {known}, not "
                                                           f"{currency}; convert the amount first"}],
                               f"amounts are in {known}: one currency per business")
    return currency
