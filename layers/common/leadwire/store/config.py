"""The config document's versions, and the background re-scoring job a new version starts."""

from __future__ import annotations

import json
from typing import Any

from leadwire.config import Config, default_config
from leadwire.store import schema
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import ConditionFailed, Store, Update


def load_config(store: Store) -> tuple[int, Config]:
    """The document in force and its version; version 0 is the default that ships."""
    current = store.get(schema.CONFIG_CURRENT, consistent=False)
    if current is None:
        return 0, default_config()
    return int(current["version"]), _document(current)


def _document(item: dict[str, Any]) -> Config:
    document = item["document"]  # JSON text, exactly as accepted (a map in items written before that)
    return Config.model_validate(json.loads(document) if isinstance(document, str) else document)


def list_versions(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """The latest saved versions, newest first: number and when it was saved."""
    items, _ = store.query(schema.CONFIG_PARTITION, schema.CONFIG_VERSION_PREFIX, limit=limit, newest_first=True)
    return [{"version": int(item["version"]), "saved_at": item.get("saved_at")} for item in items]


def load_version(store: Store, version: int) -> Config | None:
    """A saved version's document; None for one never saved (version 0 is the default that ships)."""
    if version == 0:
        return default_config()
    item = store.get(schema.config_version(version), consistent=False)
    return _document(item) if item else None


def save_config(store: Store, config: Config, at: str) -> int:
    """Keep every accepted document; the new version becomes current only if nobody saved one meanwhile."""
    version, _ = load_config(store)
    # Kept as JSON text: DynamoDB numbers would round what the owner wrote, and a document that validated when it
    # was saved must validate when it is read.
    document = json.dumps(config.model_dump(by_alias=True, mode="json"), separators=(",", ":"))
    new_version = version + 1
    saved = {"version": new_version, "document": document, "saved_at": at}
    try:
        store.transact([store.put_action({**schema.config_version(new_version), **saved}, "attribute_not_exists(pk)"),
                        store.put_action({**schema.CONFIG_CURRENT, **saved})])
    except ConditionFailed as failure:
        raise ChangedMeanwhile("another config was saved meanwhile") from failure
    return new_version


def queue_rescore(store: Store, config_version: int, at: str) -> None:
    """Ask the follow-up sweep to re-score every open lead; a newer config replaces the job."""
    store.put({**schema.RESCORE_JOB, "config_version": config_version, "queued_at": at})


def rescore_job(store: Store) -> dict[str, Any] | None:
    return store.get(schema.RESCORE_JOB)


def advance_rescore_job(store: Store, job: dict[str, Any], cursor: dict[str, Any] | None) -> None:
    """Keep the job's place, or end it; only the job we read (a newer PUT /config replaced it otherwise)."""
    try:
        if cursor:
            store.update(schema.RESCORE_JOB,
                         Update().set(cursor=cursor).when("#queued_at = :seen", seen=job["queued_at"]))
        else:
            store.delete(schema.RESCORE_JOB, "queued_at = :seen", seen=job["queued_at"])
    except ConditionFailed:
        pass
