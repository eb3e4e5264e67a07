"""The website form: a browser's (or a script's) POST, as JSON, urlencoded or multipart, into a RawLead.

Formspree's conventions hold: `_gotcha` is a honeypot, `_next` the page to send the person to, other
`_`-prefixed names steer the form and are not stored. `_submission` is what the snippet sends to tell a form filled
in once from one filled in again: a random token, the same when the same form is sent again (after an answer that
never came, say), so a resend is a redelivery and is stored once. Repeated names (checkboxes) become lists, in order.
Values are kept exactly as sent, CRLF line breaks included; normalize stores every line break as "\\n"."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from leadwire.errors import Malformed, UnsupportedMediaType
from leadwire.intake.sources.payload import is_yes, json_body, split_lead_fields, text_of
from leadwire.lead import UTM_KEYS, Consent, RawLead

MAX_FORM_FIELDS = 1000
MAX_NEXT_URL = 2048
ACCEPTED_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
REFERRER_NAMES = ("referrer", "referer", "document_referrer")
LANDING_NAMES = ("landing_page", "_landing", "landing_page_url", "page_url")
CONSENT_TEXT_NAMES = ("consent_text", "_consent_text")
_REPLY_TO = "_replyto"  # Formspree's name for the reply address: the person's email
SUBMISSION = "_submission"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # the snippet's is 22 characters: 16 random bytes, base64url

# `; name=value` or `; name="quoted value"` parameters of a Content-Type or Content-Disposition header.
_PARAMETER = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_QUOTED_PAIR = re.compile(r"\\(.)")
# Browsers escape these three in multipart field names (HTML spec, "multipart/form-data encoding algorithm").
_NAME_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}


@dataclass(frozen=True)
class WebsiteSubmission:
    lead: RawLead
    honeypot: bool = False  # a bot filled the hidden `_gotcha` input: answer as if accepted, store nothing
    next_url: str | None = None  # `_next` as sent (absolute or relative): where to send the person (303)
    page: str | None = None  # the page the form was posted from: the Referer, else the landing page it names


def parse_form(body: bytes, content_type: str | None, headers: Mapping[str, str], query: Mapping[str, str],
               received_at: str) -> WebsiteSubmission:
    """The submission in the body, with UTM, referrer, landing page and consent from the form or the request."""
    form = _grouped(_pairs(body, content_type))
    controls = {name: value for name, value in form.items() if name.startswith("_")}
    visible = {name: value for name, value in form.items() if not name.startswith("_")}
    referer = _header(headers, "referer")
    landing_page = _first_text(form, LANDING_NAMES) or referer
    lead, fields = split_lead_fields(_person_pairs(visible, controls))
    raw = RawLead(
        source="website", **lead, fields={**_query_fields(query), **fields},
        utm=_utm(visible, query, landing_page, referer),
        consent=_consent(_lowered(visible).get("consent"), _first_text(form, CONSENT_TEXT_NAMES), received_at),
        referrer=_first_text(visible, REFERRER_NAMES) or referer,
        landing_page=landing_page,
        submitted_at=received_at,
        resend=_submission_token(controls),
    )
    return WebsiteSubmission(raw, honeypot=_is_filled(controls.get("_gotcha")), next_url=_next_url(controls),
                             page=referer or landing_page)


# --- the body --------------------------------------------------------------------------------------------------
def _pairs(body: bytes, content_type: str | None) -> list[tuple[str, Any]]:
    media_type, parameters = _media_type(content_type)
    if media_type == "application/json":
        return list(json_body(body, "form").items())
    if media_type == "application/x-www-form-urlencoded":
        return _urlencoded(body, parameters.get("charset", "utf-8"))
    if media_type == "multipart/form-data":
        return _multipart(body, parameters.get("boundary"))
    shown = media_type[:100] or "nothing"
    raise UnsupportedMediaType(f"a form must be sent as {', '.join(ACCEPTED_TYPES)}, not {shown}",
                               [{"field": "content-type", "reason": f"{shown} is not accepted"}])


def _media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """("multipart/form-data", {"boundary": "…"}) from a Content-Type header."""
    media_type, _, _ = (content_type or "").partition(";")
    return media_type.strip().lower(), _parameters(content_type or "")


def _parameters(header: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in _PARAMETER.findall(header):
        if value.startswith('"'):
            value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
        parameters.setdefault(name.lower(), value.strip())
    return parameters


def _urlencoded(body: bytes, charset: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode(charset), keep_blank_values=True, encoding=charset, errors="strict",
                         max_num_fields=MAX_FORM_FIELDS)
    except LookupError as error:
        raise Malformed(f"unknown charset {charset[:40]!r}") from error
    except UnicodeDecodeError as error:
        raise Malformed(f"form body is not valid {charset[:40]}") from error
    except ValueError as error:
        raise Malformed(f"a form may hold at most {MAX_FORM_FIELDS} fields") from error


def _multipart(body: bytes, boundary: str | None) -> list[tuple[str, str]]:
    """RFC 7578 parts, split on CRLF--boundary over the raw bytes. File parts are skipped: leadwire keeps no files."""
    if not boundary or len(boundary) > 70 or not boundary.isascii():
        raise Malformed("multipart/form-data needs a boundary parameter of 1 to 70 ASCII characters")
    sections = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("ascii"))
    pairs: list[tuple[str, str]] = []
    for section in sections[1:]:  # sections[0] is the preamble, which means nothing
        if section.startswith(b"--"):
            return pairs
        if len(pairs) >= MAX_FORM_FIELDS:
            raise Malformed(f"a form may hold at most {MAX_FORM_FIELDS} fields")
        pair = _part(section)
        if pair is not None:
            pairs.append(pair)
    raise Malformed("multipart body does not end with its closing boundary")


def _part(section: bytes) -> tuple[str, str] | None:
    """(name, text) of one part, or None for a file."""
    rest = section.lstrip(b" \t")  # transport padding after the boundary
    if not rest.startswith(b"\r\n"):
        raise Malformed("multipart boundary is not followed by a line break")
    head, separator, content = rest.partition(b"\r\n\r\n")
    if not separator:
        raise Malformed("a multipart part has no blank line after its headers")
    part_headers = _part_headers(head.removeprefix(b"\r\n"))
    disposition = _parameters(part_headers.get("content-disposition", ""))
    name = disposition.get("name")
    if not part_headers.get("content-disposition", "").lower().startswith("form-data") or name is None:
        raise Malformed("a multipart part has no Content-Disposition: form-data; name=…")
    if "filename" in disposition or "filename*" in disposition:
        return None
    charset = _parameters(part_headers.get("content-type", "")).get("charset", "utf-8")
    return _field_name(name), _decoded(content, charset)


def _part_headers(head: bytes) -> dict[str, str]:
    try:
        lines = head.decode("utf-8").split("\r\n")  # browsers send field names as raw UTF-8
    except UnicodeDecodeError as error:
        raise Malformed("multipart part headers are not UTF-8") from error
    found: dict[str, str] = {}
    for line in filter(None, lines):
        name, colon, value = line.partition(":")
        if not colon:
            raise Malformed("a multipart part header has no colon")
        found.setdefault(name.strip().lower(), value.strip())
    return found


def _field_name(name: str) -> str:
    for escaped, character in _NAME_ESCAPES.items():
        name = name.replace(escaped, character)
    return name


def _decoded(content: bytes, charset: str) -> str:
    try:
        return content.decode(charset)
    except LookupError as error:
        raise Malformed(f"unknown charset {charset[:40]!r}") from error
    except UnicodeDecodeError as error:
        raise Malformed(f"a multipart value is not valid {charset[:40]}") from error


def _grouped(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Repeated names (checkboxes, `interest[]`) become a list of their values, in the order sent."""
    values: dict[str, list[Any]] = {}
    listed: set[str] = set()
    for sent_name, value in pairs:
        name = sent_name.strip()
        if name.endswith("[]"):
            name = name.removesuffix("[]")
            listed.add(name)
        values.setdefault(name, []).append(value)
    return {name: items if len(items) > 1 or name in listed else items[0] for name, items in values.items()}


