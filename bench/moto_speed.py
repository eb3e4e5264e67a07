"""A stopgap until local_stack/moto_fidelity.py carries it: moto 5 answers every Query by sorting all items of the
table, comparing typed values that re-parse themselves on each comparison. A Query then costs O(n log n) slow
comparisons in the table's size, and the local stack slows down as leads pile up (0.1 s per Query at 300 leads;
1,000 leads posted at once took over 5 minutes to assign). Two fixes with the same answers: a Query on the table's
own key reads only its partition, and sorting uses values parsed once per item.
"""

from __future__ import annotations

from typing import Any

# Table.query(hash_key, range_comparison, range_objs, limit, start_key, forward, projection, index_name, ...)
_INDEX_NAME_POSITION = 6


def speed_up_queries() -> bool:
    """Idempotent (and a no-op when the local stack already did it); True when this call patched moto."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_leadwire_fast", False):
        return False
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
    return True
