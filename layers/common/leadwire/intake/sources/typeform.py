"""Typeform's `form_response` webhook: answers by field ref (and by type), hidden fields as UTM and fields."""

from __future__ import annotations

from typing import Any

from leadwire.errors import Malformed
from leadwire.intake.sources.payload import json_body, lead_field, split_lead_fields, text_of
from leadwire.lead import Consent, RawLead

TOKEN_FIELD = "typeform_token"  # the response's own id: the same response redelivered keeps it
CONSENT_REFS = frozenset({"consent", "marketing_consent", "marketing_opt_in", "opt_in", "optin", "gdpr",
                          "gdpr_consent"})
TEXT_TYPES = ("text", "email", "phone_number", "url", "date", "file_url")
# An answer of these types fills the lead field even when its ref says nothing (a ref like "contact_mail").
TYPED_LEAD_FIELDS = {"email": "email", "phone_number": "phone"}


def parse_typeform(body: bytes) -> RawLead:
    """The response as a RawLead; `source_ref` is the delivery's event_id (the response token without one)."""
    delivery = json_body(body, "Typeform")
    response = delivery.get("form_response")
    if not isinstance(response, dict):
        raise Malformed("Typeform body has no form_response object")
    token = _text(response.get("token"))
    source_ref = _text(delivery.get("event_id")) or token
    if source_ref is None:
        raise Malformed("Typeform body has neither an event_id nor a response token")
    answers = _answers(response.get("answers"))
    consent_answer = next(((ref, value) for ref, _, value in answers if _is_consent(ref, value)), None)
    person, named = split_lead_fields(_named(answers, consent_answer))
    utm, hidden = _hidden(response.get("hidden"))
    return RawLead(
        source="typeform", source_ref=source_ref, **person,
        fields={**hidden, **_computed(response), **named, **_ids(response, token)},
        utm=utm,
        consent=_consent(consent_answer, _titles(response), _text(response.get("submitted_at"))),
        submitted_at=_text(response.get("submitted_at")),
    )


# --- answers ---------------------------------------------------------------------------------------------------
def _answers(answers: Any) -> list[tuple[str, str, Any]]:
    """(ref or field id, answer type, value) per answered question, in order; unreadable answers are skipped."""
    if not isinstance(answers, list):
        return []
    found = []
    for answer in answers:
        if not isinstance(answer, dict) or not isinstance(answer.get("field"), dict):
            continue
        name = _text(answer["field"].get("ref")) or _text(answer["field"].get("id"))
        kind = answer.get("type")
        value = _value(kind, answer.get(kind)) if isinstance(kind, str) else None
        if name and isinstance(kind, str) and value is not None:
            found.append((name, kind, value))
    return found


def _value(kind: str, value: Any) -> Any:
    """The answer as leadwire keeps it: text, a number, true/false, a choice's label or the list of labels."""
    if kind in TEXT_TYPES:
        return value if isinstance(value, str) else None
    if kind == "number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "choice" and isinstance(value, dict):
        return _text(value.get("label")) or _text(value.get("other"))
    if kind == "choices" and isinstance(value, dict):
        labels = [label for label in value.get("labels") or [] if isinstance(label, str)]
        return labels + ([value["other"]] if _text(value.get("other")) else [])
    if kind == "payment" and isinstance(value, dict):
        return {key: value[key] for key in ("amount", "success") if key in value}
    return value if isinstance(value, str | int | float | bool) else None


def _named(answers: list[tuple[str, str, Any]], consent: tuple[str, Any] | None) -> list[tuple[str, Any]]:
    """(name, value) pairs: by ref, except that the first email or phone answer whose ref names no lead field
    fills that lead field when no other answer does."""
    refs = [ref for ref, _, _ in answers]
    taken = {lead_field(ref) for ref in refs}
    pairs = []
    for ref, kind, value in answers:
        field = TYPED_LEAD_FIELDS.get(kind)
        if field and field not in taken and lead_field(ref) is None:
            taken.add(field)
            ref = field
        if consent is None or ref != consent[0]:
            pairs.append((ref, value))
    return pairs


def _is_consent(ref: str, value: Any) -> bool:
    return ref.lower() in CONSENT_REFS and isinstance(value, bool)


def _consent(answer: tuple[str, Any] | None, titles: dict[str, str], submitted_at: str | None) -> Consent | None:
    """A yes/no question with a consent ref; its question text is what the person agreed to."""
    if answer is None:
        return None
    ref, agreed = answer
    return Consent(marketing=agreed is True, text=titles.get(ref), captured_at=submitted_at)


def _titles(response: dict[str, Any]) -> dict[str, str]:
    """The question text of each field, by ref."""
    definition = response.get("definition")
    fields = definition.get("fields") if isinstance(definition, dict) else None
    if not isinstance(fields, list):
        return {}
    return {field["ref"]: field["title"] for field in fields if isinstance(field, dict)
            and isinstance(field.get("ref"), str) and isinstance(field.get("title"), str)}


# --- hidden fields, scores and ids -----------------------------------------------------------------------------
def _hidden(hidden: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """URL hidden fields: `utm_*` into UTM, the rest kept as fields."""
    if not isinstance(hidden, dict):
        return {}, {}
    utm: dict[str, str] = {}
    rest: dict[str, Any] = {}
    for name, value in hidden.items():
        key = name.lower()
        if key.startswith("utm_") and (text := text_of(value)):
            utm[key.removeprefix("utm_")] = text
        elif value not in (None, ""):
            rest[name] = value
    return utm, rest


def _computed(response: dict[str, Any]) -> dict[str, Any]:
    """The form's calculated score and variables, as `typeform_<name>`."""
    found: dict[str, Any] = {}
    calculated = response.get("calculated")
    if isinstance(calculated, dict):
        found.update({f"typeform_{name}": value for name, value in calculated.items()})
    variables = response.get("variables")
    for variable in variables if isinstance(variables, list) else []:
        if isinstance(variable, dict) and (key := _text(variable.get("key"))):
            kind = variable.get("type")
            found[f"typeform_{key}"] = variable.get(kind) if isinstance(kind, str) else None
    return found


def _ids(response: dict[str, Any], token: str | None) -> dict[str, str]:
    ids = {TOKEN_FIELD: token, "typeform_form_id": _text(response.get("form_id"))}
    return {name: value for name, value in ids.items() if value}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