# --- what the form means ---------------------------------------------------------------------------------------
def _person_pairs(visible: Mapping[str, Any], controls: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The answers that describe the person: everything visible but UTM, consent and page, plus `_replyto`."""
    taken = {"utm", "consent", *CONSENT_TEXT_NAMES, *REFERRER_NAMES, *LANDING_NAMES}
    pairs = [(name, value) for name, value in visible.items()
             if name.lower() not in taken and not name.lower().startswith("utm_")]
    if _REPLY_TO in controls:
        pairs.append((_REPLY_TO, controls[_REPLY_TO]))
    return pairs


def _query_fields(query: Mapping[str, str]) -> dict[str, str]:
    """Parameters of the URL the form posts to (`/leads?form=quote`): kept like fields, the form's own win."""
    return {name: value for name, value in query.items()
            if not name.startswith("_") and not name.lower().startswith("utm_")}


def _utm(visible: Mapping[str, Any], query: Mapping[str, str], landing_page: str | None,
         referer: str | None) -> dict[str, str]:
    """UTM key by key: what the form's fields say, then for each key they did not send, the URL the form posted
    to, the landing page's query, the Referer's query, in that order."""
    candidates = [_utm_of(visible.items()), _utm_from_object(visible.get("utm")), _utm_of(query.items()),
                  _utm_of(_query_of(landing_page)), _utm_of(_query_of(referer))]
    utm: dict[str, str] = {}
    for found in candidates:
        for key, value in found.items():
            utm.setdefault(key, value)
    return utm


def _utm_of(pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
    utm: dict[str, str] = {}
    for name, value in pairs:
        lowered = name.strip().lower()
        key = lowered.removeprefix("utm_")
        text = text_of(value)
        if key != lowered and key in UTM_KEYS and text and text.strip():
            utm.setdefault(key, text)
    return utm


def _utm_from_object(value: Any) -> dict[str, str]:
    """A JSON form may send `"utm": {"source": …}`."""
    if not isinstance(value, Mapping):
        return {}
    return _utm_of((f"utm_{str(key).lower().removeprefix('utm_')}", item) for key, item in value.items())


def _query_of(url: str | None) -> list[tuple[str, str]]:
    if not url:
        return []
    try:
        return parse_qsl(urlsplit(url).query, keep_blank_values=False, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:
        return []  # a page address is context, never a reason to refuse the lead


def _consent(answer: Any, consent_text: str | None, received_at: str) -> Consent | None:
    """A ticked `consent` box ("on", "true", "yes"), JSON true, or `{"marketing": …, "text": …}`; None if absent."""
    if answer is None:
        return None
    if isinstance(answer, Mapping):
        return Consent(marketing=is_yes(answer.get("marketing")), text=text_of(answer.get("text")) or consent_text,
                       captured_at=received_at)
    return Consent(marketing=is_yes(answer), text=consent_text, captured_at=received_at)


def _submission_token(controls: Mapping[str, Any]) -> str | None:
    """The form's `_submission` token; anything else in its place is no token (and never a reason to refuse)."""
    token = text_of(controls.get(SUBMISSION))
    return token if token and _TOKEN.fullmatch(token) else None


def _is_filled(honeypot: Any) -> bool:
    """People never see the `_gotcha` input, so anything in it was put there by a bot."""
    text = text_of(honeypot)
    return bool(text and text.strip()) or honeypot is True


def _next_url(controls: Mapping[str, Any]) -> str | None:
    """`_next` when it is safe in a Location header (ASCII, no spaces or control characters); where it may lead
    is decided by `redirect_target`."""
    url = text_of(controls.get("_next"))
    if not url or len(url) > MAX_NEXT_URL or not url.isascii() or any(char.isspace() or not char.isprintable()
                                                                       for char in url):
        return None
    return url


def redirect_target(next_url: str, page: str | None, allowed_origins: Iterable[str], thanks_url: str) -> str:
    """Where `_next` may send the person: resolved against the origin of the page the form was posted from when
    relative, and followed only to that origin or to an origin the owner allowed; anything else gets the API's own
    thank-you page, so the form is never an open redirect."""
    page_origin = origin_of(page)
    try:
        target = urljoin(page_origin + "/", next_url) if page_origin else next_url
        target_origin = origin_of(target)
    except ValueError:
        return thanks_url
    if target_origin and (target_origin == page_origin or target_origin in set(allowed_origins)):
        return target
    return thanks_url


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]`, lower-cased, of an absolute http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _first_text(form: Mapping[str, Any], names: Iterable[str]) -> str | None:
    lowered = _lowered(form)
    return next((text for name in names if (text := text_of(lowered.get(name))) and text.strip()), None)


def _lowered(form: Mapping[str, Any]) -> dict[str, Any]:
    lowered: dict[str, Any] = {}
    for name, value in form.items():
        lowered.setdefault(name.lower(), value)  # "Email" and "email" both sent: the first one wins
    return lowered


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name and value), None)
