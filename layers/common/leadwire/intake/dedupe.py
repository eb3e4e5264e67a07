"""Storing a submission exactly once: a new lead, a merge into the person already known, or a repeat."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.lead import LeadInput
from leadwire.owner import reports
from leadwire.store import timeline
from leadwire.store.table import LIST_PK, ConditionFailed, Store, Update, due_shard, lead_key, new_id

logger = Logger(child=True)

Outcome = Literal["created", "merged", "duplicate"]
ENRICHMENT_FIRST_RETRY = timedelta(minutes=1)
_ATTEMPTS = 5


@dataclass(frozen=True)
class Accepted:
    lead_id: str
    outcome: Outcome
    source: str


def ref_key(source: str, ref: str) -> dict[str, str]:
    return {"pk": f"REF#{source}#{ref}", "sk": "KEY"}


def person_keys(lead: LeadInput | dict[str, Any]) -> list[dict[str, str]]:
    """The dedupe keys that identify a person: normalised email and E.164 phone."""
    get = lead.get if isinstance(lead, dict) else lambda name: getattr(lead, name)
    keys = []
    if get("email"):
        keys.append({"pk": f"EMAIL#{get('email')}", "sk": "KEY"})
    if get("phone"):
        keys.append({"pk": f"PHONE#{get('phone')}", "sk": "KEY"})
    return keys


def accept(lead: LeadInput, store: Store, now: datetime) -> Accepted:
    """Create or merge in one transaction each, retried when a concurrent writer got there first."""
    for _ in range(_ATTEMPTS):
        try:
            return _create(lead, store, now)
        except ConditionFailed as failure:
            known = _known_lead(lead, store, failure)
        if known is None:
            continue  # the key we collided with was deleted meanwhile (erasure): try creating again
        if known[1] == "duplicate":
            logger.info("duplicate delivery", extra={"source": lead.source})
            return Accepted(known[0], "duplicate", lead.source)
        try:
            return _merge(known[0], lead, store, now)
        except ConditionFailed:
            continue
    raise RuntimeError("could not store the lead after several concurrent conflicts")


def _known_lead(lead: LeadInput, store: Store, failure: ConditionFailed) -> tuple[str, Outcome] | None:
    if lead.source_ref:
        found = store.get(ref_key(lead.source, lead.source_ref))
        if found:
            return found["lead_id"], "duplicate"
    for key in person_keys(lead):
        found = store.get(key)
        if found:
            return found["lead_id"], "merged"
    return None


def _create(lead: LeadInput, store: Store, now: datetime) -> Accepted:
    lead_id = new_id()
    at = iso(now)
    item = new_lead_item(lead_id, lead, now)
    actions = [store.put_action(item, "attribute_not_exists(pk)")]
    if lead.source_ref:
        actions.append(store.put_action({**ref_key(lead.source, lead.source_ref), "lead_id": lead_id},
                                        "attribute_not_exists(pk)"))
    actions += [store.put_action({**key, "lead_id": lead_id}, "attribute_not_exists(pk)") for key in person_keys(lead)]
    actions.append(store.put_action(timeline.entry(lead_id, at, "submission", "intake", source=lead.source,
                                                   source_ref=lead.source_ref, outcome="created")))
    actions.append(reports.count_action(store, item, leads=1))
    store.transact(actions)
    logger.info("lead created", extra={"lead_id": lead_id, "source": lead.source})
    return Accepted(lead_id, "created", lead.source)


def new_lead_item(lead_id: str, lead: LeadInput, now: datetime) -> dict[str, Any]:
    at = iso(now)
    item: dict[str, Any] = {
        **lead_key(lead_id), "id": lead_id, "list_pk": LIST_PK, "created_at": at, "updated_at": at,
        "last_activity_at": at, "source": lead.source, "source_ref": lead.source_ref,
        **lead.person_fields(), "utm": lead.utm, "fields": lead.fields,
        "consent": lead.consent.model_dump(exclude_none=True) if lead.consent else None,
        "is_test": lead.is_test, "referrer": lead.referrer, "landing_page": lead.landing_page,
        "touches": 1, "status": "new", "unsubscribed": False, "inputs_version": 1,
        "refs": [lead.source_ref] if lead.source_ref else [],
    }
    if lead.pending_enrichment:
        # Nothing to score or assign until the Graph API tells us who this is.
        retry_at = iso(now + ENRICHMENT_FIRST_RETRY)
        item.update(pending_enrichment=True, enrich_attempts=0, enrich_next_at=retry_at,
                    due_at=retry_at, due_shard=due_shard(lead_id))
    else:
        item["score_due"] = 1
    return item


def _merge(lead_id: str, lead: LeadInput, store: Store, now: datetime) -> Accepted:
    at = iso(now)
    update = (Update().set_if_absent(**lead.person_fields())
              .set(updated_at=at, last_activity_at=at, score_due=1)
              .add(touches=1, inputs_version=1)
              .append(refs=[lead.source_ref] if lead.source_ref else [])
              .when("attribute_exists(pk)"))
    actions = [store.update_action(lead_key(lead_id), update)]
    if lead.source_ref:
        actions.append(store.put_action({**ref_key(lead.source, lead.source_ref), "lead_id": lead_id},
                                        "attribute_not_exists(pk)"))
    actions.append(store.put_action(timeline.entry(lead_id, at, "merge", "intake", source=lead.source,
                                                   source_ref=lead.source_ref, outcome="merged")))
    try:
        store.transact(actions)
    except ConditionFailed as failure:
        if lead.source_ref and len(failure.reasons) > 1 and failure.reasons[1] == "ConditionalCheckFailed":
            return Accepted(lead_id, "duplicate", lead.source)
        raise
    claim_person_keys(lead_id, lead, store)
    logger.info("lead merged", extra={"lead_id": lead_id, "source": lead.source})
    return Accepted(lead_id, "merged", lead.source)


def claim_person_keys(lead_id: str, lead: LeadInput, store: Store) -> None:
    """A merge or enrichment may bring an email or phone the lead lacked: remember it, unless another lead has it."""
    for key in person_keys(lead):
        with suppress(ConditionFailed):
            store.put({**key, "lead_id": lead_id}, "attribute_not_exists(pk)")
