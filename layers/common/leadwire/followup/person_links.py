"""Links in the emails leadwire sends to people (unsubscribe, confirm a subscription): each names one lead and one
purpose under an HMAC, so it cannot be forged, altered or used for the other purpose, and each opens a small page
whose button POSTs (a GET changes nothing: mail scanners open links)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, quote

from leadwire.errors import Forbidden

PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'"}
_PAGE = ('<!doctype html><html lang="en"><meta charset="utf-8">'
         '<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
         "<main><h1>{title}</h1>{body}</main></html>")


def page(title: str, body: str) -> str:
    """The whole page: no script, no style, nothing remote (`body` is HTML the caller escaped)."""
    return _PAGE.format(title=title, body=body)


@dataclass(frozen=True)
class SignedLink:
    purpose: str  # also the link's path: "unsubscribe", "opt-in"
    refusal: str  # what a forged, altered or truncated token is told

    def _signature(self, secret: str, lead_id: str) -> str:
        digest = hmac.new(secret.encode(), f"{self.purpose}:{lead_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def token(self, secret: str, lead_id: str) -> str:
        return f"{lead_id}.{self._signature(secret, lead_id)}"

    def link(self, base_url: str, secret: str, lead_id: str) -> str:
        return f"{base_url.rstrip('/')}/{self.purpose}?t={quote(self.token(secret, lead_id))}"

    def lead_of(self, secret: str, given: str) -> str:
        """The lead a token names; Forbidden for a forged, altered or truncated token (compared in constant time)."""
        lead_id, _, signature = given.partition(".")
        if not secret or not lead_id or not hmac.compare_digest(signature.encode(),
                                                                self._signature(secret, lead_id).encode()):
            raise Forbidden(self.refusal)
        return lead_id


def token_in(body: bytes, query: Mapping[str, str]) -> str:
    """The token of a POST: the page's form field, or the link's own query (RFC 8058 one-click)."""
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    return (fields.get("t") or [query.get("t", "")])[0]
