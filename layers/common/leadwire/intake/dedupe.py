"""Storing a submission exactly once, by the identity rules: a new lead, a merge into the person already known, a
new lead flagged as a possible duplicate of another, or a repeat.

- The same platform id is the same delivery: nothing new is stored; so is a website form sent again with the
  `_submission` token its person's lead was stored from last.
- The same normalised email is the same person: the submission merges into their lead.
- The same phone is the same person only when the emails do not differ and the names do not clearly differ;
  otherwise the submission becomes a lead of its own and each lead lists the other in `possible_duplicates`.
A merge never overwrites a value: what the lead lacked is filled, a value that differs is kept in `other_values`,
and every submission is kept whole under the lead."""

from __future__ import annotations

import random
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.followup.plan import planner
from leadwire.followup.rep_links import RepLinks
from leadwire.intake import returning
from leadwire.intake.enrichment import FIRST_RETRY
from leadwire.lead import REOPENED_BY_RETURN, LeadInput, LeadRecord, PossibleDuplicate
from leadwire.outbound.notify import Notifier
from leadwire.store import outbox, schema, sources, timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository, Merge, email_keys, phone_keys, ref_keys
from leadwire.store.outcomes import AlreadyExists, ChangedMeanwhile, Gone
from leadwire.store.table import Store

logger = Logger(child=True)

Outcome = Literal["created", "merged", "duplicate"]
_ATTEMPTS = 12
# A list the owner brought in says nothing of the person coming back: no return event, no reopening.
NOT_A_RETURN: frozenset[str] = frozenset({"import"})
SAME_PHONE_OTHER_EMAIL = "same phone, different email"
SAME_PHONE_OTHER_NAME = "same phone, different name"
# Fields a merge compares; `message` is not among them: the latest message is shown, every one kept in submissions.
COMPARED = ("email", "phone", "phone_raw", "first_name", "last_name", "company", "job_title", "country", "city",
            "postal_code")


@dataclass(frozen=True)
class Accepted:
    lead_id: str
    outcome: Outcome
    source: str
    possible_duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Match:
    """What the identity rules found for a submission."""

    duplicate_of: str | None = None  # the lead that already has this platform id
    same: LeadRecord | None = None  # the person's lead
    flagged: tuple[LeadRecord, str] | None = None  # another lead that may be the same person, and why


def accept(lead: LeadInput, store: Store, now: datetime, notifier: Notifier | None = None,
           links: RepLinks | None = None, config: Config | None = None) -> Accepted:
    """Create or merge in one transaction each, retried when a concurrent writer got there first. With a notifier,
    the owner of a returning person hears of it (`links` puts the lead page in that email). `config`: the rules in
    force, when the caller read them already (a Meta notification of several changes reads them once)."""
    config = config if config is not None else load_config(store)[1]
    leads = LeadRepository(store, planner(config))
    try:  # most submissions are new people: try that first, and look up only when a key is taken
        return _create(lead, leads, now, None, config)
    except AlreadyExists:
        pass
    for attempt in range(_ATTEMPTS):
        match = _match(lead, leads)
        try:
            if match.duplicate_of:
                logger.info("duplicate delivery", extra={"source": lead.source})
                return Accepted(match.duplicate_of, "duplicate", lead.source)
            if match.same is None:
                return _create(lead, leads, now, match.flagged, config)
            return _merge(match.same, lead, leads, now, notifier, links, config)
        except (AlreadyExists, ChangedMeanwhile, Gone):
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
    raise RuntimeError("could not store the lead after several concurrent conflicts")


def _match(lead: LeadInput, leads: LeadRepository) -> _Match:
    refs = [lead.source_ref] if lead.source_ref else []
    for key in ref_keys(lead.source, refs):
        found = leads.owner_if_there(key)
        if found:
            return _Match(duplicate_of=found)
    for key in email_keys(lead.email):
        known = _lead_at(key, leads)
        if known:
            return _resent(lead, known) or _Match(same=known)
    for key in phone_keys(lead.phone, lead.phone_raw):
        known = _lead_at(key, leads)
        if known is None:
            continue
        reason = _why_not_the_same(lead, known)
        return _resent(lead, known) or (_Match(flagged=(known, reason)) if reason else _Match(same=known))
    return _Match()


