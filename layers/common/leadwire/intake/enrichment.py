"""Meta leads arrive as ids: their answers come from the Graph API, now or, when that fails, from later sweeps."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.errors import LeadwireError, ValidationFailed
from leadwire.followup.plan import planner
from leadwire.intake.normalize import keep_what_is_valid
from leadwire.intake.sources import meta
from leadwire.lead import LeadRecord, RawLead
from leadwire.outbound.graph import GraphClient, LeadSource
from leadwire.runtime.settings import Settings
from leadwire.store import timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import Store

FIRST_RETRY = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


def graph_client(settings: Settings) -> GraphClient:
    return GraphClient(settings.meta_graph_url, settings.meta_page_token.get_secret_value(),
                       settings.meta_graph_timeout_s)


def fetch(ref: meta.MetaLeadRef, graph: LeadSource) -> RawLead | None:
    """The lead's answers; None when the Graph API failed or answered something we cannot read."""
    payload = graph.lead(ref.leadgen_id)
    if payload is None:
        return None
    try:
        return meta.map_graph_lead(payload, ref)
    except LeadwireError:
        return None


def enrich(lead: LeadRecord, now: datetime, store: Store, settings: Settings, config: Config,
           graph: LeadSource | None = None) -> bool:
    """Retry a pending Meta lead; on failure back off exponentially (capped) so it is never dropped."""
    raw = fetch(meta.MetaLeadRef(leadgen_id=lead.source_ref or ""), graph or graph_client(settings))
    leads = LeadRepository(store, planner(config))
    attempts = lead.enrich_attempts + 1
    try:
        found = keep_what_is_valid(raw, settings.default_region) if raw else None
    except ValidationFailed:
        found = None  # an answer with no way to reach the person: ask again later, as for a failed call
    if found is None:
        leads.enrichment_failed(lead, attempts, iso(now + min(timedelta(minutes=2 ** attempts), MAX_BACKOFF)))
        return False
    try:
        leads.enrich(lead, found, iso(now), timeline.entry(lead.id, iso(now), "enriched", "followup",
                                                          attempts=attempts))
    except ChangedMeanwhile:
        return False
    leads.claim_person(lead.id, found.email, found.phone)
    return True
