"""Raw bodies, API keys and unsubscribe tokens: the small security-bearing pieces."""

from __future__ import annotations

import base64

import pytest

from leadwire.errors import Forbidden, Malformed, PayloadTooLarge, Unauthorized
from leadwire.followup.unsubscribe import lead_of, token
from leadwire.runtime.http import MAX_BODY_BYTES, check_api_key, raw_body, validation_details
from leadwire.runtime.settings import Settings


def test_form_bodies_are_decoded_from_base64_and_limited_to_256_kib():
    assert raw_body({"body": base64.b64encode(b"a=1&b=2").decode(), "isBase64Encoded": True}) == b"a=1&b=2"
    assert raw_body({"body": '{"x": 1}'}) == b'{"x": 1}'
    assert raw_body({}) == b""
    with pytest.raises(PayloadTooLarge):
        raw_body({"body": "x" * (MAX_BODY_BYTES + 1)})
    with pytest.raises(Malformed):
        raw_body({"body": "not base64!", "isBase64Encoded": True})


def test_api_keys_match_any_configured_key_and_nothing_else():
    hashes = Settings(leadwire_api_keys="new-key, old-key").api_key_hashes()
    check_api_key("Bearer new-key", hashes)
    check_api_key("bearer old-key", hashes)
    for header in (None, "", "Bearer", "Bearer wrong", "Basic new-key", "new-key"):
        with pytest.raises(Unauthorized):
            check_api_key(header, hashes)


def test_validation_details_name_the_field_without_the_body_prefix():
    details = validation_details([{"loc": ("body", "scoring", "fit", 0, "if"), "msg": "bad"}])
    assert details == [{"field": "scoring.fit.0.if", "reason": "bad"}]


def test_unsubscribe_tokens_cannot_be_forged_or_altered():
    given = token("secret", "lead123")
    assert lead_of("secret", given) == "lead123"
    for forged in (token("other", "lead123"), given[:-1], "lead124" + given[7:], "lead123", "", given + "x"):
        with pytest.raises(Forbidden):
            lead_of("secret", forged)
    with pytest.raises(Forbidden):
        lead_of("", token("", "lead123"))


def test_a_platform_lead_keeps_what_is_valid_and_sets_the_rest_aside():
    from leadwire.errors import ValidationFailed
    from leadwire.intake.doors import keep_what_is_valid, normalize
    from leadwire.lead import RawLead

    # Given a Google lead whose email is broken but whose phone works
    lead = keep_what_is_valid(RawLead(source="google", email="jo@@example", phone="+4917612345678"), None)

    # Then it is stored with the phone, the broken email set aside whole with the reason
    assert (lead.email, lead.phone, lead.needs_review) == (None, "+4917612345678", False)
    [aside] = lead.set_aside
    assert (aside["field"], aside["value"]) == ("email", "jo@@example") and aside["reason"]
    # And a lead with no way to reach the person is stored too, flagged for a person to read
    unreachable = keep_what_is_valid(RawLead(source="google", email="jo@@example", message="x" * 6000), None)
    assert unreachable.needs_review and unreachable.email is None
    assert {aside["field"]: aside["value"] for aside in unreachable.set_aside} == \
        {"email": "jo@@example", "message": "x" * 6000}
    assert unreachable.typed["message"] == "x" * 6000
    # A website submission, which the person can correct, is still refused
    with pytest.raises(ValidationFailed):
        normalize(RawLead(source="website", email="jo@@example"), None)
