"""The one normalisation every source goes through."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadwire.errors import ValidationFailed
from leadwire.intake.normalize import (
    MAX_FIELDS,
    MAX_LENGTHS,
    email_domain,
    normalize,
    normalize_email,
    normalize_phone,
)
from leadwire.lead import UTM_KEYS, Consent, LeadInput, RawLead


def raw_lead(**overrides: Any) -> RawLead:
    """A website lead with an email, changed as the test needs."""
    return RawLead(**{"source": "website", "email": "ada@example.com", **overrides})


def refusal(raw: RawLead, default_region: str | None = None) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as raised:
        normalize(raw, default_region)
    assert raised.value.status == 422
    return raised.value.details


# --- email ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "stored"), [
    ("  Anna.Mueller@Example.DE ", "anna.mueller@example.de"),
    ("jonas.becker@example.com", "jonas.becker@example.com"),
    ("Zoë@Bücher.example", "zoë@bücher.example"),
])
def test_emails_are_trimmed_and_lower_cased(typed, stored):
    assert normalize(raw_lead(email=typed), None).email == stored


@pytest.mark.parametrize("typed", ["ada@@example", "ada", "ada@example", "@example.com", "ada @example.com",
                                   "ada@localhost", "a" * 250 + "@example.com"])
def test_invalid_emails_are_refused_naming_the_field_and_why(typed):
    [detail] = refusal(raw_lead(email=typed))
    assert detail["field"] == "email" and detail["reason"]


def test_emails_are_checked_without_looking_anything_up():
    # pytest-socket would fail a DNS lookup: a domain that does not exist is still well formed
    assert normalize(raw_lead(email="someone@no-such-domain-leadwire.example"), None).email


def test_normalize_email_on_its_own():
    assert normalize_email(" Ada@Example.COM ") == "ada@example.com"
    with pytest.raises(ValidationFailed):
        normalize_email("not an email")
    with pytest.raises(ValidationFailed):
        normalize_email("   ")


# --- phone ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "country", "default_region", "e164"), [
    ("+49 151 23456789", None, None, "+4915123456789"),
    ("0151 23456789", None, "DE", "+4915123456789"),
    ("0151 23456789", "Deutschland", "US", "+4915123456789"),
    ("(202) 555-0143", "US", "DE", "+12025550143"),
    ("0049 30 1234567", None, None, "+49301234567"),
    ("0049 30 1234567", None, "DE", "+49301234567"),
    ("tel:+39-347-123-4567", None, None, "+393471234567"),
    ("06 12 34 56 78", "FR", None, "+33612345678"),
])
def test_phones_become_e164_with_the_leads_country_before_the_default_region(typed, country, default_region, e164):
    lead = normalize(raw_lead(phone=typed, country=country), default_region)
    assert (lead.phone, lead.phone_raw) == (e164, None)


@pytest.mark.parametrize(("typed", "default_region"), [
    ("0151 23456789", None), ("12", "DE"), ("call me after 5", "DE"), ("+999 123", None), ("9" * 80, "DE"),
])
def test_a_phone_that_cannot_be_read_is_kept_raw_and_never_refuses_the_lead(typed, default_region):
    lead = normalize(raw_lead(phone=typed), default_region)
    assert lead.phone is None
    assert lead.phone_raw == typed[:64]
    assert lead.email == "ada@example.com"


def test_a_raw_phone_with_enough_digits_is_a_way_to_reach_the_person():
    lead = normalize(raw_lead(email=None, phone="0151 23456789"), None)
    assert (lead.phone, lead.phone_raw) == (None, "0151 23456789")


def test_normalize_phone_on_its_own():
    assert normalize_phone("+4930123456789", None) == ("+4930123456789", None)
    assert normalize_phone("  ", "DE") == (None, None)
    assert normalize_phone(None, "DE") == (None, None)
    assert normalize_phone("030 123\n4567", "DE") == ("+49301234567", None)


# --- a way to reach the person ---------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides", [{}, {"phone": "call me"}, {"phone": "12345"}, {"email": "  ", "phone": ""}])
def test_a_lead_needs_an_email_or_a_phone(overrides):
    details = refusal(raw_lead(**{"email": None, "full_name": "Ada Lovelace", "company": "Nowhere Ltd", **overrides}))
    assert {detail["field"] for detail in details} == {"email", "phone"}


def test_an_invalid_email_without_a_phone_names_only_the_email():
    assert [detail["field"] for detail in refusal(raw_lead(email="ada@@example"))] == ["email"]


def test_a_lead_awaiting_enrichment_needs_no_contact_yet():
    lead = normalize(RawLead(source="meta", source_ref="987654321098765", pending_enrichment=True), None)
    assert lead.pending_enrichment and lead.email is None and lead.phone is None


# --- names ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("given_names", "first", "last"), [
    ({"full_name": "Anna Müller"}, "Anna", "Müller"),
    ({"full_name": "  Anna   M.  Müller "}, "Anna", "M. Müller"),
    ({"full_name": "Cher"}, "Cher", None),
    ({"first_name": " Lena ", "full_name": "Someone Else"}, "Lena", None),
    ({"first_name": "Jonas", "last_name": "Becker"}, "Jonas", "Becker"),
    ({"last_name": "Becker"}, None, "Becker"),
    ({"first_name": "  ", "full_name": "Anna Müller"}, "Anna", "Müller"),
    ({"full_name": "   "}, None, None),
])
def test_names_are_split_from_the_full_name_unless_given_in_parts(given_names, first, last):
    lead = normalize(raw_lead(**given_names), None)
    assert (lead.first_name, lead.last_name) == (first, last)


# --- country -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "code"), [
    ("DE", "DE"), ("de", "DE"), ("DEU", "DE"), ("Germany", "DE"), ("Deutschland", "DE"), (" österreich ", "AT"),
    ("Schweiz", "CH"), ("United Kingdom", "GB"), ("UK", "GB"), ("U.S.A.", "US"), ("United States", "US"),
    ("España", "ES"), ("Cote d'Ivoire", "CI"), ("South Korea", "KR"), ("Viet Nam", "VN"), ("Türkiye", "TR"),
])
def test_countries_become_iso_alpha_2(typed, code):
    assert normalize(raw_lead(country=typed), None).country == code


def test_a_country_we_do_not_know_is_kept_in_fields_not_refused():
    lead = normalize(raw_lead(country="Bavaria"), None)
    assert lead.country is None
    assert lead.fields["country_raw"] == "Bavaria"


# --- text and lengths ----------------------------------------------------------------------------------------------
def test_text_is_trimmed_and_line_breaks_stored_as_newlines():
    lead = normalize(raw_lead(company="  Becker   Haustechnik\tGmbH ", message="Hallo,\r\nbitte\rrufen\n an.\x00 "),
                     None)
    assert lead.company == "Becker Haustechnik GmbH"
    assert lead.message == "Hallo,\nbitte\nrufen\n an."


def test_every_field_that_is_too_long_is_named_with_the_limit():
    # Given several fields over their limits, and one invalid email
    raw = raw_lead(email="x@@y", company="c" * 201, message="m" * 5001, postal_code="1" * 21, first_name="f" * 101)

    # When it is normalised
    details = refusal(raw)

    # Then each is named once, with its reason
    reasons = {detail["field"]: detail["reason"] for detail in details}
    assert set(reasons) == {"email", "company", "message", "postal_code", "first_name"}
    assert reasons["company"] == f"longer than {MAX_LENGTHS['company']} characters"
    assert reasons["message"] == f"longer than {MAX_LENGTHS['message']} characters"


def test_lengths_exactly_at_the_limit_are_accepted():
    lead = normalize(raw_lead(company="c" * MAX_LENGTHS["company"]), None)
    assert len(lead.company or "") == MAX_LENGTHS["company"]


def test_page_addresses_and_utm_are_cut_to_length_not_refused():
    lead = normalize(raw_lead(referrer="https://example.com/?" + "q" * 5000, utm={"content": "c" * 500}), None)
    assert len(lead.referrer or "") == 2048
    assert len(lead.utm["content"]) == 200


def test_lone_surrogates_are_dropped_so_the_text_can_be_stored_as_utf8():
    lead = normalize(raw_lead(company="Acme\ud800 Ltd", fields={"note\udfff": "a\ud83d"}), None)
    assert lead.company == "Acme Ltd"
    assert lead.fields == {"note": "a"}


# --- utm and fields ------------------------------------------------------------------------------------------------
def test_utm_keeps_the_five_keys_and_moves_the_rest_to_fields():
    lead = normalize(raw_lead(utm={"utm_source": " google ", "Medium": "cpc", "campaign": "", "gclid": "abc",
                                   "utm_id": "42"}), None)
    assert lead.utm == {"source": "google", "medium": "cpc"}
    assert lead.fields == {"utm_gclid": "abc", "utm_id": "42"}


def test_fields_keep_what_dynamodb_can_hold():
    # Given fields of every JSON shape, some empty, some odd
    fields = {"budget": 15000, "ratio": 0.5, "nan": math.nan, "inf": math.inf, "empty": "", "none": None,
              "answers": ["a", "", "b"], "nested": {"x": {"y": 1}}, "flag": True, " spaced ": "v\r\nw"}

    # When normalised
    kept = normalize(raw_lead(fields=fields), None).fields

    # Then numbers, booleans, lists and maps stay; empty and non-finite values go; text is cleaned
    assert kept == {"budget": 15000, "ratio": 0.5, "answers": ["a", "b"], "nested": {"x": {"y": 1}}, "flag": True,
                    "spaced": "v\nw"}


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({f"f{n}": n for n in range(MAX_FIELDS + 1)}, "fields", "more than"),
    ({"huge": 10**40}, "fields.huge", "38 digits"),
    ({"deep": [[[["x"]]]]}, "fields.deep", "nested"),
    ({"long": "x" * 5001}, "fields.long", "longer than"),
    ({"many": list(range(101))}, "fields.many", "more than"),
    ({"n" * 101: "x"}, "fields", "field name"),
])
def test_fields_beyond_the_limits_are_named(fields, field, reason):
    [detail] = refusal(raw_lead(fields=fields))
    assert detail["field"] == field and reason in detail["reason"]


# --- instants and consent --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("given_at", "stored"), [
    ("2026-10-01T09:04:22+0000", "2026-10-01T09:04:22.000Z"),
    ("2026-10-01T11:04:22+02:00", "2026-10-01T09:04:22.000Z"),
    ("2026-10-01T09:17:42.512044Z", "2026-10-01T09:17:42.512Z"),
    ("1790845462", "2026-10-01T09:04:22.000Z"),
    ("yesterday", None),
    ("99999999999999999999", None),
])
def test_submission_times_are_stored_as_leadwire_writes_instants(given_at, stored):
    assert normalize(raw_lead(submitted_at=given_at), None).submitted_at == stored


def test_consent_is_kept_with_its_text_and_time():
    consent = Consent(marketing=True, text="  Ja, ruft mich an.\r\n ", captured_at="2026-10-01T09:17:40Z")
    lead = normalize(raw_lead(consent=consent), None)
    assert lead.consent == Consent(marketing=True, text="Ja, ruft mich an.", captured_at="2026-10-01T09:17:40.000Z")


def test_source_ref_is_kept_and_test_leads_stay_flagged():
    lead = normalize(raw_lead(source="google", source_ref=" TeSter-123 ", is_test=True), None)
    assert (lead.source, lead.source_ref, lead.is_test) == ("google", "TeSter-123", True)


def test_email_domain():
    assert email_domain("ada@Example.COM") == "example.com"
    assert email_domain("odd@name@example.org") == "example.org"
    assert email_domain("no-at-sign") is None
    assert email_domain(None) is None


# --- properties ----------------------------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
texts = st.none() | st.text(max_size=40) | st.sampled_from(
    ["+49 151 23456789", "0151 23456789", "ada@example.com", " ADA@EXAMPLE.COM", "Deutschland", "DE", "x@@y",
     "2026-10-01T09:04:22+0000", "1790845462", "\r\n", "\ud800"])
raw_leads = st.builds(
    RawLead,
    source=st.sampled_from(["website", "meta", "google", "typeform", "webhook", "api"]),
    source_ref=texts, email=texts, phone=texts, full_name=texts, first_name=texts, last_name=texts, company=texts,
    job_title=texts, country=texts, city=texts, postal_code=texts, message=texts,
    utm=st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=6),
    fields=st.dictionaries(st.text(max_size=12), json_values, max_size=6),
    consent=st.none() | st.builds(Consent, marketing=st.booleans(), text=texts, captured_at=texts),
    is_test=st.booleans(), referrer=texts, landing_page=texts, submitted_at=texts,
    pending_enrichment=st.booleans(),
)
E164 = re.compile(r"\+[1-9]\d{6,14}")


@settings(max_examples=300, deadline=None)
@given(raw=raw_leads, default_region=st.none() | st.sampled_from(["DE", "US", "gb", "Germany", "ZZ", ""]))
def test_normalize_gives_a_clean_lead_or_a_validation_error_and_nothing_else(raw, default_region):
    try:
        lead = normalize(raw, default_region)
    except ValidationFailed as failure:
        assert failure.details and all(set(detail) == {"field", "reason"} for detail in failure.details)
        return
    assert isinstance(lead, LeadInput)
    assert lead.email is None or lead.email == lead.email.lower() == lead.email.strip()
    assert lead.phone is None or E164.fullmatch(lead.phone)
    assert lead.country is None or re.fullmatch(r"[A-Z]{2}", lead.country)
    assert set(lead.utm) <= set(UTM_KEYS)
    assert lead.pending_enrichment or lead.email or lead.phone or lead.phone_raw
    for text in (lead.first_name, lead.last_name, lead.company, lead.city, lead.message):
        assert text is None or (text == text.strip() and text and "\r" not in text)
