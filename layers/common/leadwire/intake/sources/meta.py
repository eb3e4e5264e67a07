"""Meta Lead Ads: the webhook notification (ids only) and the lead the Graph API answers for each id.

Pure functions: the HTTP fetch lives in intake.doors; these build its URL and read what it brings back."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from leadwire.clock import iso
from leadwire.errors import Malformed
from leadwire.intake.sources.payload import id_text, json_body, split_lead_fields
from leadwire.lead import Consent, RawLead

# Everything the lead node can tell about a lead; without `fields` Graph answers only id, created_time, field_data.
GRAPH_FIELDS = ("id", "created_time", "ad_id", "ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name",
                "form_id", "is_organic", "platform", "field_data", "custom_disclaimer_responses")
PLATFORM_SOURCES = {"fb": "facebook", "facebook": "facebook", "ig": "instagram", "instagram": "instagram",
                    "msg": "messenger", "messenger": "messenger", "an": "audience_network",
                    "audience_network": "audience_network"}
# Graph ids are decimal; anything else cannot be a lead id, and must never reach the URL path.
_GRAPH_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True)
class MetaLeadRef:
    """One `leadgen` change of a notification: which lead to fetch, and where it came from."""

    leadgen_id: str
    page_id: str | None = None
    form_id: str | None = None
    ad_id: str | None = None
    adgroup_id: str | None = None
    created_time: str | None = None  # epoch seconds, as text

    def stored(self) -> dict[str, str]:
        """The ref without its id, as kept in `fields.meta_ref` so a later retry can rebuild it."""
        return {name: value for name, value in asdict(self).items() if value is not None and name != "leadgen_id"}


def parse_notification(body: bytes) -> list[MetaLeadRef]:
    """Every `leadgen` change of every entry of a (possibly batched) notification; other fields are ignored.
    Ids are read as text whether Meta sent strings or (as in older payloads) numbers, so none loses digits."""
    changes = read_changes(body)
    for change in changes:
        if isinstance(change, Malformed):
            raise change
    return [change for change in changes if isinstance(change, MetaLeadRef)]


def read_changes(body: bytes) -> list[MetaLeadRef | Malformed]:
    """Each `leadgen` change on its own: its ref, or why it cannot be read (which never fails the others)."""
    notification = json_body(body, "Meta notification", parse_int=str)
    entries = notification.get("entry")
    if not isinstance(entries, list):
        raise Malformed("Meta notification has no entry list")
    found: list[MetaLeadRef | Malformed] = []
    for entry in entries:
        try:
            changes = _changes(entry)
        except Malformed as unreadable:
            found.append(unreadable)
            continue
        for change in changes:
            if change.get("field") != "leadgen":
                continue
            try:
                found.append(_ref(change.get("value")))
            except Malformed as unreadable:
                found.append(unreadable)
    return found


def graph_lead_url(base_url: str, leadgen_id: str, token: str) -> str:
    """`GET {META_GRAPH_URL}/{leadgen_id}?fields=…&access_token=…`."""
    query = urlencode({"fields": ",".join(GRAPH_FIELDS), "access_token": token}, safe=",")
    return f"{base_url.rstrip('/')}/{quote(leadgen_id, safe='')}?{query}"


def map_graph_lead(payload: dict[str, Any], ref: MetaLeadRef) -> RawLead:
    """The Graph API's lead: standard questions to lead fields, custom questions to `fields` under their key,
    campaign and ad names to UTM, ids to `fields`."""
    if not isinstance(payload, dict):
        raise Malformed("the Graph API's lead is not a JSON object")
    answers = _answers(payload.get("field_data"))
    lead, custom = split_lead_fields(answers)
    return RawLead(
        source="meta", source_ref=ref.leadgen_id, **lead,
        fields={**custom, **_ids(payload), "meta_ref": ref.stored()},
        utm=_utm(payload),
        consent=_consent(payload.get("custom_disclaimer_responses"), _created_time(payload, ref)),
        submitted_at=_created_time(payload, ref),
    )


def lead_id_of(node: dict[str, Any]) -> str | None:
    """The id of a lead node the Graph API listed, when it can be one."""
    leadgen_id = id_text(node.get("id"))
    return leadgen_id if leadgen_id and _GRAPH_ID.fullmatch(leadgen_id) else None


def pending_raw_lead(ref: MetaLeadRef) -> RawLead:
    """A lead the Graph API could not give us yet: stored by its id, enriched by a later sweep."""
    return RawLead(source="meta", source_ref=ref.leadgen_id, pending_enrichment=True,
                   fields={"meta_ref": ref.stored()}, submitted_at=_epoch_iso(ref.created_time))


# --- the notification ------------------------------------------------------------------------------------------
def _changes(entry: Any) -> list[dict[str, Any]]:
    changes = entry.get("changes") if isinstance(entry, dict) else None
    if not isinstance(changes, list):
        raise Malformed("a Meta notification entry has no changes list")
    return [change for change in changes if isinstance(change, dict)]


def _ref(value: Any) -> MetaLeadRef:
    if not isinstance(value, dict):
        raise Malformed("a leadgen change has no value object")
    leadgen_id = id_text(value.get("leadgen_id"))
    if leadgen_id is None or not _GRAPH_ID.fullmatch(leadgen_id):
        raise Malformed("a leadgen change has no usable leadgen_id")
    return MetaLeadRef(leadgen_id=leadgen_id, page_id=id_text(value.get("page_id")),
                       form_id=id_text(value.get("form_id")), ad_id=id_text(value.get("ad_id")),
                       adgroup_id=id_text(value.get("adgroup_id")), created_time=id_text(value.get("created_time")))


# --- the Graph API's lead --------------------------------------------------------------------------------------
def _answers(field_data: Any) -> list[tuple[str, Any]]:
    """(question key, answer): one value as text, several as a list. Items without a key are skipped."""
    if not isinstance(field_data, list):
        return []
    answers = []
    for item in field_data:
        name = item.get("name") if isinstance(item, dict) else None
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(values, list):
            continue
        texts = [value for value in values if isinstance(value, str)]
        answers.append((name, texts[0] if len(texts) == 1 else texts))
    return answers


def _ids(payload: dict[str, Any]) -> dict[str, Any]:
    names = ("form_id", "ad_id", "adset_id", "adset_name", "campaign_id", "platform")
    ids: dict[str, Any] = {f"meta_{name}": text for name in names if (text := id_text(payload.get(name)))}
    if isinstance(payload.get("is_organic"), bool):
        ids["meta_is_organic"] = payload["is_organic"]
    return ids


def _utm(payload: dict[str, Any]) -> dict[str, str]:
    """As Meta's own URL parameters suggest: source the platform, campaign, ad set as term, ad as content."""
    platform = payload.get("platform")
    source = PLATFORM_SOURCES.get(platform.lower(), platform) if isinstance(platform, str) and platform else "facebook"
    organic = payload.get("is_organic")
    utm = {"source": source, "medium": "organic_social" if organic is True else "paid_social"}
    for key, name in (("campaign", "campaign_name"), ("term", "adset_name"), ("content", "ad_name")):
        if isinstance(payload.get(name), str) and payload[name]:
            utm[key] = payload[name]
    return utm


