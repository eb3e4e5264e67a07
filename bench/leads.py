"""The made-up people and team every measurement uses: the same lead for the same number, every run.

Each lead is a different person (own email and phone, so none merges into another), spread over companies and free
mail, most with a phone, some senior, half with marketing consent: the mix a small business's website form sees.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

TEAM: dict[str, dict[str, Any]] = {
    "anna": {"name": "Anna Berg", "email": "anna@shop.example", "timezone": "Europe/Berlin", "languages": ["de", "en"]},
    "ben": {"name": "Ben Ode", "email": "ben@shop.example", "timezone": "America/New_York", "languages": ["en"]},
    "cleo": {"name": "Cleo Park", "email": "cleo@shop.example", "timezone": "Asia/Tokyo", "languages": ["en"]},
}

_FIRST = ("Dana", "Erik", "Femi", "Gita", "Hugo", "Ines", "Jonas", "Kira", "Luis", "Mona", "Nils", "Olga")
_LAST = ("Fox", "Stone", "Adeyemi", "Rao", "Meyer", "Costa", "Berg", "Ito", "Garcia", "Haddad", "Lund", "Novak")
_TITLES = ("Founder", "Office manager", "Head of Operations", "Engineer", "Owner", "Buyer", "VP Sales", "Student")
_FREEMAIL = ("gmail.com", "outlook.com", "yahoo.com")
_COUNTRIES = ("DE", "US", "GB", "FR", "AT", "NL")
_MESSAGES = ("Could you send me a quote for the spring season?",
             "We need help with about 40 sites, please call me back this week.",
             "Just browsing, what do you charge for a small office?")


def website_lead(number: int, run: str = "a") -> dict[str, Any]:
    """The JSON a website form posts for lead `number` (distinct people for distinct numbers and runs)."""
    first, last = _FIRST[number % len(_FIRST)], _LAST[(number // len(_FIRST)) % len(_LAST)]
    company = f"{last} {('Builders', 'Heating', 'Logistics', 'Dental')[number % 4]}"
    domain = _FREEMAIL[number % 3] if number % 5 == 0 else f"{last.lower()}-{number % 97}.example"
    body: dict[str, Any] = {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}.{run}{number}@{domain}",
        "company": company,
        "job_title": _TITLES[number % len(_TITLES)],
        "country": _COUNTRIES[number % len(_COUNTRIES)],
        "message": _MESSAGES[number % len(_MESSAGES)],
        "utm_source": ("google", "newsletter", "linkedin")[number % 3],
        "utm_medium": ("cpc", "email", "social")[number % 3],
        "utm_campaign": "spring-offer",
        "_submission": submission_token(number, run),
    }
    if number % 4 != 3:
        body["phone"] = phone(number, run)
    if number % 2 == 0:
        body["consent"] = "yes"
        body["consent_text"] = "Yes, send me news and offers by email."
    return body


def submission_token(number: int, run: str) -> str:
    """What the snippet sends with each filling-in of the form: 16 bytes, base64url (here derived, not random)."""
    digest = hashlib.sha256(f"{run}:{number}".encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def phone(number: int, run: str) -> str:
    """A valid New York number, different for every (number < 10,000, run): the run picks the exchange."""
    exchange = 200 + zlib.crc32(run.encode()) % 800
    return f"+1 212 {exchange:03d} {number % 10_000:04d}"


def lead_id_of(email: dict[str, Any]) -> str | None:
    """The lead an email of the local outbox is about: every email to a rep names it in a header."""
    # Imported here: the bench sets the functions' environment before it imports any of their code, as Lambda does
    # (importing this module must not make Powertools objects first, without their namespace).
    from leadwire.outbound.emails import LEAD_HEADER

    return email.get("headers", {}).get(LEAD_HEADER)
