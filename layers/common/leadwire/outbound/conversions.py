"""Lead stages back to Meta: each change the owner maps (`meta.conversions` in the config) of a lead that came from
Meta Lead Ads is an outbox intent of kind `capi`, written with the change, and the sweep posts it to the Conversions
API (`POST /{META_DATASET_ID}/events`) within Meta's seven days; a failure is retried by the outbox, and the lead's
timeline records each send."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.lead import LeadRecord
from leadwire.outbound.graph import GraphClient, GraphError, LeadsSource
from leadwire.runtime.settings import Settings
from leadwire.store import outbox, timeline
from leadwire.store.table import Store

logger = Logger(child=True)

KIND = "capi"
MAX_AGE = timedelta(days=7)  # Meta refuses a whole request with any event older than this
SEND_DEADLINE_S = 10.0


def wanted(lead: LeadRecord) -> bool:
    """Only leads of Meta Lead Ads can go back: Meta matches them by their lead id (15 or 16 digits, not hashed)."""
    return lead.source == "meta" and bool(lead.source_ref and lead.source_ref.isdigit())


def intents(lead: LeadRecord, changes: Iterable[str], config: Config, now: datetime) -> list[dict[str, Any]]:
    """The intents of the lead's `changes` (stages reached, a status set) that the config maps to an event."""
    if not wanted(lead):
        return []
    mapping = config.meta.conversions
    return [outbox.intent_item(lead.id, now, KIND, {"change": change, "event": event(lead, mapping[change], now)})
            for change in changes if change in mapping]


def event(lead: LeadRecord, event_name: str, at: datetime) -> dict[str, Any]:
    """One Conversion Leads event, as Meta's CRM integration specifies it."""
    return {"event_name": event_name, "event_time": int(at.timestamp()), "action_source": "system_generated",
            "user_data": {"lead_id": int(lead.source_ref or "0")},
            "custom_data": {"event_source": "crm", "lead_event_source": "leadwire"}}


class ConversionsSender:
    """The outbox's sender of `capi` intents (the sweep's Delivery holds it)."""

    def __init__(self, store: Store, dataset_id: str, graph: LeadsSource | None) -> None:
        self.store = store
        self.dataset_id = dataset_id
        self.graph = graph

    def __call__(self, intent: dict[str, Any], now: datetime) -> None:
        payload = outbox.unpacked(intent)
        sent = payload["event"]
        lead_id = intent.get("lead_id") or ""
        detail = {"change": payload["change"], "event_name": sent["event_name"]}
        if not self.dataset_id or self.graph is None:
            return self._skipped(intent, now, detail, "META_DATASET_ID or META_CAPI_TOKEN is not set")
        if now - datetime.fromtimestamp(sent["event_time"], now.tzinfo) > MAX_AGE:
            return self._skipped(intent, now, detail, "older than Meta's seven days")
        try:
            answer = self.graph.send_events(self.dataset_id, [sent], time.monotonic() + SEND_DEADLINE_S)
        except GraphError as refused:
            logger.warning("Conversions API refused an event", extra={"lead_id": lead_id, "code": refused.code})
            raise
        outbox.delivered(self.store, intent, timeline.entry(
            lead_id, iso(now), "conversion_sent", "followup", **detail, event_time=sent["event_time"],
            received=answer.get("events_received")))
        logger.info("conversion sent", extra={"lead_id": lead_id, "change": payload["change"]})

    def _skipped(self, intent: dict[str, Any], now: datetime, detail: dict[str, Any], reason: str) -> None:
        outbox.delivered(self.store, intent, timeline.entry(intent.get("lead_id") or "", iso(now),
                                                            "conversion_not_sent", "followup", **detail,
                                                            reason=reason))


def sender(store: Store, settings: Settings) -> ConversionsSender:
    token = settings.meta_capi_token.get_secret_value()
    graph = GraphClient(settings.meta_graph_url, token, settings.meta_graph_timeout_s) if token else None
    return ConversionsSender(store, settings.meta_dataset_id, graph)