# A custom disclaimer checkbox is marketing consent only when its key says so (the form's author names it:
# `marketing_optin`, `newsletter`, `email_opt_in`, …); a ticked privacy notice or terms box is not.
_MARKETING_KEY = re.compile(r"marketing|newsletter|opt_?in|subscri|promotion|news|werbung|e_?mail", re.IGNORECASE)


def _consent(responses: Any, captured_at: str | None) -> Consent | None:
    """The lead form's custom disclaimer checkboxes: every ticked one is recorded in the text, and it is marketing
    consent only when a ticked one is a marketing question (see _MARKETING_KEY)."""
    if not isinstance(responses, list) or not responses:
        return None
    ticked = [item.get("checkbox_key") for item in responses
              if isinstance(item, dict) and str(item.get("is_checked")).lower() in ("1", "true")]
    keys = [key for key in ticked if isinstance(key, str)]
    text = f"Meta lead form disclaimer: {', '.join(keys)}" if keys else None
    return Consent(marketing=any(_MARKETING_KEY.search(key) for key in keys), text=text, captured_at=captured_at)


def _created_time(payload: dict[str, Any], ref: MetaLeadRef) -> str | None:
    created = payload.get("created_time")
    return created if isinstance(created, str) and created else _epoch_iso(ref.created_time)


def _epoch_iso(epoch: str | None) -> str | None:
    if not epoch or not epoch.isdigit() or len(epoch) > 12:
        return None
    return iso(datetime.fromtimestamp(int(epoch), UTC))
