"""Is this request from who it says? Every check runs over the raw bytes, compares in constant time, and says
what was wrong (missing, badly formed, mismatched, stale) without ever echoing a secret or a signature."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence

from leadwire.errors import SignatureMismatch

STANDARD_WEBHOOK_TOLERANCE_S = 300
_SHA256_BYTES = 32
_Decoder = Callable[[str], bytes | None]


def same(given: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time equality of two tokens; never equal when either is missing or empty."""
    if not given or not expected:
        return False
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def verify_meta(body: bytes, header: str | None, app_secrets: Sequence[str]) -> None:
    """Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body, keyed with the app secret>`; any of the
    configured secrets (several while one is rotated) may have signed it."""
    _require_secret(app_secrets, "Meta app secret")
    digest = _prefixed_digest(header, "X-Hub-Signature-256", _from_hex)
    if not _any_signed(digest, body, app_secrets):
        raise SignatureMismatch("X-Hub-Signature-256 does not match the body")


def verify_typeform(body: bytes, header: str | None, secrets: Sequence[str]) -> None:
    """Typeform's `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body, keyed with the webhook secret>`."""
    _require_secret(secrets, "Typeform secret")
    digest = _prefixed_digest(header, "Typeform-Signature", _from_base64)
    if not _any_signed(digest, body, secrets):
        raise SignatureMismatch("Typeform-Signature does not match the body")


def verify_standard_webhook(body: bytes, headers: Mapping[str, str], secrets: list[str], now: float,
                            tolerance: int = STANDARD_WEBHOOK_TOLERANCE_S) -> None:
    """Standard Webhooks v1: HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with any of the
    `whsec_` secrets (several during rotation), matching any `v1,` entry of `webhook-signature`, sent within
    `tolerance` seconds of `now` either way."""
    keys = _webhook_keys(secrets)
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = _required_header(lowered, "webhook-id")
    timestamp = _required_header(lowered, "webhook-timestamp")
    offered = _v1_signatures(_required_header(lowered, "webhook-signature"))
    _check_fresh(timestamp, now, tolerance)
    signed = f"{message_id}.{timestamp}.".encode() + body
    matched = False
    for key in keys:
        expected = _hmac_sha256(key, signed)
        for signature in offered:
            matched |= hmac.compare_digest(signature, expected)  # no early exit: every pair is compared
    if not matched:
        raise SignatureMismatch("no webhook-signature entry matches the message")


def verify_google_key(given: str | None, expected: Sequence[str]) -> None:
    """Google Ads lead forms put the configured key in the body as `google_key` (any configured key matches)."""
    _require_secret(expected, "Google Ads key")
    if not given:
        raise SignatureMismatch("google_key is missing from the body")
    matched = False
    for key in expected:
        matched |= same(given, key)  # no early exit: every configured key is compared
    if not matched:
        raise SignatureMismatch("google_key does not match the configured key")


# --- pieces ----------------------------------------------------------------------------------------------------
def _bytes(value: str | bytes) -> bytes:
    # hmac.compare_digest refuses non-ASCII str; compare the UTF-8 bytes instead.
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _require_secret(secrets: Sequence[str], name: str) -> None:
    # With an empty key anyone could compute the HMAC: refuse everything until a secret is set.
    if isinstance(secrets, str) or not any(secrets):
        raise SignatureMismatch(f"the {name} is not configured, so no request can be verified")


def _any_signed(digest: bytes, body: bytes, secrets: Sequence[str]) -> bool:
    matched = False
    for secret in secrets:
        if secret:
            matched |= hmac.compare_digest(digest, _hmac_sha256(secret.encode(), body))  # every secret compared
    return matched


def _prefixed_digest(header: str | None, name: str, decode: _Decoder) -> bytes:
    """The 32-byte digest of a `sha256=<digest>` header, or SignatureMismatch saying what is wrong with it."""
    if not header or not header.strip():
        raise SignatureMismatch(f"{name} header is missing")
    algorithm, separator, encoded = header.strip().partition("=")
    if not separator:
        raise SignatureMismatch(f"{name} must look like sha256=<signature>")
    if algorithm.lower() != "sha256":
        raise SignatureMismatch(f"{name} must be a sha256 signature, not {algorithm[:10]!r}")
    digest = decode(encoded)
    if digest is None or len(digest) != _SHA256_BYTES:
        raise SignatureMismatch(f"{name} is not a well-formed sha256 signature")
    return digest


def _from_hex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _from_base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None


def _webhook_keys(secrets: list[str]) -> list[bytes]:
    """The HMAC keys of the `whsec_<base64>` secrets; ones that do not decode are skipped."""
    keys = [key for secret in secrets if (key := _from_base64(secret.strip().removeprefix("whsec_")))]
    if not keys:
        raise SignatureMismatch("no webhook secret is configured, so no request can be verified")
    return keys


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise SignatureMismatch(f"{name} header is missing")
    return value


def _v1_signatures(header: str) -> list[bytes]:
    """The digests of the `v1,<base64>` entries; other schemes (v1a is ed25519) are not ours to check."""
    signatures = []
    for entry in header.split():
        version, _, encoded = entry.partition(",")
        digest = _from_base64(encoded) if version == "v1" else None
        if digest is not None and len(digest) == _SHA256_BYTES:
            signatures.append(digest)
    if not signatures:
        raise SignatureMismatch("webhook-signature holds no well-formed v1 signature")
    return signatures


def _check_fresh(timestamp: str, now: float, tolerance: int) -> None:
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureMismatch("webhook-timestamp must be whole seconds since the epoch")
    age = now - int(timestamp)
    if age > tolerance:
        raise SignatureMismatch(f"webhook-timestamp is more than {tolerance} seconds old")
    if age < -tolerance:
        raise SignatureMismatch(f"webhook-timestamp is more than {tolerance} seconds in the future")
