"""Storing a submission exactly once: a new lead, a merge into the person already known, or a repeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.followup.plan import planner
from leadwire.intake.enrichment import FIRST_RETRY
from leadwire.lead import LeadInput, LeadRecord
from leadwire.store import schema, timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository, person_keys
from leadwire.store.outcomes import AlreadyExists, Gone
from leadwire.store.table import Store

logger = Logger(child=True)

Outcome = Literal["created", "merged", "duplicate"]
_ATTEMPTS = 5


@dataclass(frozen=True)
class Accepted:
    lead_id: str
    outcome: Outcome
    source: str


def accept(lead: LeadInput, store: Store, now: datetime) -> Accepted:
    """Create or merge in one transaction each, retried when a concurrent writer got there first."""
    leads = LeadRepository(store, planner(load_config(store)[1]))
    for _ in range(_ATTEMPTS):
        try:
            return _create(lead, leads, now)
        except AlreadyExists:
            known = _known_lead(lead, leads)
        if known is None:
            continue  # the key we collided with was deleted meanwhile (erasure): try creating again
        if known[1] == "duplicate":
            logger.info("duplicate delivery", extra={"source": lead.source})
            return Accepted(known[0], "duplicate", lead.source)
        try:
            return _merge(known[0], lead, leads, now)
        except AlreadyExists:
            return Accepted(known[0], "duplicate", lead.source)
        except Gone:
            continue
    raise RuntimeError("could not store the lead after several concurrent conflicts")


def _known_lead(lead: LeadInput, leads: LeadRepository) -> tuple[str, Outcome] | None:
    """Who already has this submission: the platform id means a redelivery, the email or phone a known person."""
    if lead.source_ref:
        found = leads.owner_of(schema.platform_ref(lead.source, lead.source_ref))
        if found:
            return found, "duplicate"
    for key in person_keys(lead.email, lead.phone):
        found = leads.owner_of(key)
        if found:
            return found, "merged"
    return None


def _create(lead: LeadInput, leads: LeadRepository, now: datetime) -> Accepted:
    record = new_lead(schema.new_lead_id(), lead, now)
    leads.create(record, timeline.entry(record.id, iso(now), "submission", "intake", source=lead.source,
                                        source_ref=lead.source_ref, outcome="created"))
    logger.info("lead created", extra={"lead_id": record.id, "source": lead.source})
    return Accepted(record.id, "created", lead.source)


def new_lead(lead_id: str, lead: LeadInput, now: datetime) -> LeadRecord:
    at = iso(now)
    record = LeadRecord(
        id=lead_id, created_at=at, updated_at=at, last_activity_at=at, source=lead.source,
        source_ref=lead.source_ref, **lead.person_fields(), utm=lead.utm, fields=lead.fields, consent=lead.consent,
        is_test=lead.is_test, referrer=lead.referrer, landing_page=lead.landing_page, touches=1, status="new",
        unsubscribed=False, inputs_version=1, refs=[lead.source_ref] if lead.source_ref else [])
    if lead.pending_enrichment:
        # Nothing to score or assign until the Graph API tells us who this is.
        return record.model_copy(update={"pending_enrichment": True, "enrich_attempts": 0,
                                         "enrich_next_at": iso(now + FIRST_RETRY)})
    return record.model_copy(update={"score_due": 1})


def _merge(lead_id: str, lead: LeadInput, leads: LeadRepository, now: datetime) -> Accepted:
    at = iso(now)
    leads.merge(lead_id, lead, at, timeline.entry(lead_id, at, "merge", "intake", source=lead.source,
                                                  source_ref=lead.source_ref, outcome="merged"))
    leads.claim_person(lead_id, lead.email, lead.phone)  # the merge may bring an email or phone the lead lacked
    logger.info("lead merged", extra={"lead_id": lead_id, "source": lead.source})
    return Accepted(lead_id, "merged", lead.source)
