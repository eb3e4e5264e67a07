"""Google Ads lead form webhook: the key in the body, and the person's answers keyed by column id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadwire.errors import Malformed
from leadwire.intake.sources.payload import id_text, json_body, split_lead_fields
from leadwire.lead import RawLead

# The int64 ids Google sends as JSON numbers, kept as exact text under fields.google_<name>.
ID_FIELDS = ("form_id", "campaign_id", "adgroup_id", "creative_id", "asset_group_id")
OTHER_FIELDS = ("gcl_id", "lead_stage", "lead_source", "api_version")


@dataclass(frozen=True)
class GoogleLead:
    google_key: str | None  # the secret configured on the form; checked by the caller, never stored
    lead: RawLead


def parse_google(body: bytes) -> GoogleLead:
    """The delivery's key (`google_key`, or `Google_key` as some forms spell it) and its lead."""
    delivery = json_body(body, "Google Ads lead", parse_int=str)
    lead_id = id_text(delivery.get("lead_id"))
    if lead_id is None:
        raise Malformed("Google Ads lead has no lead_id", [{"field": "lead_id", "reason": "missing"}])
    person, answers = split_lead_fields(_columns(delivery.get("user_column_data")))
    raw = RawLead(
        source="google", source_ref=lead_id, **person,
        fields={**answers, **_delivery_fields(delivery)},
        utm=_utm(delivery),
        is_test=delivery.get("is_test") is True or delivery.get("is_test") == "true",
        submitted_at=_text(delivery.get("lead_submit_time")),
    )
    return GoogleLead(google_key=_key(delivery), lead=raw)


def _key(delivery: dict[str, Any]) -> str | None:
    key = delivery.get("google_key", delivery.get("Google_key"))
    return key if isinstance(key, str) else None


def _columns(columns: Any) -> list[tuple[str, Any]]:
    """(name, answer) per column: the column id lower-cased ("POSTAL_CODE" → "postal_code"), so standard columns
    fill lead fields and unknown ones land in `fields` under that name."""
    if not isinstance(columns, list):
        return []
    answers = []
    for column in columns:
        if not isinstance(column, dict) or not isinstance(column.get("column_id"), str):
            continue
        answers.append((column["column_id"].strip().lower(), column.get("string_value")))
    return answers


def _delivery_fields(delivery: dict[str, Any]) -> dict[str, str]:
    found = {f"google_{name}": text for name in ID_FIELDS if (text := id_text(delivery.get(name)))}
    found.update({name: text for name in OTHER_FIELDS if (text := _text(delivery.get(name)))})
    return found


def _utm(delivery: dict[str, Any]) -> dict[str, str]:
    """Paid search from Google; the campaign is known by its id only."""
    utm = {"source": "google", "medium": "cpc"}
    campaign = id_text(delivery.get("campaign_id"))
    return {**utm, "campaign": campaign} if campaign else utm


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
