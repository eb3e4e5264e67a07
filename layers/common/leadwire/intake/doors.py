"""Every door a lead comes through: verify the sender over the raw bytes, parse, normalise, store exactly once."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.errors import Forbidden, LeadwireError, Malformed
from leadwire.followup.rep_links import RepLinks
from leadwire.intake import enrichment, limits, signatures
from leadwire.intake.dedupe import Accepted, accept
from leadwire.intake.normalize import keep_what_is_valid, normalize
from leadwire.intake.sources import google, meta, typeform, webhook, website
from leadwire.lead import LeadInput, RawLead, Source
from leadwire.outbound.graph import LeadSource
from leadwire.outbound.notify import Notifier
from leadwire.runtime.settings import Settings
from leadwire.store.config import load_config
from leadwire.store.table import Store

logger = Logger(child=True)


THANKS_PATH = "/thanks"


@dataclass(frozen=True)
class WebsiteResult:
    accepted: Accepted | None  # None when the honeypot caught a bot: answer as if accepted, store nothing
    next_url: str | None


@dataclass(frozen=True)
class Unreadable:
    """A change of a Meta notification that could not be stored, and why; the others were."""

    index: int
    reason: str


def website_form(body: bytes, headers: Mapping[str, str], query: Mapping[str, str], now: datetime, store: Store,
                 settings: Settings, notifier: Notifier | None = None, base_url: str = "",
                 source_ip: str | None = None) -> WebsiteResult:
    """A form submission; one client over its limit is refused before anything of its request is read."""
    limits.admit_form(store, settings, source_ip, now)
    submission = website.parse_form(body, headers.get("content-type"), headers, query, iso(now))
    next_url = website.redirect_target(submission.next_url, submission.page, settings.redirect_origin_list(),
                                       base_url.rstrip("/") + THANKS_PATH) if submission.next_url else None
    if submission.honeypot:
        logger.info("honeypot filled; nothing stored", extra={"source": "website"})
        return WebsiteResult(None, next_url)
    lead = normalize(submission.lead, settings.default_region)
    return WebsiteResult(accept(lead, store, now, notifier, rep_links(settings, base_url, store)), next_url)


def meta_handshake(query: Mapping[str, str], settings: Settings) -> str:
    expected = settings.meta_verify_token.get_secret_value()
    if query.get("hub.mode") != "subscribe" or not expected or not signatures.same(query.get("hub.verify_token"),
                                                                                    expected):
        raise Forbidden("verify token does not match")
    return query.get("hub.challenge", "")


def meta_notification(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                      settings: Settings, graph: LeadSource | None = None, notifier: Notifier | None = None,
                      base_url: str = "") -> list[Accepted | Unreadable]:
    """Each change on its own: one that cannot be read or stored is reported and never fails the others. Every
    change is stored first, by its ids (a repeated one is a duplicate before anything is fetched); then the new
    leads are fetched from the Graph API at once under one total deadline, and what is late is the sweep's."""
    signatures.verify_meta(body, headers.get("x-hub-signature-256"), settings.rotating("meta_app_secret"))
    config = load_config(store)[1]
    links = rep_links(settings, base_url, store)
    results: list[Accepted | Unreadable] = []
    for index, ref in enumerate(meta.read_changes(body)):
        if isinstance(ref, LeadwireError):
            logger.warning("unreadable Meta change", extra={"index": index, "reason": ref.message})
            results.append(Unreadable(index, ref.message))
            continue
        try:
            lead = keep_what_is_valid(meta.pending_raw_lead(ref), settings.default_region)
            results.append(accept(lead, store, now, notifier, links, config))
        except LeadwireError as refused:
            logger.warning("Meta change not stored", extra={"index": index, "reason": refused.message})
            results.append(Unreadable(index, refused.message))
    created = [item.lead_id for item in results if isinstance(item, Accepted) and item.outcome == "created"]
    enrichment.enrich_now(created, now, store, settings, config, graph, notifier, links)
    return results


def google_lead(body: bytes, now: datetime, store: Store, settings: Settings, notifier: Notifier | None = None,
                base_url: str = "") -> Accepted:
    delivery = google.parse_google(body)
    signatures.verify_google_key(delivery.google_key, settings.rotating("google_ads_key"))
    lead = keep_what_is_valid(delivery.lead, settings.default_region)
    return accept(lead, store, now, notifier, rep_links(settings, base_url, store))


def typeform_response(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                      settings: Settings, notifier: Notifier | None = None, base_url: str = "") -> Accepted:
    signatures.verify_typeform(body, headers.get("typeform-signature"), settings.rotating("typeform_secret"))
    try:
        lead = keep_what_is_valid(typeform.parse_typeform(body), settings.default_region)
    except Malformed as unreadable:
        lead = kept_unread("typeform", f"body-{hashlib.sha256(body).hexdigest()[:32]}", body, unreadable)
    return accept(lead, store, now, notifier, rep_links(settings, base_url, store))


def generic_webhook(body: bytes, headers: Mapping[str, str], now: datetime, store: Store,
                    settings: Settings, notifier: Notifier | None = None, base_url: str = "") -> Accepted:
    signatures.verify_standard_webhook(body, headers, settings.webhook_secret_list(), now.timestamp())
    try:
        lead = keep_what_is_valid(webhook.parse_generic(body, headers["webhook-id"]), settings.default_region)
    except Malformed as unreadable:
        lead = kept_unread("webhook", headers["webhook-id"], body, unreadable)
    return accept(lead, store, now, notifier, rep_links(settings, base_url, store))


def kept_unread(source: Source, ref: str, body: bytes, unreadable: Malformed) -> LeadInput:
    """An authentic delivery we cannot read is still somebody's lead: stored for a person to read, its body set
    aside whole with the reason, under an id that makes a redelivery of the same bytes a duplicate."""
    lead = keep_what_is_valid(RawLead(source=source, source_ref=ref), None)
    aside = {"field": "body", "value": body.decode("utf-8", errors="replace"), "reason": unreadable.message}
    return lead.model_copy(update={"set_aside": [*lead.set_aside, aside], "needs_review": True})


def rep_links(settings: Settings, base_url: str, store: Store) -> RepLinks:
    """Lead-page links for the emails a submission may cause (a returning person's owner is told)."""
    return RepLinks(settings.public_base_url or base_url, store)
