"""Signed links to a rep's lead page: `{base}/l/{token}`, where the token names the lead, the rep and an expiry.

The token is `<lead id>.<rep id>.<expiry, unix seconds in base 36>.<HMAC-SHA256>`: ids only, never personal data.
It is signed with the first of the stack's rep-link keys and accepted under any of them, so keys can be rotated
(put the new key first, keep the old one until its links have expired). Signatures are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadwire.errors import Forbidden

DEFAULT_DAYS = 30
_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class LinkInvalid(Forbidden):
    """A token that was not signed by one of our keys: forged, altered, truncated or made up."""

    code = "invalid_link"


class LinkExpired(Forbidden):
    code = "expired_link"


@dataclass(frozen=True)
class RepLink:
    lead_id: str
    rep_id: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        """Who acts through this link, as the timeline records it."""
        return f"rep:{self.rep_id}"


def _signature(key: str, payload: str) -> str:
    digest = hmac.new(key.encode(), f"rep-link:v1:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def sign(keys: Sequence[str], lead_id: str, rep_id: str, expires_at: datetime) -> str:
    if not keys:
        raise ValueError("no rep-link key configured")
    if not (_PART.match(lead_id) and _PART.match(rep_id)):
        raise ValueError("lead and rep ids must be plain ids")
    payload = f"{lead_id}.{rep_id}.{_base36(int(expires_at.timestamp()))}"
    return f"{payload}.{_signature(keys[0], payload)}"


def verify(keys: Sequence[str], token: str, now: datetime) -> RepLink:
    """What a token names; LinkInvalid unless one of `keys` signed exactly it, LinkExpired once its time is up."""
    parts = token.split(".")
    if len(parts) != 4 or not keys:
        raise LinkInvalid("this link is not valid")
    payload, given = ".".join(parts[:3]), parts[3].encode()
    matched = False
    for key in keys:  # every key is tried, so the time taken does not say which one matched
        matched |= hmac.compare_digest(given, _signature(key, payload).encode())
    if not matched:
        raise LinkInvalid("this link is not valid")
    lead_id, rep_id, expiry = parts[:3]
    expires_at = datetime.fromtimestamp(int(expiry, 36), UTC)
    if now >= expires_at:
        raise LinkExpired("this link has expired")
    return RepLink(lead_id, rep_id, expires_at)


@dataclass(frozen=True)
class RepLinks:
    """Everything a sender needs to put a lead-page link in an email: where the API is, the keys, how long."""

    base_url: str
    keys: tuple[str, ...] = ()
    days: int = DEFAULT_DAYS

    def url(self, lead_id: str, rep_id: str, now: datetime) -> str | None:
        """The rep's link to the lead's page, valid for `days` from `now`; None when no key is configured."""
        if not self.keys:
            return None
        token = sign(self.keys, lead_id, rep_id, now + timedelta(days=self.days))
        return f"{self.base_url.rstrip('/')}/l/{token}"

    def read(self, token: str, now: datetime) -> RepLink:
        return verify(self.keys, token, now)

    def lasting(self, days: int) -> RepLinks:
        return RepLinks(self.base_url, self.keys, days)
