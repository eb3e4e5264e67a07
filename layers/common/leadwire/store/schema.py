"""The table schema: every key format and index name, as template.yaml declares the table. Nothing outside the store
package builds a key; the repositories beside this module call these functions."""

from __future__ import annotations

import secrets
import zlib

Key = dict[str, str]

# Indexes (template.yaml: GlobalSecondaryIndexes)
BY_CREATED = "by_created"  # list_pk, created_at: every lead, newest first
BY_OWNER = "by_owner"  # owner, created_at: a rep's leads
DUE = "due"  # due_shard, due_at: sparse, only leads with follow-up work due
DUE_SHARDS = 4
LIST_PK = "LEAD"

_LEAD = "LEAD#"
_LEAD_SK = "LEAD"
_TIMELINE = "TL#"
_EVENT = "EVT#"
_REPS = "REPS"
_REP = "REP#"


def new_lead_id() -> str:
    return secrets.token_hex(10)


def lead(lead_id: str) -> Key:
    return {"pk": f"{_LEAD}{lead_id}", "sk": _LEAD_SK}


def lead_partition(lead_id: str) -> str:
    """Everything about one lead sits in its partition: the lead item, its timeline and its engagement events."""
    return f"{_LEAD}{lead_id}"


def lead_id_of(key: dict[str, object]) -> str | None:
    """The lead a lead item's key names (a stream record's keys), or None for any other item."""
    pk, sk = str(key.get("pk", "")), str(key.get("sk", ""))
    return pk.removeprefix(_LEAD) if pk.startswith(_LEAD) and sk == _LEAD_SK else None


def is_lead_item(key: dict[str, object]) -> bool:
    return key.get("sk") == _LEAD_SK


def timeline_entry(lead_id: str, at: str) -> Key:
    return {"pk": lead_partition(lead_id), "sk": f"{_TIMELINE}{at}#{secrets.token_hex(3)}"}


def is_event(key: dict[str, object]) -> bool:
    return str(key.get("sk", "")).startswith(_EVENT)


EVENT_PREFIX = _EVENT


def event(lead_id: str, event_id: str) -> Key:
    return {"pk": lead_partition(lead_id), "sk": f"{_EVENT}{event_id}"}


def email(address: str) -> Key:
    return {"pk": f"EMAIL#{address}", "sk": "KEY"}


def phone(number: str) -> Key:
    return {"pk": f"PHONE#{number}", "sk": "KEY"}


def platform_ref(source: str, ref: str) -> Key:
    return {"pk": f"REF#{source}#{ref}", "sk": "KEY"}


REPS_PARTITION = _REPS
REP_PREFIX = _REP


def rep(rep_id: str) -> Key:
    return {"pk": _REPS, "sk": f"{_REP}{rep_id}"}


def routing_counter(strategy: str, pool: str) -> Key:
    return {"pk": "COUNTER#routing", "sk": f"{strategy}#{pool}"}


def company_owner(domain: str) -> Key:
    return {"pk": f"DOMAIN#{domain}", "sk": "OWNER"}


FUNNEL_PARTITION = "FUNNEL"


def funnel_cohort(day: str, source: str) -> Key:
    return {"pk": FUNNEL_PARTITION, "sk": f"{day}#{source}"}


def funnel_days(start: str, end: str) -> tuple[str, str]:
    """The sort-key range of every cohort from day `start` to day `end`, inclusive."""
    return f"{start}#", f"{end}#~"


def source_of_cohort(sk: str) -> str:
    return sk.partition("#")[2]


CONFIG_CURRENT: Key = {"pk": "CONFIG", "sk": "CURRENT"}


def config_version(version: int) -> Key:
    return {"pk": "CONFIG", "sk": f"V#{version:06d}"}


RESCORE_JOB: Key = {"pk": "JOB", "sk": "RESCORE"}


def due_shard(lead_id: str) -> str:
    """Spread due work over a few partitions so one busy partition never limits the sweep."""
    return f"DUE#{zlib.crc32(lead_id.encode()) % DUE_SHARDS}"


def due_shards() -> list[str]:
    return [f"DUE#{shard}" for shard in range(DUE_SHARDS)]
