"""Reference tables kept as files in leadwire/data/: countries, language codes, free-mail domains.

Each is read and parsed on first use, never at import, so a handler's cold start does not pay for tables it
does not consult."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code for a code or a name ("de", "DEU", "Deutschland", "Germany" → "DE"), else None."""
    codes, names = _country_index()
    compact = text.strip()
    if compact.upper() in codes:
        return codes[compact.upper()]
    return names.get(_name_key(compact))


@cache
def language_codes() -> frozenset[str]:
    """Every ISO 639-1 two-letter language code, lower-case."""
    return frozenset(_lines("languages.txt"))


@cache
def free_mail_domains() -> frozenset[str]:
    """Domains of free-mail providers, lower-case: an address there says nothing about the person's company."""
    return frozenset(_lines("free_mail_domains.txt"))


@cache
def _country_index() -> tuple[dict[str, str], dict[str, str]]:
    codes: dict[str, str] = {"UK": "GB"}  # "UK" is not ISO, but it is what British people type
    names: dict[str, str] = {}
    for line in _lines("countries.txt"):
        alpha2, alpha3, listed = line.split(" ", 2)
        codes[alpha2] = codes[alpha3] = alpha2
        for name in listed.split("|"):
            names.setdefault(_name_key(name), alpha2)
    return codes, names


def _name_key(name: str) -> str:
    """Case, accents, spaces and punctuation ignored: "Côte d'Ivoire" and "cote divoire" are the same key."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _lines(name: str) -> list[str]:
    """The entries of a data file: one a line, blank lines and `#` comments skipped."""
    text = (files("leadwire") / "data" / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
