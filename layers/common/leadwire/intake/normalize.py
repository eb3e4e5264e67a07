"""The one normalisation every source goes through: a RawLead as the person typed it becomes a LeadInput
(email lower-cased and checked, phone in E.164, names split, country as ISO alpha-2, text trimmed and capped).

Text the person typed that is too long is refused with the field and the reason (they can fix it); text the
browser or the platform added (UTM, referrer, landing page) is cut to length instead, since nobody could fix it.
Line breaks are stored as "\\n" whatever the sender used (browsers send CRLF)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from leadwire.clock import iso, parse_iso
from leadwire.errors import ValidationFailed
from leadwire.lead import UTM_KEYS, Consent, LeadInput, RawLead, dialable_digits
from leadwire.reference import country_code

# Longest text accepted per field, in characters (email: RFC 5321's 254 for a whole address).
MAX_LENGTHS: dict[str, int] = {
    "email": 254, "full_name": 200, "first_name": 100, "last_name": 100, "company": 200, "job_title": 200,
    "city": 100, "postal_code": 20, "message": 5000, "source_ref": 256, "consent_text": 5000,
}
MAX_PHONE = 64
MAX_URL = 2048
MAX_UTM = 200
MAX_FIELDS = 100
MAX_FIELD_NAME = 100
MAX_FIELD_TEXT = 5000
MAX_FIELD_ITEMS = 100
MAX_FIELD_DEPTH = 4
MAX_DIGITS = 38  # DynamoDB numbers hold 38 significant digits

_SPACES = re.compile(r"\s+")
_NEWLINES = re.compile(r"\r\n?")


class _Invalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Problems:
    """Collects one `{field, reason}` per invalid field, so the sender learns about all of them at once."""

    def __init__(self) -> None:
        self.details: list[dict[str, str]] = []

    def check(self, field: str, clean: Callable[..., Any], *args: Any) -> Any:
        try:
            return clean(*args)
        except _Invalid as invalid:
            self.add(field, invalid.reason)
            return None

    def add(self, field: str, reason: str) -> None:
        self.details.append({"field": field, "reason": reason})

    def raise_if_any(self) -> None:
        if self.details:
            raise ValidationFailed(self.details)


def normalize(raw: RawLead, default_region: str | None, require_contact: bool = True) -> LeadInput:
    """The submission, cleaned; ValidationFailed lists every invalid field. A phone that cannot be read is kept
    as `phone_raw` and never refuses the lead; a lead needs an email or a phone unless it awaits enrichment (or
    `require_contact` is off: a platform's lead nobody can correct is flagged for review instead)."""
    problems = _Problems()
    first_name, last_name = _names(raw, problems)
    country, country_raw = _country(raw.country)
    email = problems.check("email", _email, raw.email)
    phone, phone_raw = normalize_phone(raw.phone, country or _region(default_region))
    utm, utm_extra = _utm(raw.utm)
    fields = _fields({**utm_extra, **raw.fields, **({"country_raw": country_raw} if country_raw else {})}, problems)
    lead = LeadInput(
        source=raw.source,
        source_ref=problems.check("source_ref", _line, raw.source_ref, MAX_LENGTHS["source_ref"]),
        email=email, phone=phone, phone_raw=phone_raw, first_name=first_name, last_name=last_name,
        company=problems.check("company", _line, raw.company, MAX_LENGTHS["company"]),
        job_title=problems.check("job_title", _line, raw.job_title, MAX_LENGTHS["job_title"]),
        country=country,
        city=problems.check("city", _line, raw.city, MAX_LENGTHS["city"]),
        postal_code=problems.check("postal_code", _line, raw.postal_code, MAX_LENGTHS["postal_code"]),
        message=problems.check("message", _paragraphs, raw.message, MAX_LENGTHS["message"]),
        utm=utm, fields=fields,
        consent=problems.check("consent", _consent, raw.consent),
        is_test=raw.is_test,
        referrer=_cut(raw.referrer, MAX_URL), landing_page=_cut(raw.landing_page, MAX_URL),
        submitted_at=_instant(raw.submitted_at),
        pending_enrichment=raw.pending_enrichment,
        resend=raw.resend,
        typed=raw.model_dump(mode="json", exclude_none=True, exclude_defaults=True, exclude={"resend"}),
    )
    if require_contact:
        _require_contact(raw, lead, problems)
    problems.raise_if_any()
    return lead


def normalize_email(text: str) -> str:
    """The address trimmed, checked (syntax only, no DNS) and lower-cased; ValidationFailed names `email`."""
    problems = _Problems()
    email = problems.check("email", _email, text)
    problems.raise_if_any()
    if email is None:
        raise ValidationFailed([{"field": "email", "reason": "empty"}])
    return str(email)


def normalize_phone(text: str | None, region: str | None) -> tuple[str | None, str | None]:
    """(E.164, None) when the number reads as valid, with `region` for national numbers; (None, the text as typed,
    trimmed) when it does not; (None, None) when there is no phone at all."""
    typed = _clean(text or "", multiline=False)
    if not typed:
        return None, None
    if len(typed) > MAX_PHONE:
        return None, typed[:MAX_PHONE]
    e164 = _e164(typed, region)
    return (e164, None) if e164 else (None, typed)


def email_domain(email: str | None) -> str | None:
    """The part after the last "@", lower-cased; None unless there is something on both sides of it."""
    local, at, domain = (email or "").strip().rpartition("@")
    return domain.lower() if at and local and domain else None


# --- text ------------------------------------------------------------------------------------------------------
def _clean(text: str, multiline: bool) -> str:
    """NFC, no lone surrogates or control characters; single-line text has its whitespace runs collapsed."""
    text = text.encode("utf-8", "ignore").decode("utf-8")  # lone surrogates cannot be stored as UTF-8
    text = unicodedata.normalize("NFC", text)
    if multiline:
        text = _NEWLINES.sub("\n", text)
        text = "".join(char for char in text if char in "\n\t" or unicodedata.category(char) != "Cc")
        return text.strip()
    text = _SPACES.sub(" ", text)
    return "".join(char for char in text if unicodedata.category(char) != "Cc").strip()


def _line(text: str | None, limit: int) -> str | None:
    return _capped(_clean(text, multiline=False), limit) if text is not None else None


def _paragraphs(text: str | None, limit: int) -> str | None:
    return _capped(_clean(text, multiline=True), limit) if text is not None else None


def _capped(text: str, limit: int) -> str | None:
    if len(text) > limit:
        raise _Invalid(f"longer than {limit} characters")
    return text or None


def _cut(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return _clean(text, multiline=False)[:limit] or None


def _instant(text: str | None) -> str | None:
    """An ISO-8601 or epoch-seconds instant as leadwire writes instants; None when it cannot be read."""
    if not text or len(text) > 64:
        return None
    text = text.strip()
    try:
        if text.isdigit():
            return iso(datetime.fromtimestamp(int(text), UTC))
        return iso(parse_iso(text))
    except (ValueError, OverflowError, OSError):
        return None


# --- the person ------------------------------------------------------------------------------------------------
def _names(raw: RawLead, problems: _Problems) -> tuple[str | None, str | None]:
    """Given parts win; otherwise the full name splits at its first space ("Anna M. Müller" → Anna, M. Müller)."""
    first = problems.check("first_name", _line, raw.first_name, MAX_LENGTHS["first_name"])
    last = problems.check("last_name", _line, raw.last_name, MAX_LENGTHS["last_name"])
    if first or last:
        return first, last
    whole = problems.check("full_name", _line, raw.full_name, MAX_LENGTHS["full_name"])
    if not whole:
        return None, None
    given, _, family = whole.partition(" ")
    return given, family or None


def load_checkers() -> None:
    """Import the email validator and phonenumbers now rather than on the first address (`services.prime`)."""
    import email_validator  # noqa: F401
    import phonenumbers  # noqa: F401


def _email(text: str | None) -> str | None:
    address = _line(text, MAX_LENGTHS["email"])
    if address is None:
        return None
    # Imported on first use: the validator compiles its grammar at import, which cold starts should not pay for.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise _Invalid(str(error)) from error


def _e164(typed: str, region: str | None) -> str | None:
    import phonenumbers  # imported on first use, like the email validator

    if region is None and typed.startswith("00"):
        typed = "+" + typed[2:]  # the international prefix most of the world dials
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _region(default_region: str | None) -> str | None:
    return country_code(default_region) if default_region else None


def _country(text: str | None) -> tuple[str | None, str | None]:
    """(alpha-2, None), or (None, the text) when it names no country we know: kept, never a reason to refuse."""
    typed = _cut(text, MAX_FIELD_NAME)
    if not typed:
        return None, None
    code = country_code(typed)
    return (code, None) if code else (None, typed)


def _consent(consent: Consent | None) -> Consent | None:
    if consent is None:
        return None
    text = _paragraphs(consent.text, MAX_LENGTHS["consent_text"])
    return Consent(marketing=consent.marketing, text=text, captured_at=_instant(consent.captured_at))


def _require_contact(raw: RawLead, lead: LeadInput, problems: _Problems) -> None:
    """An email, a valid phone, or at least a phone-like number typed: otherwise nobody can follow the lead up."""
    if raw.pending_enrichment or lead.email or lead.phone or _is_dialable(lead.phone_raw):
        return
    if any(detail["field"] == "email" for detail in problems.details):
        return  # the email given was invalid: that is the one thing to fix
    problems.add("email", "an email or a phone number is required")
    problems.add("phone", "an email or a phone number is required")


def _is_dialable(phone_raw: str | None) -> bool:
    return dialable_digits(phone_raw) is not None


# --- utm and the other fields ----------------------------------------------------------------------------------
def _utm(utm: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(the five UTM keys, "utm_" or not; cut to length, empty ones dropped), (other utm keys, kept as fields)."""
    kept: dict[str, str] = {}
    extra: dict[str, str] = {}
    for key, value in utm.items():
        name = _clean(key, multiline=False).lower().removeprefix("utm_")
        text = _cut(value, MAX_UTM)
        if not name or not text:
            continue
        if name in UTM_KEYS:
            kept.setdefault(name, text)
        else:
            extra[f"utm_{name}"[:MAX_FIELD_NAME]] = text
    return kept, extra


def _fields(fields: Mapping[str, Any], problems: _Problems) -> dict[str, Any]:
    if len(fields) > MAX_FIELDS:
        problems.add("fields", f"more than {MAX_FIELDS} fields")
        return {}
    kept: dict[str, Any] = {}
    for name, value in fields.items():
        key = _clean(str(name), multiline=False)
        if len(key) > MAX_FIELD_NAME:
            problems.add("fields", f"a field name is longer than {MAX_FIELD_NAME} characters")
            continue
        cleaned = problems.check(f"fields.{key}", _field_value, value, 1)
        if key and cleaned is not None:
            kept.setdefault(key, cleaned)
    return kept


def _field_value(value: Any, depth: int) -> Any:
    """A value as DynamoDB can hold it: text cleaned, numbers finite and of at most 38 digits, nesting bounded."""
    if isinstance(value, str):
        return _paragraphs(value, MAX_FIELD_TEXT)  # an empty input says nothing: dropped
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) >= 10**MAX_DIGITS:
            raise _Invalid(f"a number with more than {MAX_DIGITS} digits")
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth >= MAX_FIELD_DEPTH and isinstance(value, list | tuple | Mapping):
        raise _Invalid(f"nested more than {MAX_FIELD_DEPTH} levels deep")
    if isinstance(value, list | tuple):
        return _field_list(value, depth)
    if isinstance(value, Mapping):
        return _field_map(value, depth)
    return None


def _field_list(values: list[Any] | tuple[Any, ...], depth: int) -> list[Any]:
    if len(values) > MAX_FIELD_ITEMS:
        raise _Invalid(f"more than {MAX_FIELD_ITEMS} values")
    cleaned = (_field_value(item, depth + 1) for item in values)
    return [item for item in cleaned if item is not None]


def _field_map(values: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    if len(values) > MAX_FIELD_ITEMS:
        raise _Invalid(f"more than {MAX_FIELD_ITEMS} values")
    kept: dict[str, Any] = {}
    for name, value in values.items():
        key = _clean(str(name), multiline=False)[:MAX_FIELD_NAME]
        cleaned = _field_value(value, depth + 1)
        if key and cleaned is not None:
            kept.setdefault(key, cleaned)
    return kept


def keep_what_is_valid(raw: RawLead, default_region: str | None) -> LeadInput:
    """Normalise a platform's lead, which nobody can correct and resend, and store it whatever it holds: a field that
    fails validation is set aside whole (`set_aside: [{field, value, reason}]`, never cut) and the rest stored; a lead
    with no usable email or phone is flagged `needs_review`, so a person reads it."""
    typed = raw.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    set_aside: list[dict[str, Any]] = []
    for _ in range(4):  # each round sets aside what failed; what is left cannot fail the same way again
        try:
            lead = normalize(raw, default_region, require_contact=False)
            break
        except ValidationFailed as refused:
            raw, aside = _without(raw, refused.details)
            if not aside:
                raise
            set_aside += aside
    else:
        raise ValidationFailed([{"field": "fields", "reason": "could not be stored even with its fields set aside"}])
    needs_review = not raw.pending_enrichment and not (lead.email or lead.phone or _is_dialable(lead.phone_raw))
    return lead.model_copy(update={"typed": typed, "set_aside": set_aside, "needs_review": needs_review})


def _without(raw: RawLead, details: list[dict[str, Any]]) -> tuple[RawLead, list[dict[str, Any]]]:
    """The lead without the fields that failed, and those fields whole, each with its reason."""
    own = set(RawLead.model_fields) - {"source", "fields"}
    changes: dict[str, Any] = {}
    fields = dict(raw.fields)
    aside: list[dict[str, Any]] = []
    for detail in details:
        name, reason = str(detail["field"]), str(detail["reason"])
        if name in own and name not in changes:
            value = getattr(raw, name)
            changes[name] = None
            aside.append({"field": name, "value": value.model_dump(mode="json") if hasattr(value, "model_dump")
                          else value, "reason": reason})
        elif name.startswith("fields."):
            key = next((sent for sent in fields if _clean(str(sent), multiline=False) == name[7:]), None)
            if key is not None:
                aside.append({"field": name, "value": fields.pop(key), "reason": reason})
        elif name == "fields" and fields:
            aside.append({"field": "fields", "value": fields, "reason": reason})
            fields = {}
    return raw.model_copy(update={**changes, "fields": fields}), aside
