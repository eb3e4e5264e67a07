"""What every source shares: reading a JSON body safely, and the names forms and platforms give the lead's fields."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, TypedDict, cast

from leadwire.errors import Malformed

# The names people and platforms give each RawLead field; the key is the name lower-cased with spaces and dashes
# turned into underscores. Meta's standard questions, Google's column ids and Typeform's refs are all in here.
LEAD_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e_mail", "email_address", "mail", "your_email", "_replyto", "replyto", "reply_to",
              "work_email"),
    "phone": ("phone", "phone_number", "tel", "telephone", "mobile", "mobile_phone", "mobile_number", "cell",
              "cellphone", "phonenumber", "work_phone", "work_phone_number"),
    "full_name": ("name", "full_name", "fullname", "your_name", "contact_name"),
    "first_name": ("first_name", "firstname", "given_name", "fname", "forename", "vorname"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "lname", "nachname"),
    "company": ("company", "company_name", "companyname", "organisation", "organization", "business",
                "business_name", "firma"),
    "job_title": ("job_title", "jobtitle", "title", "position", "role"),
    "country": ("country", "country_code", "land"),
    "city": ("city", "town", "ort", "stadt"),
    "postal_code": ("postal_code", "postcode", "post_code", "zip", "zipcode", "zip_code", "plz"),
    "message": ("message", "comments", "comment", "msg", "enquiry", "inquiry", "notes", "question", "nachricht"),
}
# What a ticked checkbox or a yes sends: "on" is a browser's default value for a checkbox.
YES = frozenset({"on", "true", "yes", "y", "1", "checked", "accepted", "agree", "agreed"})
_FIELD_BY_NAME = {name: field for field, names in LEAD_FIELD_NAMES.items() for name in names}
_SEPARATORS = re.compile(r"[\s\-]+")


def lead_field(name: str) -> str | None:
    """The RawLead field a submitted name stands for ("E-Mail" → "email", "zip" → "postal_code"), else None."""
    return _FIELD_BY_NAME.get(_SEPARATORS.sub("_", name.strip().lower()))


def text_of(value: Any) -> str | None:
    """A submitted value as text: strings as they are, numbers written out, the first text of a list."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return next((text for item in value if (text := text_of(item))), None)
    return None


class PersonFields(TypedDict, total=False):
    """The RawLead fields a submission's answers can fill, as text."""

    email: str
    phone: str
    full_name: str
    first_name: str
    last_name: str
    company: str
    job_title: str
    country: str
    city: str
    postal_code: str
    message: str


def split_lead_fields(pairs: Iterable[tuple[str, Any]]) -> tuple[PersonFields, dict[str, Any]]:
    """Named answers into (RawLead fields, everything else): the first non-empty answer for a lead field wins,
    and what does not fit a lead field is kept under its own name so nothing the person sent is lost."""
    lead: dict[str, str] = {}
    rest: dict[str, Any] = {}
    for name, value in pairs:
        field = lead_field(name)
        text = text_of(value) if field else None
        if field and text and text.strip() and field not in lead:
            lead[field] = text
        elif not (field and _is_empty(value)):  # an empty optional input for a lead field says nothing
            rest.setdefault(name, value)
    return cast(PersonFields, lead), rest


def is_yes(answer: Any) -> bool:
    """A consent-like answer: true, "on", "yes", "1"…; a list (repeated checkbox) when any of it is."""
    if isinstance(answer, list):
        return any(is_yes(item) for item in answer)
    if isinstance(answer, bool):
        return answer
    return isinstance(answer, str | int) and str(answer).strip().lower() in YES


def json_body(body: bytes, what: str, parse_int: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """A JSON object from the raw bytes; anything else is Malformed. NaN, Infinity and numbers too large for a
    double (1e999) are refused: no store could keep them."""
    try:
        document = json.loads(body, parse_int=parse_int, parse_float=_finite_float, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise Malformed(f"{what} body is not valid JSON: {_reason(error)}") from error
    if not isinstance(document, dict):
        raise Malformed(f"{what} body must be a JSON object")
    return document


def id_text(value: Any) -> str | None:
    """A platform id as exact text, whether the platform sent a JSON string or a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large a number")
    return number


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    return str(error)
