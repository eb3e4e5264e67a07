"""The signed lead-page link: what it names, how long it works, rotation, and that it cannot be altered."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import pytest

from leadwire.followup import rep_links
from leadwire.followup.rep_links import LinkExpired, LinkInvalid, RepLinks, sign, verify
from leadwire.runtime.settings import Settings

T = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
LEAD = "0123456789abcdef0123"


def test_a_token_names_the_lead_the_rep_and_its_expiry_and_nothing_personal():
    token = sign(["key-one"], LEAD, "anna", T + timedelta(days=30))

    link = verify(["key-one"], token, T)

    assert (link.lead_id, link.rep_id, link.expires_at, link.actor) == (LEAD, "anna", T + timedelta(days=30),
                                                                        "rep:anna")
    assert token.startswith(f"{LEAD}.anna.") and "@" not in token and len(token) < 100


def test_the_link_works_until_its_expiry_and_not_a_second_longer():
    links = RepLinks("https://leads.example.test/", ("key-one",), days=30)
    token = links.url(LEAD, "anna", T).removeprefix("https://leads.example.test/l/")  # type: ignore[union-attr]

    assert links.read(token, T + timedelta(days=30) - timedelta(seconds=1)).rep_id == "anna"
    with pytest.raises(LinkExpired):
        links.read(token, T + timedelta(days=30))


@pytest.mark.parametrize("change", [
    lambda token: token.replace(".anna.", ".ben."),  # another rep
    lambda token: token.replace(LEAD, "f" * 20),  # another lead
    lambda token: ".".join([*token.split(".")[:2], "zzzzzz", token.split(".")[3]]),  # a later expiry
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # another signature
    lambda token: token.rsplit(".", 1)[0],  # no signature
    lambda token: token + ".extra",
    lambda token: "",
])
def test_an_altered_token_is_refused(change):
    token = sign(["key-one"], LEAD, "anna", T + timedelta(days=30))

    with pytest.raises(LinkInvalid):
        verify(["key-one"], change(token), T)


def test_a_token_signed_with_another_key_is_refused():
    token = sign(["someone-elses-key"], LEAD, "anna", T + timedelta(days=1))

    with pytest.raises(LinkInvalid):
        verify(["key-one"], token, T)


def test_rotation_the_first_key_signs_and_every_key_is_accepted():
    old = sign(["old-key"], LEAD, "anna", T + timedelta(days=1))
    new = sign(["new-key", "old-key"], LEAD, "anna", T + timedelta(days=1))

    assert verify(["new-key", "old-key"], old, T).rep_id == "anna"
    assert verify(["new-key"], new, T).rep_id == "anna"
    with pytest.raises(LinkInvalid):
        verify(["old-key"], new, T)


def test_signatures_are_compared_in_constant_time_against_every_key(monkeypatch):
    compared = []
    constant_time = hmac.compare_digest

    def recording(given, expected):
        compared.append((given, expected))
        return constant_time(given, expected)

    monkeypatch.setattr(rep_links.hmac, "compare_digest", recording)
    token = sign(["new-key"], LEAD, "anna", T + timedelta(days=1))

    verify(["new-key", "old-key", "older-key"], token, T)

    assert len(compared) == 3  # no early exit on the first match: the time does not tell which key signed


def test_no_key_means_no_link_and_nothing_accepted():
    assert RepLinks("https://x", ()).url(LEAD, "anna", T) is None
    with pytest.raises(LinkInvalid):
        verify([], sign(["k"], LEAD, "anna", T + timedelta(days=1)), T)


def test_settings_use_the_configured_keys_or_one_derived_from_the_generated_secret():
    configured = Settings(rep_link_keys="new-key old-key", unsubscribe_secret="generated")
    derived = Settings(unsubscribe_secret="generated")

    assert configured.rep_link_key_list() == ("new-key", "old-key")
    assert len(derived.rep_link_key_list()) == 1 and "generated" not in derived.rep_link_key_list()[0]
    assert derived.rep_link_key_list() == Settings(unsubscribe_secret="generated").rep_link_key_list()
    assert Settings().rep_link_key_list() == ()
