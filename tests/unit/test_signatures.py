"""Signatures of every signed source: the platforms' own samples pass, and no forgery gets in."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadwire.errors import SignatureMismatch
from leadwire.intake.signatures import same, verify_google_key, verify_meta, verify_standard_webhook, verify_typeform
from tests.fixtures import platform_sample

META = platform_sample("meta_leadgen.json")
TYPEFORM = platform_sample("typeform.json")
STANDARD = platform_sample("standard_webhooks_lead.json")
GOOGLE = platform_sample("google_ads_lead.json")

META_BODY = META["request"]["body"].encode()
META_SECRET = META["secrets"]["app_secret"]
META_HEADER = META["request"]["headers"]["X-Hub-Signature-256"]
TYPEFORM_BODY = TYPEFORM["request"]["body"].encode()
TYPEFORM_SECRET = TYPEFORM["secrets"]["webhook_secret"]
TYPEFORM_HEADER = TYPEFORM["request"]["headers"]["Typeform-Signature"]
STANDARD_BODY = STANDARD["request"]["body"].encode()
STANDARD_HEADERS = STANDARD["request"]["headers"]
STANDARD_SECRETS = [STANDARD["secrets"]["signing_secret"], STANDARD["secrets"]["previous_signing_secret"]]
STANDARD_AT = int(STANDARD_HEADERS["webhook-timestamp"])
STANDARD_SIGNATURES = STANDARD_HEADERS["webhook-signature"].split()  # the current secret's, then the previous one's


# --- factories -------------------------------------------------------------------------------------------------
def meta_header(body: bytes, secret: str, algorithm: str = "sha256") -> str:
    return f"{algorithm}={hmac.new(secret.encode(), body, algorithm).hexdigest()}"


def typeform_header(body: bytes, secret: str) -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def standard_headers(body: bytes, secrets: list[str], at: int = STANDARD_AT, message_id: str = "msg_1",
                     version: str = "v1") -> dict[str, str]:
    signed = f"{message_id}.{at}.".encode() + body
    signatures = [base64.b64encode(hmac.new(base64.b64decode(secret.removeprefix("whsec_")), signed,
                                            hashlib.sha256).digest()).decode() for secret in secrets]
    return {"webhook-id": message_id, "webhook-timestamp": str(at),
            "webhook-signature": " ".join(f"{version},{signature}" for signature in signatures)}


def one_byte_changed(body: bytes) -> bytes:
    return body[:-2] + bytes([body[-2] ^ 0x01]) + body[-1:]


def refused(check: Callable[[], None]) -> str:
    """The message of the SignatureMismatch the check raises."""
    with pytest.raises(SignatureMismatch) as raised:
        check()
    assert raised.value.status == 401
    return raised.value.message


# --- the platforms' own samples pass ----------------------------------------------------------------------------
def test_meta_sample_is_verified_over_its_raw_bytes():
    verify_meta(META_BODY, META_HEADER, [META_SECRET])


def test_typeform_sample_is_verified_with_its_base64_signature():
    verify_typeform(TYPEFORM_BODY, TYPEFORM_HEADER, [TYPEFORM_SECRET])


@pytest.mark.parametrize("secrets", [STANDARD_SECRETS, STANDARD_SECRETS[:1], STANDARD_SECRETS[1:],
                                     ["whsec_c29tZXRoaW5nLWVsc2UtZW50aXJlbHk=", STANDARD_SECRETS[1]]],
                         ids=["both", "current-only", "previous-only", "unrelated-and-previous"])
def test_standard_webhook_sample_passes_with_any_of_the_rotating_secrets(secrets):
    verify_standard_webhook(STANDARD_BODY, STANDARD_HEADERS, secrets, now=STANDARD_AT + 1)


def test_standard_webhook_headers_are_matched_whatever_their_case():
    headers = {name.upper(): value for name, value in STANDARD_HEADERS.items()}
    verify_standard_webhook(STANDARD_BODY, headers, STANDARD_SECRETS, now=STANDARD_AT)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_standard_webhook_timestamps_within_five_minutes_either_way_pass(offset):
    verify_standard_webhook(STANDARD_BODY, STANDARD_HEADERS, STANDARD_SECRETS, now=STANDARD_AT + offset)


def test_google_key_from_the_sample_passes():
    verify_google_key(GOOGLE["body_json"]["google_key"], [GOOGLE["secrets"]["google_key"]])


# --- forgeries --------------------------------------------------------------------------------------------------
META_FORGERIES = {
    "missing header": (META_BODY, None),
    "empty header": (META_BODY, ""),
    "wrong secret": (META_BODY, meta_header(META_BODY, "not-the-app-secret")),
    "body changed by one byte": (one_byte_changed(META_BODY), META_HEADER),
    "truncated signature": (META_BODY, META_HEADER[:-2]),
    "sha1 prefix": (META_BODY, meta_header(META_BODY, META_SECRET, "sha1")),
    "sha1 legacy header value": (META_BODY, META["request"]["headers"]["X-Hub-Signature"]),
    "no prefix": (META_BODY, META_HEADER.removeprefix("sha256=")),
    "not hex": (META_BODY, "sha256=" + "z" * 64),
    "another body's signature": (b"{}", META_HEADER),
}


@pytest.mark.parametrize(("body", "header"), META_FORGERIES.values(), ids=META_FORGERIES.keys())
def test_forged_meta_notifications_are_refused(body, header):
    message = refused(lambda: verify_meta(body, header, [META_SECRET]))
    assert META_SECRET not in message and META_HEADER.removeprefix("sha256=") not in message


TYPEFORM_FORGERIES = {
    "missing header": (TYPEFORM_BODY, None),
    "wrong secret": (TYPEFORM_BODY, typeform_header(TYPEFORM_BODY, "tf_whsec_guessed")),
    "body changed by one byte": (one_byte_changed(TYPEFORM_BODY), TYPEFORM_HEADER),
    "truncated signature": (TYPEFORM_BODY, TYPEFORM_HEADER[:-4]),
    "sha1 prefix": (TYPEFORM_BODY, TYPEFORM_HEADER.replace("sha256=", "sha1=")),
    "hex instead of base64": (TYPEFORM_BODY, meta_header(TYPEFORM_BODY, TYPEFORM_SECRET)),
    "not base64": (TYPEFORM_BODY, "sha256=!!!not-base64!!!"),
}


@pytest.mark.parametrize(("body", "header"), TYPEFORM_FORGERIES.values(), ids=TYPEFORM_FORGERIES.keys())
def test_forged_typeform_responses_are_refused(body, header):
    message = refused(lambda: verify_typeform(body, header, [TYPEFORM_SECRET]))
    assert TYPEFORM_SECRET not in message and TYPEFORM_HEADER.removeprefix("sha256=") not in message


def _without(name: str) -> dict[str, str]:
    return {key: value for key, value in STANDARD_HEADERS.items() if key != name}


def _with(**changes: str) -> dict[str, str]:
    return {**STANDARD_HEADERS, **{name.replace("_", "-"): value for name, value in changes.items()}}


STANDARD_FORGERIES = {
    "missing webhook-id": (STANDARD_BODY, _without("webhook-id")),
    "missing webhook-timestamp": (STANDARD_BODY, _without("webhook-timestamp")),
    "missing webhook-signature": (STANDARD_BODY, _without("webhook-signature")),
    "wrong secret": (STANDARD_BODY, standard_headers(STANDARD_BODY, ["whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="])),
    "body changed by one byte": (one_byte_changed(STANDARD_BODY), STANDARD_HEADERS),
    "another message id": (STANDARD_BODY, _with(webhook_id="msg_someone_else")),
    "timestamp moved by a second": (STANDARD_BODY, _with(webhook_timestamp=str(STANDARD_AT + 1))),
    "truncated signature": (STANDARD_BODY, _with(webhook_signature=STANDARD_SIGNATURES[0][:-6])),
    "every signature truncated": (STANDARD_BODY, _with(
        webhook_signature=" ".join(signature[:-6] for signature in STANDARD_SIGNATURES))),
    "v1a prefix (ed25519) only": (STANDARD_BODY, standard_headers(STANDARD_BODY, STANDARD_SECRETS, version="v1a")),
    "sha1 prefix": (STANDARD_BODY, _with(webhook_signature=meta_header(STANDARD_BODY, "x", "sha1"))),
    "signature without version": (STANDARD_BODY, _with(webhook_signature=STANDARD_SIGNATURES[0].removeprefix("v1,"))),
    "timestamp not a number": (STANDARD_BODY, _with(webhook_timestamp="2026-10-01T09:17:42Z")),
}


@pytest.mark.parametrize(("body", "headers"), STANDARD_FORGERIES.values(), ids=STANDARD_FORGERIES.keys())
def test_forged_standard_webhooks_are_refused(body, headers):
    message = refused(lambda: verify_standard_webhook(body, headers, STANDARD_SECRETS, now=STANDARD_AT))
    assert not any(secret.removeprefix("whsec_") in message for secret in STANDARD_SECRETS)


@pytest.mark.parametrize(("offset", "says"), [(301, "old"), (-301, "future"), (86_400 * 365, "old")])
def test_standard_webhooks_outside_the_tolerance_are_refused_even_when_correctly_signed(offset, says):
    message = refused(lambda: verify_standard_webhook(STANDARD_BODY, STANDARD_HEADERS, STANDARD_SECRETS,
                                                      now=STANDARD_AT + offset))
    assert says in message


def test_a_replayed_sample_with_a_fresh_timestamp_but_old_signature_is_refused():
    # Given the sample's signatures, and a sender who only rewrites the timestamp to look fresh
    headers = _with(webhook_timestamp=str(STANDARD_AT + 3600))

    # When it arrives an hour after the sample was signed
    # Then the signature no longer covers what was sent
    assert "match" in refused(lambda: verify_standard_webhook(STANDARD_BODY, headers, STANDARD_SECRETS,
                                                              now=STANDARD_AT + 3600))


@pytest.mark.parametrize("given_key", [None, "", "gk_wrong", GOOGLE["secrets"]["google_key"][:-1],
                                       GOOGLE["secrets"]["google_key"] + "x", "gk_9fJ2xQ7vLp3R8sT1ü"])
def test_a_wrong_or_missing_google_key_is_refused(given_key):
    message = refused(lambda: verify_google_key(given_key, [GOOGLE["secrets"]["google_key"]]))
    assert GOOGLE["secrets"]["google_key"] not in message


# --- nothing verifies against a secret that is not set ------------------------------------------------------------
@pytest.mark.parametrize("check", [
    lambda: verify_meta(b"{}", meta_header(b"{}", ""), [""]),
    lambda: verify_typeform(b"{}", typeform_header(b"{}", ""), []),
    lambda: verify_google_key("", [""]),
    lambda: verify_standard_webhook(STANDARD_BODY, STANDARD_HEADERS, [], now=STANDARD_AT),
    lambda: verify_standard_webhook(STANDARD_BODY, STANDARD_HEADERS, ["whsec_%%%not-base64"], now=STANDARD_AT),
], ids=["meta", "typeform", "google", "webhook-none", "webhook-undecodable"])
def test_an_unconfigured_secret_refuses_everything(check):
    assert "configured" in refused(check)


def test_same_compares_tokens_including_non_ascii_and_never_matches_empty():
    assert same("lead-hook-verify-7Qm2", "lead-hook-verify-7Qm2")
    assert same("schlüssel", "schlüssel")
    assert not same("schlüssel", "schlussel")
    assert not same(None, "x")
    assert not same("", "")
    assert not same("x", "")


# --- properties ----------------------------------------------------------------------------------------------------
headers_text = st.one_of(st.none(), st.text(max_size=120), st.from_regex(r"sha256=[0-9a-f]{0,70}", fullmatch=True),
                         st.from_regex(r"sha256=[A-Za-z0-9+/=]{0,50}", fullmatch=True))


@given(body=st.binary(max_size=300), header=headers_text)
def test_any_meta_or_typeform_header_is_either_exactly_right_or_refused(body, header):
    for verify, secret, expected in ((verify_meta, META_SECRET, meta_header(body, META_SECRET)),
                                     (verify_typeform, TYPEFORM_SECRET, typeform_header(body, TYPEFORM_SECRET))):
        if header == expected:
            continue
        with pytest.raises(SignatureMismatch):
            verify(body, header, secret)


@given(body=st.binary(max_size=300), headers=st.dictionaries(
    st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "Webhook-Id", "other"]),
    st.text(max_size=80)), now=st.floats(min_value=0, max_value=4e9))
def test_any_standard_webhook_headers_are_refused_unless_signed(body, headers, now):
    with pytest.raises(SignatureMismatch):
        verify_standard_webhook(body, headers, STANDARD_SECRETS, now=now)


def test_while_a_secret_is_rotated_both_the_old_and_the_new_one_verify():
    # Given the new secret first and the old one still listed
    rotating = ["new-app-secret", META_SECRET]

    # Then deliveries signed with either are accepted, and one signed with neither is not
    verify_meta(META_BODY, META_HEADER, rotating)
    verify_meta(META_BODY, meta_header(META_BODY, "new-app-secret"), rotating)
    verify_typeform(TYPEFORM_BODY, TYPEFORM_HEADER, ["new-typeform-secret", TYPEFORM_SECRET])
    verify_google_key(GOOGLE["body_json"]["google_key"], ["new-key", GOOGLE["secrets"]["google_key"]])
    with pytest.raises(SignatureMismatch):
        verify_meta(META_BODY, meta_header(META_BODY, "someone-else"), rotating)


def test_a_secret_given_as_one_string_is_refused_rather_than_read_as_characters():
    with pytest.raises(SignatureMismatch, match="not configured"):
        verify_meta(META_BODY, META_HEADER, META_SECRET)
