"""The ad spend table: one item per day, source, account and campaign, in minor units; a row loaded again
overwrites the same item."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from leadwire.store import schema
from leadwire.store.table import Store

_PER_TRANSACTION = 100  # DynamoDB's limit of actions in one transaction


def put_rows(store: Store, rows: Iterable[dict[str, Any]]) -> int:
    """Store the rows (each `day`, `source`, `account`, `campaign`, `amount_minor`, `currency`, optional
    `campaign_id`); a hundred at a time, all or nothing per hundred. The number stored."""
    items = [{**schema.spend(row["day"], row["source"], row["account"], row["campaign"]), **row} for row in rows]
    unique = list({(item["pk"], item["sk"]): item for item in items}.values())  # the last row of a key wins
    for start in range(0, len(unique), _PER_TRANSACTION):
        store.transact([store.put_action(item) for item in unique[start:start + _PER_TRANSACTION]])
    return len(items)


def rows_between(store: Store, start_day: str, end_day: str) -> Iterator[dict[str, Any]]:
    """Every spend row from `start_day` to `end_day`, inclusive, by day."""
    for item in store.query_all(schema.SPEND_PARTITION, sk_between=schema.spend_days(start_day, end_day)):
        yield {name: value for name, value in item.items() if name not in ("pk", "sk")}
