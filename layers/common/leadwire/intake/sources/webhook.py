"""Any signed JSON lead (Zapier, Make, n8n, the shop's own backend): a Standard Webhooks envelope
`{"type", "timestamp", "data": <lead>}` or a bare lead, in leadwire's own schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadwire.intake.sources.payload import is_yes, json_body, split_lead_fields, text_of
from leadwire.lead import Consent, RawLead

# Our schema's keys that are not person fields; each is read on its own below.
SCHEMA_KEYS = frozenset({"utm", "fields", "consent", "is_test", "referrer", "landing_page", "submitted_at"})
# The sender's own labels for its lead, kept under names that cannot be mistaken for ours.
SENDER_KEYS = {"lead_id": "sender_lead_id", "id": "sender_lead_id", "source": "sender_source"}


def parse_generic(body: bytes, webhook_id: str) -> RawLead:
    """The lead the message carries; `source_ref` is the webhook-id, the same on every retry of the message."""
    document = json_body(body, "webhook")
    lead, envelope = _unwrapped(document)
    person, rest = split_lead_fields((name, value) for name, value in lead.items()
                                     if name not in SCHEMA_KEYS and name not in SENDER_KEYS
                                     and not name.lower().startswith("utm_"))
    return RawLead(
        source="webhook", source_ref=webhook_id.strip() or None, **person,
        fields={**rest, **_own_fields(lead.get("fields")), **_sender(lead), **envelope},
        utm=_utm(lead),
        consent=_consent(lead.get("consent")),
        is_test=lead.get("is_test") is True,
        referrer=_text(lead.get("referrer")), landing_page=_text(lead.get("landing_page")),
        submitted_at=_text(lead.get("submitted_at")) or _text(document.get("timestamp")),
    )


def _unwrapped(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the lead, the envelope's event type as a field) for an envelope; (the document, {}) for a bare lead."""
    data = document.get("data")
    if isinstance(data, dict) and ("type" in document or "timestamp" in document):
        event_type = _text(document.get("type"))
        return data, {"webhook_type": event_type} if event_type else {}
    return document, {}


def _own_fields(fields: Any) -> dict[str, Any]:
    return {str(name): value for name, value in fields.items()} if isinstance(fields, Mapping) else {}


def _sender(lead: dict[str, Any]) -> dict[str, str]:
    return {ours: text for theirs, ours in SENDER_KEYS.items() if (text := text_of(lead.get(theirs)))}


def _utm(lead: dict[str, Any]) -> dict[str, str]:
    """`"utm": {"source": …}`, or `utm_source`-style keys beside the lead's fields."""
    given = lead.get("utm")
    pairs = list(given.items()) if isinstance(given, Mapping) else []
    pairs += [(name, value) for name, value in lead.items() if name.lower().startswith("utm_")]
    return {str(name): text for name, value in pairs if (text := text_of(value))}


def _consent(consent: Any) -> Consent | None:
    """`true`/`"yes"`, or `{"marketing": …, "text": …, "captured_at": …}`."""
    if consent is None:
        return None
    if isinstance(consent, Mapping):
        return Consent(marketing=is_yes(consent.get("marketing")), text=_text(consent.get("text")),
                       captured_at=_text(consent.get("captured_at")))
    return Consent(marketing=is_yes(consent))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
