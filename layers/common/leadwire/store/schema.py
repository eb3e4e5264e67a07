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
_SUBMISSION = "SUB#"
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


def timeline_entry(lead_id: str, at: str, name: str | None = None) -> Key:
    """A timeline entry's key: random after the instant, or `name` for an entry that a retry writes again."""
    return {"pk": lead_partition(lead_id), "sk": f"{_TIMELINE}{at}#{name or secrets.token_hex(3)}"}


def is_event(key: dict[str, object]) -> bool:
    return str(key.get("sk", "")).startswith(_EVENT)


EVENT_PREFIX = _EVENT


def event(lead_id: str, event_id: str) -> Key:
    return {"pk": lead_partition(lead_id), "sk": f"{_EVENT}{event_id}"}


SUBMISSION_PREFIX = _SUBMISSION


def submission(lead_id: str, at: str) -> Key:
    """One submission kept whole: `SUB#<instant>#<n>`, so a lead's submissions read oldest first."""
    return {"pk": lead_partition(lead_id), "sk": f"{_SUBMISSION}{at}#{secrets.token_hex(4)}"}


def submission_id(key: dict[str, object]) -> str:
    """The id a submission is shown by: its sort key without the prefix."""
    return str(key.get("sk", "")).removeprefix(_SUBMISSION)


def submission_key(lead_id: str, submission_id: str) -> Key:
    return {"pk": lead_partition(lead_id), "sk": f"{_SUBMISSION}{submission_id}"}


def is_submission(key: dict[str, object]) -> bool:
    return str(key.get("sk", "")).startswith(_SUBMISSION)


def submissions_after(at: str) -> tuple[str, str]:
    """The sort-key range of every submission after instant `at`."""
    return f"{_SUBMISSION}{at}#~", f"{_SUBMISSION}~"


def moved(key: dict[str, object], lead_id: str) -> Key:
    """The same item (timeline entry, event, submission) in another lead's partition."""
    return {"pk": lead_partition(lead_id), "sk": str(key["sk"])}


KEY_SK = "KEY"  # the sort key of every dedupe key (email, phone, platform id)


def email(address: str) -> Key:
    return {"pk": f"EMAIL#{address}", "sk": KEY_SK}


def phone(number: str) -> Key:
    return {"pk": f"PHONE#{number}", "sk": KEY_SK}


def phone_digits(digits: str) -> Key:
    """A phone that does not read as E.164, by its digits, so the same typing finds the same person."""
    return {"pk": f"PHONE#digits:{digits}", "sk": KEY_SK}


def plain_key(key: dict[str, object]) -> Key:
    return {"pk": str(key["pk"]), "sk": str(key["sk"])}


def platform_ref(source: str, ref: str) -> Key:
    return {"pk": f"REF#{source}#{ref}", "sk": KEY_SK}


REPS_PARTITION = _REPS
REP_PREFIX = _REP


def rep(rep_id: str) -> Key:
    return {"pk": _REPS, "sk": f"{_REP}{rep_id}"}


def routing_counter(strategy: str, pool: str) -> Key:
    return {"pk": "COUNTER#routing", "sk": f"{strategy}#{pool}"}


def company_owner(domain: str) -> Key:
    return {"pk": f"DOMAIN#{domain}", "sk": "OWNER"}


FUNNEL_PARTITION = "FUNNEL"


def _part(text: str) -> str:
    """A value inside a composite sort key: `#` (the separator) and `%` written as in a URL."""
    return text.replace("%", "%25").replace("#", "%23")


def _unpart(text: str) -> str:
    return text.replace("%23", "#").replace("%25", "%")


def funnel_cohort_sk(day: str, source: str, channel: str, campaign: str) -> str:
    """One cohort of leads: the UTC day they arrived, the door they came through, and where they are attributed
    (the paid source and campaign their spend is matched to)."""
    return f"{day}#{_part(source)}#{_part(channel)}#{_part(campaign)}"


def funnel_cohort(sk: str) -> Key:
    return {"pk": FUNNEL_PARTITION, "sk": sk}


