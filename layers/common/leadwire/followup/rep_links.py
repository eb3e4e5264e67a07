"""Links to a rep's lead page: `{base}/l/{token}`, where the token is 24 random characters that name nothing.

Each link is stored under the SHA-256 of its token, with the lead, the rep and until when it works: whoever reads
the table finds no token to open, and nothing signs a link, so the functions that send links read no secret. The
item is deleted (TTL) a month after the link stops working; until then its page says it expired, not that it never
existed. Tokens signed by releases before stored links (`<lead>.<rep>.<expiry>.<signature>`) are refused with a page
of their own, since the key that signed them is gone.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from leadwire.clock import iso, parse_iso
from leadwire.errors import Forbidden
from leadwire.store import schema

if TYPE_CHECKING:
    from leadwire.store.table import Store

DEFAULT_DAYS = 30
KEPT_AFTER_EXPIRY = timedelta(days=30)
TOKEN_BYTES = 18  # 144 random bits: 24 URL-safe characters
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{24}$")
_SIGNED = re.compile(r"^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}\.[0-9a-z]{1,13}\.[A-Za-z0-9_-]{43}$")


class LinkInvalid(Forbidden):
    """A token we never made: altered, truncated or made up."""

    code = "invalid_link"


class LinkExpired(Forbidden):
    code = "expired_link"


class LinkRetired(LinkExpired):
    """A signed token of an earlier release: its signing key no longer exists."""


@dataclass(frozen=True)
class RepLink:
    lead_id: str
    rep_id: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        """Who acts through this link, as the timeline records it."""
        return f"rep:{self.rep_id}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RepLinks:
    """Everything a sender needs to put a lead-page link in an email: where the API is, where links are kept, for
    how long they work. Without a store no link is made (emails go out without one)."""

    base_url: str
    store: Store | None = None
    days: int = DEFAULT_DAYS

    def url(self, lead_id: str, rep_id: str, now: datetime) -> str | None:
        """A new link for the rep to the lead's page, working for `days` from `now` (stored before it is given)."""
        if self.store is None:
            return None
        token = secrets.token_urlsafe(TOKEN_BYTES)
        until = now + timedelta(days=self.days)
        self.store.put({**schema.rep_link(_digest(token)), "lead_id": lead_id, "rep_id": rep_id,
                        "valid_until": iso(until), schema.TTL_ATTRIBUTE: int((until + KEPT_AFTER_EXPIRY).timestamp())})
        return f"{self.base_url.rstrip('/')}/l/{token}"

    def read(self, token: str, now: datetime) -> RepLink:
        """What a token opens; LinkInvalid unless we made it, LinkExpired once its time is up."""
        if _SIGNED.match(token):
            raise LinkRetired("this link is from an earlier version of leadwire")
        item = self._stored(token)
        if item is None:
            raise LinkInvalid("this link is not valid")
        link = RepLink(str(item["lead_id"]), str(item["rep_id"]), parse_iso(str(item["valid_until"])))
        if now >= link.expires_at:
            raise LinkExpired("this link has expired")
        return link

    def made_for(self, token: str) -> tuple[str, str] | None:
        """The lead and the rep a token was made for, whether or not it still works: a stored link's (an expired
        one until the table drops it), or the ids an earlier release's signed token spells out, which nothing can
        check any more (so they only ever lead to a new link sent to that rep's own address)."""
        if _SIGNED.match(token):
            lead_id, rep_id = token.split(".")[:2]
            return lead_id, rep_id
        item = self._stored(token)
        return (str(item["lead_id"]), str(item["rep_id"])) if item else None

    def _stored(self, token: str) -> dict[str, object] | None:
        return self.store.get(schema.rep_link(_digest(token))) if self.store and _TOKEN.match(token) else None

    def lasting(self, days: int) -> RepLinks:
        return RepLinks(self.base_url, self.store, days)
