"""Meta leads arrive as ids: each is stored pending first, and its answers come from the Graph API right after, under
one total deadline, or from later sweeps with backoff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.errors import LeadwireError, ValidationFailed
from leadwire.followup.plan import planner
from leadwire.followup.rep_links import RepLinks
from leadwire.intake import returning
from leadwire.intake.normalize import keep_what_is_valid
from leadwire.intake.sources import meta
from leadwire.lead import CLOSED_STATUSES, LeadInput, LeadRecord, RawLead
from leadwire.outbound.graph import GraphClient, LeadSource, leads_within
from leadwire.outbound.notify import Notifier
from leadwire.runtime.settings import Settings
from leadwire.store import outbox, timeline
from leadwire.store.leads import LeadRepository, email_keys
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import Store

logger = Logger(child=True)

FIRST_RETRY = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
SAME_EMAIL_LATER = "same email, Meta answers arrived later"
Told = Callable[[list[dict[str, Any]]], None]  # announces the return intents just stored (a person came back)


def graph_client(settings: Settings) -> GraphClient:
    return GraphClient(settings.meta_graph_url, settings.meta_page_token.get_secret_value(),
                       settings.meta_graph_timeout_s)


def _mapped(payload: dict[str, Any] | None, lead: LeadRecord) -> RawLead | None:
    """The lead's answers; None when the Graph API failed or answered something we cannot read."""
    if payload is None:
        return None
    try:
        return meta.map_graph_lead(payload, _ref(lead))
    except LeadwireError:
        return None


def _ref(lead: LeadRecord) -> meta.MetaLeadRef:
    kept = lead.fields.get("meta_ref") if isinstance(lead.fields.get("meta_ref"), dict) else {}
    known = {name: str(value) for name, value in kept.items() if name in meta.MetaLeadRef.__dataclass_fields__}
    return meta.MetaLeadRef(leadgen_id=lead.source_ref or "", **known)


def enrich_now(lead_ids: Sequence[str], now: datetime, store: Store, settings: Settings, config: Config,
               graph: LeadSource | None = None, notifier: Notifier | None = None,
               links: RepLinks | None = None) -> int:
    """Right after a notification's leads were stored pending: fetch them all at once under one total deadline
    (`meta_graph_timeout_s`). A lead answered in time is filled in; one that failed or was late stays as stored and
    the sweep fetches it at its first retry. The number filled in. The owner of a lead that a Meta lead joins hears
    that the person came back, as for any return (at once with a `notifier`, else from the sweep)."""
    leads = LeadRepository(store, planner(config))
    told = _teller(leads, config, notifier, links)
    waiting = [lead for lead in (leads.get(lead_id) for lead_id in lead_ids) if lead and lead.pending_enrichment]
    answers = leads_within(graph or graph_client(settings), [lead.source_ref or "" for lead in waiting],
                           settings.meta_graph_timeout_s)
    filled = 0
    for lead in waiting:
        found = _valid(_mapped(answers.get(lead.source_ref or ""), lead), settings)
        if found is not None:
            filled += _fill(lead, found, now, leads, told)
    return filled


def enrich(lead: LeadRecord, now: datetime, store: Store, settings: Settings, config: Config,
           graph: LeadSource | None = None, notifier: Notifier | None = None, links: RepLinks | None = None) -> bool:
    """Retry a pending Meta lead; on failure back off exponentially (capped) so it is never dropped."""
    source = graph or graph_client(settings)
    payload = leads_within(source, [lead.source_ref or ""], settings.meta_graph_timeout_s).get(lead.source_ref or "")
    found = _valid(_mapped(payload, lead), settings)
    leads = LeadRepository(store, planner(config))
    if found is None:
        attempts = lead.enrich_attempts + 1
        leads.enrichment_failed(lead, attempts, iso(now + min(timedelta(minutes=2 ** attempts), MAX_BACKOFF)))
        return False
    return _fill(lead, found, now, leads, _teller(leads, config, notifier, links))


def _teller(leads: LeadRepository, config: Config, notifier: Notifier | None, links: RepLinks | None) -> Told:
    return lambda news: returning.announce_now(leads.store, notifier, links, config, news)


def _valid(raw: RawLead | None, settings: Settings) -> LeadInput | None:
    try:
        return keep_what_is_valid(raw, settings.default_region) if raw else None
    except ValidationFailed:
        return None  # an answer with no way to reach the person: ask again later, as for a failed call


def _fill(lead: LeadRecord, found: LeadInput, now: datetime, leads: LeadRepository, told: Told) -> bool:
    """The person's answers onto the pending lead. When their email is already another open lead's, the answers
    are that person's: the pending lead (never scored nor assigned) joins it, as the identity rules want, with the
    return to announce to that lead's owner, which `told` announces."""
    at = iso(now)
    known = next((other for key in email_keys(found.email)
                  if (other_id := leads.owner_if_there(key)) and other_id != lead.id
                  and (other := leads.get(other_id)) is not None), None)
    if known is not None and known.status not in CLOSED_STATUSES:
        news = [returning.intent(known, None, now)]
        joined = _join(known, lead, found, at, leads, news)
        if joined:
            told(news)
        return joined
    entry = timeline.entry(lead.id, at, "enriched", "intake" if lead.enrich_attempts == 0 else "followup",
                           attempts=lead.enrich_attempts + 1)
    try:
        leads.enrich(lead, found, at, entry)
    except ChangedMeanwhile:
        return False  # another writer enriched it first
    leads.claim_person(lead.id, found.email, found.phone)
    if known is not None:  # a closed lead of the same person: the owner decides (POST /leads/{id}/merge)
        leads.flag_duplicate(lead.id, known.id, SAME_EMAIL_LATER, timeline.entry(
            lead.id, at, "possible_duplicate", "intake", id=known.id, reason=SAME_EMAIL_LATER))
        leads.flag_duplicate(known.id, lead.id, SAME_EMAIL_LATER, timeline.entry(
            known.id, at, "possible_duplicate", "intake", id=lead.id, reason=SAME_EMAIL_LATER))
    return True


def _join(known: LeadRecord, lead: LeadRecord, found: LeadInput, at: str, leads: LeadRepository,
          news: list[dict[str, Any]]) -> bool:
    from leadwire.owner.join import combined  # imports the intake's dedupe, which imports this module

    answered = lead.changed(**found.person_fields(), utm=found.utm, fields={**lead.fields, **found.fields},
                            consent=found.consent, pending_enrichment=None, enrich_next_at=None)
    entry = timeline.entry(known.id, at, "merged", "intake", merged_from=lead.id, source="meta",
                           source_ref=lead.source_ref)
    changes = combined(known, answered)
    if answered.consent and not known.consent:
        changes["consent"] = answered.consent
    try:
        leads.join(known, answered, changes, at, entry, also=outbox.put_actions(leads.store, news))
    except ChangedMeanwhile:
        return False  # the known lead changed under us: the sweep tries again
    logger.info("Meta lead joined the person's lead", extra={"lead_id": known.id})
    return True
