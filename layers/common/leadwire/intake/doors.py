"""Every door a lead comes through: verify the sender over the raw bytes, parse, normalise, store exactly once."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError
from urllib.request import Request, urlopen

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.errors import Forbidden, LeadwireError, ValidationFailed
from leadwire.intake import signatures
from leadwire.intake.dedupe import Accepted, accept, claim_person_keys
from leadwire.intake.normalize import normalize
from leadwire.intake.sources import google, meta, typeform, webhook, website
from leadwire.lead import LeadInput, RawLead
from leadwire.runtime.settings import Settings
from leadwire.store import timeline
from leadwire.store.table import ConditionFailed, Store, Update, lead_key

logger = Logger(child=True)

MAX_ENRICH_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class WebsiteResult:
    accepted: Accepted | None  # None when the honeypot caught a bot: answer as if accepted, store nothing
    next_url: str | None


def website_form(body: bytes, headers: Mapping[str, str], query: Mapping[str, str], now: datetime, store: Store,
                 settings: Settings) -> WebsiteResult:
    submission = website.parse_form(body, headers.get("content-type"), headers, query, iso(now))
    if submission.honeypot:
        logger.info("honeypot filled; nothing stored", extra={"source": "website"})
        return WebsiteResult(None, submission.next_url)
    lead = normalize(submission.lead, settings.default_region)
    return WebsiteResult(accept(lead, store, now), submission.next_url)


def meta_handshake(query: Mapping[str, str], settings: Settings) -> str:
    expected = settings.meta_verify_token.get_secret_value()
    if query.get("hub.mode") != "subscribe" or not expected or not signatures.same(query.get("hub.verify_token"),
                                                                                    expected):
        raise Forbidden("verify token does not match")
    return query.get("hub.challenge", "")


def meta_notification(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                      settings: Settings) -> list[Accepted]:
    signatures.verify_meta(body, headers.get("x-hub-signature-256"), settings.meta_app_secret.get_secret_value())
    results = []
    for ref in meta.parse_notification(body):
        raw = fetch_meta_lead(ref, settings) or meta.pending_raw_lead(ref)
        results.append(accept(keep_what_is_valid(raw, settings.default_region), store, now))
    return results


def google_lead(body: bytes, now: datetime, store: Store, settings: Settings) -> Accepted:
    delivery = google.parse_google(body)
    signatures.verify_google_key(delivery.google_key, settings.google_ads_key.get_secret_value())
    return accept(keep_what_is_valid(delivery.lead, settings.default_region), store, now)


def typeform_response(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                      settings: Settings) -> Accepted:
    signatures.verify_typeform(body, headers.get("typeform-signature"), settings.typeform_secret.get_secret_value())
    return accept(keep_what_is_valid(typeform.parse_typeform(body), settings.default_region), store, now)


def generic_webhook(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                    settings: Settings) -> Accepted:
    signatures.verify_standard_webhook(body, headers, settings.webhook_secret_list(), now.timestamp())
    raw = webhook.parse_generic(body, headers["webhook-id"])
    return accept(keep_what_is_valid(raw, settings.default_region), store, now)


def keep_what_is_valid(raw: RawLead, default_region: str | None) -> LeadInput:
    """Normalise a platform's lead, which nobody can correct and resend: a field that fails validation is kept as
    given under `fields.invalid_<name>` and the rest stored. Only a lead with no way to reach the person is refused."""
    try:
        return normalize(raw, default_region)
    except ValidationFailed as refused:
        bad = {str(detail["field"]) for detail in refused.details} & (set(RawLead.model_fields) - {"source", "fields"})
        if not bad:
            raise
        kept = {f"invalid_{name}": getattr(raw, name) for name in sorted(bad)}
        return normalize(raw.model_copy(update={**dict.fromkeys(bad), "fields": {**raw.fields, **kept}}),
                         default_region)


def fetch_meta_lead(ref: meta.MetaLeadRef, settings: Settings) -> RawLead | None:
    """The lead's answers from the Graph API; None when it fails or times out (the sweep tries again later)."""
    url = meta.graph_lead_url(settings.meta_graph_url, ref.leadgen_id, settings.meta_page_token.get_secret_value())
    try:
        with urlopen(Request(url, headers={"Accept": "application/json"}), timeout=settings.meta_graph_timeout_s) as r:
            payload = json.load(r)
        return meta.map_graph_lead(payload, ref)
    except (URLError, TimeoutError, OSError, ValueError, LeadwireError) as error:
        logger.warning("Graph API fetch failed", extra={"error": type(error).__name__})
        return None


def enrich(lead: dict[str, Any], now: datetime, store: Store, settings: Settings) -> bool:
    """Retry a pending Meta lead; on failure back off exponentially (capped) so it is never dropped."""
    raw = fetch_meta_lead(meta.MetaLeadRef(leadgen_id=lead["source_ref"]), settings)
    attempts = int(lead.get("enrich_attempts", 0)) + 1
    if raw is None:
        backoff = min(timedelta(minutes=2 ** attempts), MAX_ENRICH_BACKOFF)
        store.update(lead_key(lead["id"]), Update().set(enrich_attempts=attempts, enrich_next_at=iso(now + backoff)))
        return False
    found = keep_what_is_valid(raw, settings.default_region)
    at = iso(now)
    update = (Update().set(**found.person_fields(), utm=found.utm, fields=found.fields, updated_at=at, score_due=1,
                           consent=found.consent.model_dump(exclude_none=True) if found.consent else None)
              .remove("pending_enrichment", "enrich_next_at").add(inputs_version=1, enrich_attempts=1)
              .when("#pending_enrichment = :yes", yes=True))
    try:
        store.transact([store.update_action(lead_key(lead["id"]), update),
                        store.put_action(timeline.entry(lead["id"], at, "enriched", "followup", attempts=attempts))])
    except ConditionFailed:
        return False
    claim_person_keys(lead["id"], found, store)
    return True
