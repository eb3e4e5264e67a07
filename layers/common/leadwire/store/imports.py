"""Imported lists: the job (what was sent, how its columns map, the counts so far) and its rows in chunks, each
chunk counted into the job exactly once, in the same transaction that marks it done."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store, Update

_NOT_THERE = "attribute_not_exists(pk)"
COUNTS = ("created", "merged", "duplicates", "refused")


def claim_file(store: Store, digest: str, import_id: str, at: str) -> bool:
    """True for the first import of this file (digest of its bytes and mapping); False when it was imported before."""
    try:
        store.put({**schema.imported_file(digest), "import_id": import_id, "at": at}, _NOT_THERE)
    except ConditionFailed:
        return False
    return True


def start(store: Store, job: dict[str, Any], chunks: Sequence[dict[str, Any]]) -> None:
    """The job, then its chunks (a chunk written `pending` is taken up by the import function from the stream; one
    written with its results is counted into the job in the same transaction)."""
    import_id = job["id"]
    store.put({**schema.import_job(import_id), **job, **dict.fromkeys(COUNTS, 0), "chunks_done": 0})
    for number, chunk in enumerate(chunks):
        item = {**schema.import_chunk(import_id, number), "import_id": import_id, "number": number, **chunk}
        if chunk.get("state") == "done":
            store.transact([store.put_action(item, _NOT_THERE),
                            _count_action(store, import_id, chunk, job["created_at"])])
        else:
            store.put(item, _NOT_THERE)


def job(store: Store, import_id: str) -> dict[str, Any] | None:
    return store.get(schema.import_job(import_id))


def chunk(store: Store, import_id: str, number: int) -> dict[str, Any] | None:
    return store.get(schema.import_chunk(import_id, number))


def refused_rows(store: Store, import_id: str) -> list[dict[str, Any]]:
    """Every refused row of the chunks done so far, in row order."""
    refused = []
    for item in store.query_all(schema.import_partition(import_id), schema.IMPORT_CHUNK_PREFIX):
        refused += item.get("refused_rows", [])
    return sorted(refused, key=lambda row: row["row"])


def finish_chunk(store: Store, import_id: str, number: int, results: dict[str, Any], at: str) -> bool:
    """Record a chunk's results and add its counts to the job, once, with when (`at`) the job last moved on: False
    when it was done already (a redelivered stream record, or two workers on one chunk)."""
    done = (Update().set(state="done", rows=None, **{name: results[name] for name in (*COUNTS, "refused_rows")})
            .when("#state = :pending", pending="pending"))
    try:
        store.transact([store.update_action(schema.import_chunk(import_id, number), done),
                        _count_action(store, import_id, results, at)])
    except ConditionFailed:
        return False
    return True


def _count_action(store: Store, import_id: str, results: dict[str, Any], at: str) -> dict[str, Any]:
    counts = {name: int(results[name]) for name in COUNTS}
    moved_on = Update().add(chunks_done=1, **counts).set(progressed_at=at)
    return store.update_action(schema.import_job(import_id), moved_on)