def _resent(lead: LeadInput, known: LeadRecord) -> _Match | None:
    """The form's filling-in that `known` was stored from last, sent again (its 500 came after storing it)."""
    return _Match(duplicate_of=known.id) if lead.resend and known.resend == lead.resend else None


def _lead_at(key: dict[str, str], leads: LeadRepository) -> LeadRecord | None:
    lead_id = leads.owner_if_there(key)
    return leads.get(lead_id) if lead_id else None


def _why_not_the_same(lead: LeadInput, known: LeadRecord) -> str | None:
    """A shared phone makes the same person unless the emails differ or the names clearly differ."""
    if lead.email and known.email and lead.email != known.email:
        return SAME_PHONE_OTHER_EMAIL
    if _differ(lead.first_name, known.first_name) or _differ(lead.last_name, known.last_name):
        return SAME_PHONE_OTHER_NAME
    return None


def _differ(one: str | None, other: str | None) -> bool:
    """Clearly different names: both given, and neither is the start of the other ("Dan" and "Dana" may be one
    person; "Dana" and "Mike" are not), ignoring case and accents."""
    if not one or not other:
        return False
    a, b = _folded(one), _folded(other)
    return bool(a and b) and not (a.startswith(b) or b.startswith(a))


def _folded(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _create(lead: LeadInput, leads: LeadRepository, now: datetime,
            flagged: tuple[LeadRecord, str] | None, config: Config) -> Accepted:
    at = iso(now)
    record = new_lead(schema.new_lead_id(), lead, now)
    claims = [*ref_keys(lead.source, [lead.source_ref] if lead.source_ref else []), *email_keys(lead.email)]
    if flagged is None:  # a flagged lead leaves the shared phone to the lead that has it
        claims += phone_keys(lead.phone, lead.phone_raw)
    duplicates = [PossibleDuplicate(id=flagged[0].id, reason=flagged[1])] if flagged else []
    record = record.model_copy(update={"possible_duplicates": duplicates, "resend": lead.resend})
    submission = timeline.submission_item(record.id, at, lead, "created")
    leads.create(record, timeline.entry(record.id, at, "submission", "intake", source=lead.source,
                                        source_ref=lead.source_ref, outcome="created",
                                        submission=timeline.submission_id(submission),
                                        possible_duplicates=[duplicate.model_dump() for duplicate in duplicates],
                                        **_recovered(lead)),
                 submission, claims, also=_source_counts(lead, leads.store, now, config))
    if flagged:
        other, reason = flagged
        leads.flag_duplicate(other.id, record.id, reason, timeline.entry(
            other.id, at, "possible_duplicate", "intake", id=record.id, reason=reason))
    logger.info("lead created", extra={"lead_id": record.id, "source": lead.source, "flagged": bool(flagged)})
    return Accepted(record.id, "created", lead.source, [flagged[0].id] if flagged else [])


def new_lead(lead_id: str, lead: LeadInput, now: datetime) -> LeadRecord:
    at = iso(now)
    record = LeadRecord(
        id=lead_id, created_at=at, updated_at=at, last_activity_at=at, source=lead.source,
        source_ref=lead.source_ref, **lead.person_fields(), utm=lead.utm, fields=lead.fields, consent=lead.consent,
        is_test=lead.is_test, referrer=lead.referrer, landing_page=lead.landing_page, touches=1, status="new",
        unsubscribed=False, inputs_version=1, refs=[lead.source_ref] if lead.source_ref else [],
        set_aside=lead.set_aside, needs_review=lead.needs_review, recovered=lead.recovered)
    if lead.pending_enrichment:
        # Nothing to score or assign until the Graph API tells us who this is.
        return record.model_copy(update={"pending_enrichment": True, "enrich_attempts": 0,
                                         "enrich_next_at": iso(now + FIRST_RETRY)})
    return record.model_copy(update={"score_due": 1})


def kept_values(known: LeadRecord, values: dict[str, Any],
                others: dict[str, list[Any]] | None = None) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """(what fills the lead's empty fields, `other_values` with every differing value added): nothing overwritten,
    nothing lost."""
    fill: dict[str, Any] = {}
    kept = {name: list(items) for name, items in known.other_values.items()}
    candidates = [(name, value) for name, value in values.items() if name in COMPARED and value not in (None, "")]
    candidates += [(name, value) for name, items in (others or {}).items() for value in items]
    for name, value in candidates:
        current = fill.get(name, getattr(known, name, None))
        if current in (None, ""):
            fill[name] = value
        elif current != value and value not in kept.get(name, []):
            kept.setdefault(name, []).append(value)
    return fill, kept


def merge_of(known: LeadRecord, lead: LeadInput) -> Merge:
    """What the submission adds to the lead as read: never overwriting a value, never losing one."""
    fill, others = kept_values(known, lead.person_fields())
    changes: dict[str, Any] = {"message": lead.message} if lead.message else {}
    if others != known.other_values:
        changes["other_values"] = others
    if lead.needs_review and not (known.email or known.phone or known.phone_raw):
        changes["needs_review"] = True
    returning = lead.source not in NOT_A_RETURN
    reopen = known.status if returning and known.status in REOPENED_BY_RETURN else None
    if reopen:
        changes.update(status="new", owner=None, last_owner=known.owner, assigned_at=None, reminders_sent=0,
                       sla_breached=None, assign_blocked=None, assign_retry_at=None, unassigned_reason=None)
    claims = email_keys(fill.get("email"))  # claimed in the merge: if another lead took it meanwhile, retry there
    return Merge(fill=fill, changes=changes, claims=claims, careful=bool(fill or "other_values" in changes),
                 reopen_from=reopen)


def _merge(known: LeadRecord, lead: LeadInput, leads: LeadRepository, now: datetime, notifier: Notifier | None,
           links: RepLinks | None, config: Config) -> Accepted:
    at = iso(now)
    merge = merge_of(known, lead)
    submission = timeline.submission_item(known.id, at, lead, "merged")
    submission_id = timeline.submission_id(submission)
    entry = timeline.entry(known.id, at, "merge", "intake", source=lead.source, source_ref=lead.source_ref,
                           outcome="merged", submission=submission_id, reopened=merge.reopen_from,
                           other_values=sorted(set(merge.changes.get("other_values", {})) - set(known.other_values)),
                           **_recovered(lead))
    returned = lead.source not in NOT_A_RETURN
    event = timeline.event_item(known.id, f"returned-{submission_id}", "returned", at,
                                {"submission": submission_id, "source": lead.source}) if returned else None
    news = [returning.intent(known, merge.reopen_from, now)] if returned else []  # announced even if what follows fails
    try:
        leads.merge(known, lead, merge, at, entry, submission, event,
                    also=[*_source_counts(lead, leads.store, now, config), *outbox.put_actions(leads.store, news)])
    except AlreadyExists:
        logger.info("duplicate delivery", extra={"source": lead.source})
        return Accepted(known.id, "duplicate", lead.source)
    leads.claim_person(known.id, None, merge.fill.get("phone"))  # a phone it lacked, unless another lead has it
    logger.info("lead merged", extra={"lead_id": known.id, "source": lead.source, "reopened": bool(merge.reopen_from)})
    returning.announce_now(leads.store, notifier, links, config, news)
    return Accepted(known.id, "merged", lead.source)


def _recovered(lead: LeadInput) -> dict[str, str]:
    return {"recovered": lead.recovered} if lead.recovered else {}


def _source_counts(lead: LeadInput, store: Store, now: datetime, config: Config) -> list[dict[str, Any]]:
    """A Meta lead is counted by form and the day it was filled in, by webhook or recovered by poll, with the write
    that stores it: the source health's figures are exact under redelivery."""
    ref = lead.fields.get("meta_ref") if lead.source == "meta" else None
    if not isinstance(ref, dict) or not ref.get("form_id"):
        return []
    first_poll = iso(now + timedelta(minutes=config.meta.poll_every_minutes))
    return sources.counted(store, str(ref["form_id"]), ref.get("page_id"), iso(now),
                           "poll" if lead.recovered else "webhook", first_poll, lead.submitted_at or iso(now))