def legacy_funnel_cohort_sk(day: str, source: str) -> str:
    """The cohort of a lead stored before cohorts named their campaign: its day and door only."""
    return f"{day}#{source}"


def funnel_days(start: str, end: str) -> tuple[str, str]:
    """The sort-key range of every cohort from day `start` to day `end`, inclusive."""
    return f"{start}#", f"{end}#~"


def cohort_of(sk: str) -> tuple[str, str, str, str]:
    """(day, door, channel, campaign) of a cohort's sort key; a legacy cohort is attributed to its door."""
    day, _, rest = sk.partition("#")
    parts = rest.split("#")
    if len(parts) < 3:
        return day, _unpart(parts[0]), _unpart(parts[0]), ""
    return day, _unpart(parts[0]), _unpart(parts[1]), _unpart(parts[2])


SPEND_PARTITION = "SPEND"


def spend(day: str, source: str, account: str, campaign: str) -> Key:
    """One day of ad spend of one campaign: re-importing the same row overwrites it."""
    return {"pk": SPEND_PARTITION, "sk": f"{day}#{_part(source)}#{_part(account)}#{_part(campaign)}"}


def spend_days(start: str, end: str) -> tuple[str, str]:
    """The sort-key range of every spend row from day `start` to day `end`, inclusive."""
    return f"{start}#", f"{end}#~"


BUSINESS_CURRENCY: Key = {"pk": "MONEY", "sk": "CURRENCY"}

IMPORT_JOB_SK = "JOB"
IMPORT_CHUNK_PREFIX = "CHUNK#"


