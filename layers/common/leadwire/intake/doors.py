"""Every door a lead comes through: verify the sender over the raw bytes, parse, normalise, store exactly once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.errors import Forbidden
from leadwire.intake import enrichment, signatures
from leadwire.intake.dedupe import Accepted, accept
from leadwire.intake.normalize import keep_what_is_valid, normalize
from leadwire.intake.sources import google, meta, typeform, webhook, website
from leadwire.outbound.graph import LeadSource
from leadwire.runtime.settings import Settings
from leadwire.store.table import Store

logger = Logger(child=True)


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
                      settings: Settings, graph: LeadSource | None = None) -> list[Accepted]:
    signatures.verify_meta(body, headers.get("x-hub-signature-256"), settings.rotating("meta_app_secret"))
    graph = graph or enrichment.graph_client(settings)
    results = []
    for ref in meta.parse_notification(body):
        raw = enrichment.fetch(ref, graph) or meta.pending_raw_lead(ref)
        results.append(accept(keep_what_is_valid(raw, settings.default_region), store, now))
    return results


def google_lead(body: bytes, now: datetime, store: Store, settings: Settings) -> Accepted:
    delivery = google.parse_google(body)
    signatures.verify_google_key(delivery.google_key, settings.rotating("google_ads_key"))
    return accept(keep_what_is_valid(delivery.lead, settings.default_region), store, now)


def typeform_response(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                      settings: Settings) -> Accepted:
    signatures.verify_typeform(body, headers.get("typeform-signature"), settings.rotating("typeform_secret"))
    return accept(keep_what_is_valid(typeform.parse_typeform(body), settings.default_region), store, now)


def generic_webhook(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                    settings: Settings) -> Accepted:
    signatures.verify_standard_webhook(body, headers, settings.webhook_secret_list(), now.timestamp())
    raw = webhook.parse_generic(body, headers["webhook-id"])
    return accept(keep_what_is_valid(raw, settings.default_region), store, now)
