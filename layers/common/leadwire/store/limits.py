"""Counters per client or address and time window, for the abuse limits; each item expires (TTL) after its window."""

from __future__ import annotations

from leadwire.store import schema
from leadwire.store.outcomes import failed_at
from leadwire.store.table import ConditionFailed, Store, Update


def count(store: Store, name: str, subject: str, window: str, expires_at: int) -> int:
    """Add one to `subject`'s counter of `name` in `window`; how many there are now, this one included."""
    update = Update().add(n=1).set_if_absent(**{schema.TTL_ATTRIBUTE: expires_at})
    answer = store.update(schema.rate_counter(name, subject, window), update, return_new=True)
    return int((answer or {}).get("n", 1))


def count_once(store: Store, name: str, subject: str, window: str, member: str, cap: int, expires_at: int) -> bool:
    """Count `member` once under `subject`'s cap of `name` in `window`: True when it is within the cap (counted
    now, or already counted before: a repeat never counts twice), False when the cap is reached."""
    marker = {**schema.rate_member(name, subject, window, member), schema.TTL_ATTRIBUTE: expires_at}
    counter = (Update().add(n=1).set_if_absent(**{schema.TTL_ATTRIBUTE: expires_at})
               .when("attribute_not_exists(#n) OR #n < :cap", cap=cap))
    try:
        store.transact([store.put_action(marker, "attribute_not_exists(pk)"),
                        store.update_action(schema.rate_counter(name, subject, window), counter)])
    except ConditionFailed as failure:
        return failed_at(failure, 0)  # already counted: within the cap; otherwise the cap is reached
    return True