def import_partition(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def import_job(import_id: str) -> Key:
    return {"pk": import_partition(import_id), "sk": IMPORT_JOB_SK}


def import_chunk(import_id: str, number: int) -> Key:
    """A slice of an imported file's rows: written with the job, each processed once by the import function."""
    return {"pk": import_partition(import_id), "sk": f"{IMPORT_CHUNK_PREFIX}{number:05d}"}


def import_of_chunk(key: dict[str, object]) -> tuple[str, int] | None:
    """(import id, chunk number) a chunk item's key names, or None for any other item."""
    pk, sk = str(key.get("pk", "")), str(key.get("sk", ""))
    if not pk.startswith("IMPORT#") or not sk.startswith(IMPORT_CHUNK_PREFIX):
        return None
    return pk.removeprefix("IMPORT#"), int(sk.removeprefix(IMPORT_CHUNK_PREFIX))


def imported_file(digest: str) -> Key:
    """The first import of a file (by the digest of its bytes and mapping): later ones repeat it."""
    return {"pk": f"IMPORTED#{digest}", "sk": "FILE"}


CONFIG_CURRENT: Key = {"pk": "CONFIG", "sk": "CURRENT"}


CONFIG_PARTITION = "CONFIG"
CONFIG_VERSION_PREFIX = "V#"


def config_version(version: int) -> Key:
    return {"pk": CONFIG_PARTITION, "sk": f"{CONFIG_VERSION_PREFIX}{version:06d}"}


RESCORE_JOB: Key = {"pk": "JOB", "sk": "RESCORE"}


OUTBOX_SHARDS = 2  # each takes 1,000 writes a second; every sweep queries each
_OUTBOX = "OUT#"


def outbox_intent(intent_id: str, due_at: str) -> Key:
    """An intent to deliver (the emails and events of one change), in a few partitions of its own (erasing a lead
    finds its intents still waiting there: `outbox.waiting_of`), sorted by when the sweep should try it:
    the sweep queries the table itself, so an intent delivered at once (nearly all) never touches an index."""
    return {"pk": _shard(_OUTBOX, intent_id, OUTBOX_SHARDS), "sk": f"{due_at}#{intent_id}"}


def outbox_shards() -> list[str]:
    return _shards(_OUTBOX, OUTBOX_SHARDS)


def outbox_due_by(upto: str) -> tuple[str, str]:
    """The sort-key range of every intent due by instant `upto`."""
    return "0", f"{upto}#~"


def due_shard(lead_id: str) -> str:
    """Spread due work over a few partitions so one busy partition never limits the sweep."""
    return _shard("DUE#", lead_id, DUE_SHARDS)


def due_shards() -> list[str]:
    return _shards("DUE#", DUE_SHARDS)


def _shard(prefix: str, identity: str, count: int) -> str:
    return f"{prefix}{zlib.crc32(identity.encode()) % count}"


def _shards(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{shard}" for shard in range(count)]


SUBSCRIPTIONS_PARTITION = "HOOKS"
_SUBSCRIPTION = "HOOK#"
_DELIVERY = "DLV#"
HOOK_DUE_SHARDS = 2


def subscription(subscription_id: str) -> Key:
    """An outbound subscription (a signed webhook or a Slack incoming webhook), all of them in one partition."""
    return {"pk": SUBSCRIPTIONS_PARTITION, "sk": f"{_SUBSCRIPTION}{subscription_id}"}


SUBSCRIPTION_PREFIX = _SUBSCRIPTION
DELIVERY_PREFIX = _DELIVERY


def deliveries_partition(subscription_id: str) -> str:
    return f"{_SUBSCRIPTION}{subscription_id}"


def delivery(subscription_id: str, event_at: str, event_id: str) -> Key:
    """One event's delivery to one subscription: `DLV#<event instant>#<event id>`, so its deliveries read newest
    first, and fanning the same event out again finds the item it wrote."""
    return {"pk": deliveries_partition(subscription_id), "sk": f"{_DELIVERY}{event_at}#{event_id}"}


def hook_due_shard(delivery_id: str) -> str:
    """Deliveries waiting for a retry sit in the `due` index under shards of their own (not the outbox's)."""
    return _shard("HOOKDUE#", delivery_id, HOOK_DUE_SHARDS)


def hook_due_shards() -> list[str]:
    return _shards("HOOKDUE#", HOOK_DUE_SHARDS)


# Meta Lead Ads sources: every Page and form seen or listed, and per form and UTC day the leads that came by
# webhook and those a poll recovered (one small partition: a business has a handful of Pages and forms).
META_SOURCES = "SOURCE#meta"
META_PAGE_PREFIX = "PAGE#"
META_FORM_PREFIX = "FORM#"


def meta_page(page_id: str) -> Key:
    return {"pk": META_SOURCES, "sk": f"{META_PAGE_PREFIX}{page_id}"}


def meta_form(form_id: str) -> Key:
    return {"pk": META_SOURCES, "sk": f"{META_FORM_PREFIX}{form_id}"}


def meta_form_day(form_id: str, day: str) -> Key:
    return {"pk": META_SOURCES, "sk": f"DAY#{form_id}#{day}"}


def meta_form_days(form_id: str, start: str, end: str) -> tuple[str, str]:
    """The sort-key range of a form's day counters from day `start` to day `end`, inclusive."""
    return f"DAY#{form_id}#{start}", f"DAY#{form_id}#{end}~"


def day_of_counter(sk: str) -> str:
    return sk.rsplit("#", 1)[-1]
# Leads parked as stuck: a marker each, newest first, so `GET /leads?stuck=true` reads them without a Scan.
STUCK_PARTITION = "STUCK"


def stuck_marker(created_at: str, lead_id: str) -> Key:
    return {"pk": STUCK_PARTITION, "sk": f"{created_at}#{lead_id}"}


# --- counters and links that expire (template.yaml: TimeToLiveSpecification) ----------------------------------------
TTL_ATTRIBUTE = "expires_at"  # epoch seconds; DynamoDB deletes the item some time after


def rep_link(token_digest: str) -> Key:
    """A lead-page link, by the SHA-256 of its token (followup/rep_links): the token itself is never stored."""
    return {"pk": f"LINK#{token_digest}", "sk": "LINK"}


def rate_counter(name: str, subject: str, window: str) -> Key:
    """How often `subject` (a hashed client or address, never the raw one) did `name` in `window`."""
    return {"pk": f"RATE#{name}#{subject}", "sk": f"W#{window}"}

