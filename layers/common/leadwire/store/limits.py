"""Counters per client or address and time window, for the abuse limits; each item expires (TTL) after its window."""

from __future__ import annotations

from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store, Update


def count(store: Store, name: str, subject: str, window: str, expires_at: int) -> int:
    """Add one to `subject`'s counter of `name` in `window`; how many there are now, this one included."""
    update = Update().add(n=1).set_if_absent(**{schema.TTL_ATTRIBUTE: expires_at})
    answer = store.update(schema.rate_counter(name, subject, window), update, return_new=True)
    return int((answer or {}).get("n", 1))


def count_once(store: Store, name: str, subject: str, window: str, member: str, cap: int, expires_at: int) -> bool:
    """Count `member` once under `subject`'s cap of `name` in `window`: True when it is within the cap (counted
    now, or already counted before: a repeat never counts twice), False when the cap is reached. One conditional
    write of the window's counter, which lists what it counted (a cap is a few)."""
    key = schema.rate_counter(name, subject, window)
    counter = (Update().add(n=1).append(counted=[member]).set_if_absent(**{schema.TTL_ATTRIBUTE: expires_at})
               .when("attribute_not_exists(#n) OR (#n < :cap AND NOT contains(#counted, :member))",
                     cap=cap, member=member))
    try:
        store.update(key, counter)
    except ConditionFailed:
        return member in (store.get(key) or {}).get("counted", [])  # counted before, or the cap is reached
    return True
