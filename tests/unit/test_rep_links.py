"""The lead-page link: a random token that opens one lead for one rep until it expires, kept only as its hash."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from leadwire.followup.rep_links import KEPT_AFTER_EXPIRY, LinkExpired, LinkInvalid, LinkRetired, RepLinks
from leadwire.store import schema
from leadwire.store.memory import MemoryTable
from tests.unit.services.conftest import T

BASE = "https://leads.example.test/"
LEAD = "0123456789abcdef0123"


def token_of(url: str | None) -> str:
    assert url is not None and url.startswith(f"{BASE}l/")
    return url.removeprefix(f"{BASE}l/")


def test_a_link_opens_the_lead_for_the_rep_and_its_token_names_nothing():
    links = RepLinks(BASE, MemoryTable(), days=30)

    token = token_of(links.url(LEAD, "anna", T))
    link = links.read(token, T)

    assert (link.lead_id, link.rep_id, link.expires_at, link.actor) == (LEAD, "anna", T + timedelta(days=30),
                                                                        "rep:anna")
    assert len(token) == 24 and LEAD not in token and "anna" not in token


def test_the_table_keeps_only_the_tokens_hash_and_drops_it_a_month_after_it_expired():
    table = MemoryTable()
    token = token_of(RepLinks(BASE, table, days=30).url(LEAD, "anna", T))

    item = table.get(schema.rep_link(hashlib.sha256(token.encode()).hexdigest()))
    assert item is not None and token not in repr(item)
    assert item[schema.TTL_ATTRIBUTE] == int((T + timedelta(days=30) + KEPT_AFTER_EXPIRY).timestamp())


def test_every_link_is_a_new_token_and_each_keeps_working():
    links = RepLinks(BASE, MemoryTable())

    first, second = token_of(links.url(LEAD, "anna", T)), token_of(links.url(LEAD, "anna", T))

    assert first != second
    assert links.read(first, T).rep_id == links.read(second, T).rep_id == "anna"


def test_the_link_works_until_its_expiry_and_not_a_second_longer():
    links = RepLinks(BASE, MemoryTable()).lasting(7)
    token = token_of(links.url(LEAD, "anna", T))

    assert links.read(token, T + timedelta(days=7) - timedelta(seconds=1)).rep_id == "anna"
    with pytest.raises(LinkExpired):
        links.read(token, T + timedelta(days=7))


@pytest.mark.parametrize("change", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character changed
    lambda token: token[:-1],  # cut short
    lambda token: token + "x",
    lambda token: token.upper() if token.upper() != token else token.lower(),
    lambda token: "",
    lambda token: "../" + token[3:],
])
def test_a_token_we_did_not_make_is_refused(change):
    links = RepLinks(BASE, MemoryTable())
    token = token_of(links.url(LEAD, "anna", T))

    with pytest.raises(LinkInvalid) as refused:
        links.read(change(token), T)
    assert not isinstance(refused.value, LinkExpired)


def test_a_link_kept_in_another_stack_opens_nothing_here():
    token = token_of(RepLinks(BASE, MemoryTable()).url(LEAD, "anna", T))

    with pytest.raises(LinkInvalid):
        RepLinks(BASE, MemoryTable()).read(token, T)


def test_a_signed_token_of_an_earlier_release_says_so():
    earlier = f"{LEAD}.anna.tmq2q0.{'A' * 43}"

    with pytest.raises(LinkRetired):
        RepLinks(BASE, MemoryTable()).read(earlier, T)


def test_without_a_store_no_link_is_made_and_none_opens():
    assert RepLinks(BASE).url(LEAD, "anna", T) is None
    with pytest.raises(LinkInvalid):
        RepLinks(BASE).read("A" * 24, T)
