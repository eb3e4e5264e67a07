"""Every source's parser: the platforms' own samples field by field, the variants they really send, and bodies
that must be refused."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadwire.errors import LeadwireError, Malformed, UnsupportedMediaType
from leadwire.intake.normalize import normalize
from leadwire.intake.sources import google, meta, typeform, webhook, website
from leadwire.intake.sources.payload import lead_field
from leadwire.lead import Consent, RawLead
from tests.fixtures import platform_sample, sample_names

RECEIVED_AT = "2026-10-01T09:21:07.123Z"
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"


# --- factories -------------------------------------------------------------------------------------------------
def event_body(sample: dict[str, Any]) -> bytes:
    """The raw bytes of an API Gateway event's body, decoded as the HTTP layer does."""
    event = sample["event"]
    return base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()


def post_form(body: bytes, content_type: str | None = FORM, headers: dict[str, str] | None = None,
              query: dict[str, str] | None = None) -> website.WebsiteSubmission:
    return website.parse_form(body, content_type, headers or {}, query or {}, RECEIVED_AT)


def urlencoded(fields: list[tuple[str, str]]) -> bytes:
    return urlencode(fields).encode()


def multipart(fields: list[tuple[str, str]], boundary: str = BOUNDARY) -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in fields]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def notification(*entries: list[dict[str, Any]]) -> bytes:
    """A Meta notification with one entry per list of changes."""
    return json.dumps({"object": "page", "entry": [
        {"id": "108234567890123", "time": 1790845463, "changes": changes} for changes in entries]}).encode()


def leadgen(leadgen_id: Any, **ids: Any) -> dict[str, Any]:
    return {"field": "leadgen", "value": {"leadgen_id": leadgen_id, "page_id": "108234567890123", **ids}}


def google_body(**changes: Any) -> bytes:
    delivery = {**platform_sample("google_ads_lead.json")["body_json"], **changes}
    return json.dumps(delivery).encode()


def typeform_body(change: Any = None) -> bytes:
    delivery = platform_sample("typeform.json")["body_json"]
    if change:
        change(delivery["form_response"])
    return json.dumps(delivery).encode()


# --- website: the samples -----------------------------------------------------------------------------------------
def test_the_urlencoded_browser_sample_is_read_field_by_field():
    # Given API Gateway's event for a browser's form post
    sample = platform_sample("apigw_v2_form_urlencoded.json")
    event = sample["event"]

    # When its body is parsed and normalised
    submission = website.parse_form(event_body(sample), event["headers"]["content-type"], event["headers"],
                                    event["queryStringParameters"], RECEIVED_AT)
    lead = normalize(submission.lead, None)

    # Then every field of the form lands where it belongs
    sent = parse_qs(sample["decoded_body"], keep_blank_values=True)
    assert (submission.honeypot, submission.next_url) == (False, None)
    assert lead.source == "website"
    assert (lead.first_name, lead.last_name) == tuple(sent["full_name"][0].split(" ", 1))
    assert lead.email == sent["email"][0]
    assert lead.phone == "+4915123456789"
    assert lead.message == sent["message"][0].replace("\r\n", "\n")
    assert lead.fields["service"] == sent["service"]
    assert lead.utm == {"source": sent["utm_source"][0], "campaign": sent["utm_campaign"][0]}
    assert lead.consent == Consent(marketing=True, captured_at=RECEIVED_AT)
    assert lead.referrer == lead.landing_page == event["headers"]["referer"]
    assert lead.fields["src"] == event["queryStringParameters"]["src"]
    assert "website" not in lead.fields  # an empty input says nothing
    assert lead.submitted_at == RECEIVED_AT


def test_the_json_fetch_sample_is_read_field_by_field():
    sample = platform_sample("apigw_v2_json.json")
    event = sample["event"]
    sent = json.loads(event["body"])

    submission = website.parse_form(event_body(sample), event["headers"]["content-type"], event["headers"], {},
                                    RECEIVED_AT)
    lead = normalize(submission.lead, None)

    assert (lead.first_name, lead.last_name) == ("Tomás", "García")
    assert (lead.email, lead.phone, lead.message) == (sent["email"], sent["phone"], sent["message"])
    assert lead.utm == sent["utm"]
    assert lead.consent == Consent(marketing=True, captured_at=RECEIVED_AT)
    assert lead.landing_page == sent["page_url"]
    assert lead.referrer == event["headers"]["referer"]
    assert lead.fields == {"client_submission_id": sent["client_submission_id"]}


# --- website: the variants browsers send ----------------------------------------------------------------------
def test_a_multipart_form_keeps_repeated_checkboxes_in_order_and_crlf_line_breaks():
    # Given a multipart post with two ticked boxes of one name and a two-line message
    body = multipart([("name", "Theo Brandt"), ("email", "theo.brandt@example.net"), ("interest", "heat-pump"),
                      ("interest", "solar"), ("message", "First line\r\nSecond line")])

    # When it is parsed
    raw = post_form(body, f"multipart/form-data; boundary={BOUNDARY}").lead

    # Then the boxes are a list and the message keeps its line break exactly as sent
    assert raw.fields == {"interest": ["heat-pump", "solar"]}
    assert raw.message == "First line\r\nSecond line"
    assert (raw.full_name, raw.email) == ("Theo Brandt", "theo.brandt@example.net")
    assert normalize(raw, None).message == "First line\nSecond line"


def test_a_urlencoded_form_with_repeated_and_bracketed_checkbox_names():
    body = urlencoded([("email", "a@example.com"), ("interest", "heat-pump"), ("interest", "solar"),
                       ("extras[]", "battery"), ("message", "Zeile 1\r\nZeile 2")])
    raw = post_form(body).lead
    assert raw.fields == {"interest": ["heat-pump", "solar"], "extras": ["battery"]}
    assert raw.message == "Zeile 1\r\nZeile 2"


def test_multipart_with_quoted_boundary_utf8_names_files_and_a_preamble():
    # Given what a careful client may send: a quoted boundary, a preamble, a UTF-8 name, an escaped quote, a file
    boundary = "x-boundary"
    body = (f"ignored preamble\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="straße"\r\n\r\nHauptstraße 1\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="say %22hi%22"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
            f"hi\r\n"
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
            f"%PDF-1.7\r\n"
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="email"\r\n\r\nada@example.com\r\n'
            f"--{boundary}--\r\nepilogue").encode()

    # When it is parsed
    raw = post_form(body, f'multipart/form-data; charset=utf-8; boundary="{boundary}"').lead

    # Then names and values are exact, and the file is not kept
    assert raw.fields == {"straße": "Hauptstraße 1", 'say "hi"': "hi"}
    assert raw.email == "ada@example.com"


def test_an_empty_multipart_value_and_a_value_holding_blank_lines():
    body = multipart([("email", "ada@example.com"), ("company", ""), ("message", "a\r\n\r\n\r\nb")])
    raw = post_form(body, f"multipart/form-data; boundary={BOUNDARY}").lead
    assert raw.company is None
    assert raw.message == "a\r\n\r\n\r\nb"


@pytest.mark.parametrize(("gotcha", "honeypot"), [(None, False), ("", False), ("  ", False),
                                                  ("http://spam.example", True)])
def test_the_gotcha_honeypot_flags_bots_and_is_never_stored(gotcha, honeypot):
    fields = [("email", "bot@spam.example")] + ([("_gotcha", gotcha)] if gotcha is not None else [])
    submission = post_form(urlencoded(fields))
    assert submission.honeypot is honeypot
    assert "_gotcha" not in submission.lead.fields


@pytest.mark.parametrize(("next_url", "kept"), [
    ("https://shop.example/thanks", True), ("/thanks", True), ("https://shop.example/\r\nSet-Cookie: x=1", False),
    ("", False), ("https://shop.example/danké", False),
])
def test_next_is_kept_only_when_it_is_safe_in_a_location_header(next_url, kept):
    submission = post_form(urlencoded([("email", "ada@example.com"), ("_next", next_url)]))
    assert submission.next_url == (next_url if kept else None)


THANKS = "https://api.example/thanks"


@pytest.mark.parametrize(("next_url", "page", "allowed", "target"), [
    ("/thanks", "https://shop.example/contact?x=1", [], "https://shop.example/thanks"),
    ("danke.html", "https://shop.example/de/kontakt", [], "https://shop.example/danke.html"),
    ("https://shop.example/ok", "https://shop.example/contact", [], "https://shop.example/ok"),
    ("https://evil.example/", "https://shop.example/contact", [], THANKS),
    ("//evil.example/x", "https://shop.example/contact", [], THANKS),
    ("https://www.shop.example/ok", "https://shop.example/", ["https://www.shop.example"],
     "https://www.shop.example/ok"),
    ("/thanks", None, [], THANKS),
    ("javascript:alert(1)", "https://shop.example/", [], THANKS),
    ("https://user@evil.example/", "https://shop.example/", [], THANKS),
    ("https://evil.example/", None, [], THANKS),
])
def test_next_leads_only_to_the_forms_own_origin_or_an_allowed_one(next_url, page, allowed, target):
    assert website.redirect_target(next_url, page, allowed, THANKS) == target


def test_utm_keys_the_form_did_not_send_come_from_the_referring_page_key_by_key():
    raw = post_form(urlencoded([("email", "ada@example.com"), ("utm_source", "flyer")]),
                    headers={"referer": "https://shop.example/?utm_source=google&utm_campaign=herbst"}).lead
    assert raw.utm == {"source": "flyer", "campaign": "herbst"}


def test_underscore_fields_steer_the_form_and_are_not_stored_but_replyto_is_the_email():
    body = urlencoded([("_replyto", "Ada@Example.com"), ("_subject", "New lead"), ("_language", "de"),
                       ("_landing", "https://shop.example/offer?utm_source=flyer"), ("note", "hi")])
    raw = post_form(body).lead
    assert raw.email == "Ada@Example.com"
    assert raw.fields == {"note": "hi"}
    assert raw.landing_page == "https://shop.example/offer?utm_source=flyer"


@pytest.mark.parametrize(("token", "ref"), [
    ("3q2-7wAAAAAAAAAAAAAAAA", "3q2-7wAAAAAAAAAAAAAAAA"), ("a" * 64, "a" * 64),
    ("short", None), ("a" * 65, None), ("has space in it 0123", None), ("", None)])
def test_the_submission_token_tells_a_resent_form_from_a_new_one_and_a_bad_one_is_no_token(token, ref):
    raw = post_form(urlencoded([("email", "ada@example.com"), ("_submission", token)])).lead
    assert (raw.resend, raw.source_ref) == (ref, None)
    assert raw.fields == {} and raw.email == "ada@example.com"


@pytest.mark.parametrize(("form", "query", "referer", "utm"), [
    ([("utm_source", "flyer"), ("utm_campaign", "spring")], {"utm_source": "query"},
     "https://shop.example/?utm_source=referer", {"source": "flyer", "campaign": "spring"}),
    ([], {"utm_source": "newsletter", "utm_medium": "email"}, "https://shop.example/?utm_source=referer",
     {"source": "newsletter", "medium": "email"}),
    ([("landing_page", "https://shop.example/p?utm_source=landing&utm_term=pumps")], {},
     "https://shop.example/?utm_source=referer", {"source": "landing", "term": "pumps"}),
    ([], {}, "https://shop.example/angebot?utm_source=google&utm_campaign=herbst-26&gclid=x",
     {"source": "google", "campaign": "herbst-26"}),
    ([("utm_source", "")], {}, "https://shop.example/angebot", {}),
])
def test_utm_comes_from_the_first_place_that_has_any(form, query, referer, utm):
    raw = post_form(urlencoded([("email", "ada@example.com"), *form]), headers={"Referer": referer},
                    query=query).lead
    assert raw.utm == utm
    assert not any(name.startswith("utm_") for name in raw.fields)


def test_referrer_and_landing_page_from_hidden_fields_before_the_referer_header():
    body = urlencoded([("email", "ada@example.com"), ("referrer", "https://www.google.com/"),
                       ("landing_page", "https://shop.example/offer")])
    raw = post_form(body, headers={"referer": "https://shop.example/contact"}).lead
    assert (raw.referrer, raw.landing_page) == ("https://www.google.com/", "https://shop.example/offer")
    assert raw.fields == {}


@pytest.mark.parametrize(("answer", "marketing"), [("on", True), ("true", True), ("YES", True), ("1", True),
                                                   ("off", False), ("no", False), ("", False)])
def test_a_consent_checkbox_records_the_answer_its_text_and_the_time(answer, marketing):
    body = urlencoded([("email", "ada@example.com"), ("consent", answer),
                       ("consent_text", "Ich willige ein, kontaktiert zu werden.")])
    consent = post_form(body).lead.consent
    assert consent == Consent(marketing=marketing, text="Ich willige ein, kontaktiert zu werden.",
                              captured_at=RECEIVED_AT)


def test_without_a_consent_field_consent_is_unknown():
    assert post_form(urlencoded([("email", "ada@example.com")])).lead.consent is None


def test_json_consent_may_be_an_object():
    body = json.dumps({"email": "ada@example.com", "consent": {"marketing": True, "text": "Yes, call me"}}).encode()
    assert post_form(body, "application/json").lead.consent == Consent(marketing=True, text="Yes, call me",
                                                                        captured_at=RECEIVED_AT)


@pytest.mark.parametrize(("name", "field"), [
    ("name", "full_name"), ("Full Name", "full_name"), ("fullname", "full_name"), ("firstname", "first_name"),
    ("First-Name", "first_name"), ("surname", "last_name"), ("lastname", "last_name"), ("tel", "phone"),
    ("telephone", "phone"), ("phone_number", "phone"), ("mobile", "phone"), ("company_name", "company"),
    ("organisation", "company"), ("job_title", "job_title"), ("title", "job_title"), ("zip", "postal_code"),
    ("postcode", "postal_code"), ("post_code", "postal_code"), ("message", "message"), ("comments", "message"),
    ("E-Mail", "email"), ("country", "country"), ("city", "city"),
])
def test_known_field_names_fill_lead_fields(name, field):
    assert lead_field(name) == field
    raw = post_form(urlencoded([("email", "ada@example.com"), (name, "value")]) if field != "email"
                    else urlencoded([(name, "ada@example.com")])).lead
    assert getattr(raw, field) == ("ada@example.com" if field == "email" else "value")
    assert raw.fields == {}


def test_the_first_answer_for_a_lead_field_wins_and_the_other_is_kept():
    raw = post_form(urlencoded([("email", "ada@example.com"), ("name", "Ada L"), ("full_name", "Ada Lovelace")])).lead
    assert raw.full_name == "Ada L"
    assert raw.fields == {"full_name": "Ada Lovelace"}


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "text/plain;charset=UTF-8", "application/xml",
                                          "multipart/mixed; boundary=x"])
def test_other_content_types_are_unsupported(content_type):
    with pytest.raises(UnsupportedMediaType) as raised:
        post_form(b"email=ada@example.com", content_type)
    assert raised.value.status == 415


def test_content_types_are_matched_without_regard_to_case_or_parameters():
    assert post_form(b'{"email": "a@example.com"}', "Application/JSON; charset=utf-8").lead.email == "a@example.com"


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"email": "ada@example.com", ', "application/json"),
    (b'["ada@example.com"]', "application/json"),
    (b'{"budget": NaN, "email": "a@example.com"}', "application/json"),
    (b'{"email": "\xff"}', "application/json"),
    (b"[" * 100_000, "application/json"),
    (b"email=%FF%FE", FORM),
    (b"email=\xff", FORM),
    (b"email=a&" * 1001, FORM),
    (b"email=a", f"{FORM}; charset=no-such-charset"),
    (multipart([("email", "a@example.com")]), "multipart/form-data"),
    (multipart([("email", "a@example.com")])[:-12], f"multipart/form-data; boundary={BOUNDARY}"),
    (f'--{BOUNDARY}\r\nX-Nothing: here\r\n\r\nvalue\r\n--{BOUNDARY}--\r\n'.encode(),
     f"multipart/form-data; boundary={BOUNDARY}"),
    (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\r\n--{BOUNDARY}--\r\n'.encode("latin-1"),
     f"multipart/form-data; boundary={BOUNDARY}"),
    (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\nvalue\r\n--{BOUNDARY}--\r\n'.encode(),
     f"multipart/form-data; boundary={BOUNDARY}"),
], ids=["truncated-json", "json-array", "json-nan", "json-not-utf8", "json-too-deep", "urlencoded-not-utf8",
        "urlencoded-raw-byte", "too-many-fields", "unknown-charset", "no-boundary", "unterminated-multipart",
        "part-without-disposition", "part-not-utf8", "part-without-blank-line"])
def test_bodies_that_cannot_be_read_are_malformed(body, content_type):
    with pytest.raises(Malformed) as raised:
        post_form(body, content_type)
    assert raised.value.status == 400 and raised.value.message


# --- Meta ------------------------------------------------------------------------------------------------------
def test_the_meta_sample_notification_gives_one_ref_with_every_id():
    sample = platform_sample("meta_leadgen.json")
    [ref] = meta.parse_notification(sample["request"]["body"].encode())
    value = sample["body_json"]["entry"][0]["changes"][0]["value"]
    assert ref == meta.MetaLeadRef(leadgen_id=value["leadgen_id"], page_id=value["page_id"], form_id=value["form_id"],
                                   ad_id=value["ad_id"], adgroup_id=value["adgroup_id"],
                                   created_time=str(value["created_time"]))


def test_old_numeric_meta_ids_are_read_as_exact_text():
    # Given a 2015-style notification: ids as JSON numbers, some beyond a double's 53 bits, organic ad ids 0
    body = notification([leadgen(987654321098765432, page_id=108234567890123, form_id=1234567890123456,
                                 ad_id=0, adgroup_id=0, created_time=1440000000)])

    # When it is parsed
    [ref] = meta.parse_notification(body)

    # Then every id is the exact digits sent
    assert ref == meta.MetaLeadRef(leadgen_id="987654321098765432", page_id="108234567890123",
                                   form_id="1234567890123456", ad_id="0", adgroup_id="0", created_time="1440000000")


def test_a_batched_meta_notification_gives_every_leadgen_change_of_every_entry_in_order():
    # Given two entries with two leadgen changes each, and a change of another field
    body = notification([leadgen("1"), leadgen(2)], [leadgen("3"), {"field": "feed", "value": {"item": "post"}},
                                                     leadgen(4)])

    # When it is parsed
    refs = meta.parse_notification(body)

    # Then all four leads are there, and only they
    assert [ref.leadgen_id for ref in refs] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("body", [
    b"{}", b'{"entry": {}}', b'{"entry": [{"id": "1"}]}', b'{"entry": [1]}',
    notification([{"field": "leadgen", "value": {"page_id": "1"}}]),
    notification([{"field": "leadgen", "value": "987654321098765"}]),
    notification([leadgen("../me/accounts")]), notification([leadgen(1.5)]), notification([leadgen(True)]),
    b"not json", b"[]",
], ids=["no-entry", "entry-not-list", "entry-without-changes", "entry-not-object", "no-leadgen-id",
        "value-not-object", "id-with-a-path", "float-id", "boolean-id", "not-json", "array"])
def test_meta_notifications_without_usable_lead_ids_are_malformed(body):
    with pytest.raises(Malformed):
        meta.parse_notification(body)


def test_the_graph_url_asks_for_every_lead_field_with_the_page_token():
    sample = platform_sample("meta_graph_lead.json")
    url = meta.graph_lead_url("https://graph.facebook.com/v22.0/", "987654321098765", "EAAB...PAGE&TOKEN=")
    parts = urlsplit(url)
    expected = urlsplit(sample["request"]["url"])
    assert (parts.scheme, parts.netloc, parts.path) == (expected.scheme, expected.netloc, expected.path)
    query = parse_qs(parts.query)
    assert query["fields"] == parse_qs(expected.query)["fields"]
    assert query["access_token"] == ["EAAB...PAGE&TOKEN="]


def test_the_graph_url_cannot_be_steered_by_the_id():
    url = meta.graph_lead_url("http://127.0.0.1:9/v22.0", "1/../../me?x=", "t")
    assert urlsplit(url).path == "/v22.0/1%2F..%2F..%2Fme%3Fx%3D"


def test_the_graph_sample_lead_is_mapped_field_by_field():
    # Given the sample notification's ref and the Graph API's answer for it
    sample = platform_sample("meta_graph_lead.json")
    [ref] = meta.parse_notification(platform_sample("meta_leadgen.json")["request"]["body"].encode())
    payload = json.loads(sample["response"]["body"])

    # When the answer is mapped and normalised
    lead = normalize(meta.map_graph_lead(payload, ref), None)

    # Then standard questions fill the lead, custom ones are kept by key, campaign and ad become UTM
    assert (lead.source, lead.source_ref, lead.pending_enrichment) == ("meta", "987654321098765", False)
    assert (lead.first_name, lead.last_name) == ("Anna", "Müller")
    assert (lead.email, lead.phone, lead.postal_code) == ("anna.mueller@example.de", "+4915123456789", "80331")
    assert lead.fields["wann_möchten_sie_starten?"] == "in_den_nächsten_3_monaten"
    assert lead.utm == {"source": "facebook", "medium": "paid_social", "campaign": payload["campaign_name"],
                        "term": payload["adset_name"], "content": payload["ad_name"]}
    assert {key: lead.fields[f"meta_{key}"] for key in ("form_id", "ad_id", "adset_id", "campaign_id")} == {
        key: payload[key] for key in ("form_id", "ad_id", "adset_id", "campaign_id")}
    assert lead.fields["meta_is_organic"] is False
    assert lead.consent is not None and lead.consent.marketing is True
    assert lead.submitted_at == "2026-10-01T09:04:22.000Z"


def test_a_graph_lead_with_several_answers_standard_extras_and_instagram():
    payload = {"id": "1", "platform": "ig", "is_organic": True, "created_time": "2026-10-01T09:04:22+0000",
               "field_data": [{"name": "first_name", "values": ["Lena"]}, {"name": "last_name", "values": ["Roth"]},
                              {"name": "work_email", "values": ["lena@firma.example"]},
                              {"name": "phone_number", "values": ["0151 23456789"]},
                              {"name": "country", "values": ["DE"]}, {"name": "city", "values": ["Köln"]},
                              {"name": "zip_code", "values": ["50667"]},
                              {"name": "company_name", "values": ["Roth GmbH"]},
                              {"name": "job_title", "values": ["Inhaberin"]},
                              {"name": "street_address", "values": ["Domkloster 4"]},
                              {"name": "welche_produkte?", "values": ["wärmepumpe", "solar"]},
                              {"name": "broken"}, "not an item"]}
    lead = normalize(meta.map_graph_lead(payload, meta.MetaLeadRef("1")), None)
    assert (lead.first_name, lead.last_name, lead.email) == ("Lena", "Roth", "lena@firma.example")
    assert (lead.phone, lead.country, lead.city, lead.postal_code) == ("+4915123456789", "DE", "Köln", "50667")
    assert (lead.company, lead.job_title) == ("Roth GmbH", "Inhaberin")
    assert lead.fields["street_address"] == "Domkloster 4"
    assert lead.fields["welche_produkte?"] == ["wärmepumpe", "solar"]
    assert lead.utm == {"source": "instagram", "medium": "organic_social"}


def test_a_meta_lead_the_graph_api_could_not_give_is_pending_and_can_be_retried_from_what_is_stored():
    # Given a ref from a notification
    ref = meta.MetaLeadRef("987654321098765", page_id="108234567890123", form_id="1234567890123456",
                           created_time="1790845462")

    # When the Graph fetch failed and the lead is stored pending
    lead = normalize(meta.pending_raw_lead(ref), "DE")

    # Then it is known by its id, awaits enrichment, and the sweep can rebuild the ref from its fields
    assert (lead.source, lead.source_ref, lead.pending_enrichment) == ("meta", "987654321098765", True)
    assert lead.submitted_at == "2026-10-01T09:04:22.000Z"
    assert meta.MetaLeadRef(leadgen_id=lead.source_ref, **lead.fields["meta_ref"]) == ref


def test_map_graph_lead_refuses_an_answer_that_is_not_an_object():
    with pytest.raises(Malformed):
        meta.map_graph_lead(["not", "a", "lead"], meta.MetaLeadRef("1"))  # type: ignore[arg-type]


# --- Google ----------------------------------------------------------------------------------------------------
def test_the_google_sample_is_mapped_column_by_column_with_exact_ids():
    # Given Google's sample delivery
    sample = platform_sample("google_ads_lead.json")
    delivery = sample["body_json"]

    # When it is parsed and normalised
    parsed = google.parse_google(sample["request"]["body"].encode())
    lead = normalize(parsed.lead, None)

    # Then the key is handed back for checking, and every column is where it belongs
    assert parsed.google_key == sample["secrets"]["google_key"]
    assert (lead.source, lead.source_ref, lead.is_test) == ("google", delivery["lead_id"], delivery["is_test"])
    columns = {column["column_id"]: column["string_value"] for column in delivery["user_column_data"]}
    assert (lead.first_name, lead.last_name) == tuple(columns["FULL_NAME"].split(" ", 1))
    assert (lead.email, lead.phone, lead.postal_code) == (columns["EMAIL"], columns["PHONE_NUMBER"],
                                                          columns["POSTAL_CODE"])
    assert (lead.company, lead.job_title) == (columns["COMPANY_NAME"], columns["JOB_TITLE"])
    for name in ("form_id", "campaign_id", "adgroup_id", "creative_id"):
        assert lead.fields[f"google_{name}"] == str(delivery[name])
    assert lead.fields["gcl_id"] == delivery["gcl_id"]
    assert lead.utm == {"source": "google", "medium": "cpc", "campaign": str(delivery["campaign_id"])}
    assert lead.submitted_at == "2026-10-01T09:14:22.000Z"
    assert "google_key" not in json.dumps(lead.fields)


def test_a_google_test_lead_spelled_with_google_key_and_unknown_columns():
    # Given a test lead as Google's "send test data" sends it, key spelled Google_key, ids beyond 2**53
    delivery = platform_sample("google_ads_lead.json")["body_json"]
    key = delivery.pop("google_key")
    body = json.dumps({**delivery, "Google_key": key, "is_test": True, "campaign_id": 2**62 + 1,
                       "asset_group_id": 9007199254740993, "user_column_data": [
                           {"column_id": "FIRST_NAME", "string_value": "FirstName"},
                           {"column_id": "LAST_NAME", "string_value": "LastName"},
                           {"column_id": "WORK_EMAIL", "string_value": "test@example.com"},
                           {"column_id": "CITY", "string_value": "Mountain View"},
                           {"column_id": "COUNTRY", "string_value": "US"},
                           {"column_id": "WHICH_SERVICE?", "string_value": "Heat pump"},
                           {"column_name": "no id", "string_value": "dropped"}]}).encode()

    # When it is parsed
    parsed = google.parse_google(body)
    lead = normalize(parsed.lead, None)

    # Then it is flagged, the key found, ids exact, and unknown columns kept by their id in lower case
    assert parsed.google_key == key and lead.is_test is True
    assert (lead.first_name, lead.last_name, lead.email) == ("FirstName", "LastName", "test@example.com")
    assert (lead.city, lead.country) == ("Mountain View", "US")
    assert lead.fields["which_service?"] == "Heat pump"
    assert lead.fields["google_campaign_id"] == str(2**62 + 1)
    assert lead.fields["google_asset_group_id"] == "9007199254740993"


@pytest.mark.parametrize("body", [google_body(lead_id=None), google_body(lead_id=""), google_body(lead_id=[1]),
                                  b"[]", b"{", b'{"lead_id": "x", "is_test": Infinity}'])
def test_google_bodies_without_a_lead_id_or_not_json_are_malformed(body):
    with pytest.raises(Malformed):
        google.parse_google(body)


def test_a_google_body_without_a_key_hands_back_none():
    assert google.parse_google(google_body(google_key=None)).google_key is None


# --- Typeform --------------------------------------------------------------------------------------------------
def test_the_typeform_sample_is_mapped_answer_by_answer():
    # Given Typeform's sample response
    sample = platform_sample("typeform.json")
    response = sample["body_json"]["form_response"]

    # When it is parsed and normalised
    lead = normalize(typeform.parse_typeform(sample["request"]["body"].encode()), None)

    # Then answers fill the lead by ref, hidden fields give UTM and fields, the yes/no consent is consent
    assert (lead.source, lead.source_ref) == ("typeform", sample["body_json"]["event_id"])
    assert (lead.first_name, lead.email, lead.phone) == ("Lena", "lena.schmidt@example.org", "+4930123456789")
    assert lead.fields["company_size"] == "11-50"
    assert lead.fields["budget"] == 15000
    assert lead.utm == {"source": "newsletter", "campaign": "oct26"}
    assert lead.fields["lead_ref"] == response["hidden"]["lead_ref"]
    assert lead.fields[typeform.TOKEN_FIELD] == response["token"]
    assert lead.fields["typeform_score"] == 0
    assert lead.consent == Consent(marketing=True, text="May we call you?", captured_at="2026-10-01T09:05:47.000Z")
    assert lead.submitted_at == "2026-10-01T09:05:47.000Z"
    assert "consent" not in lead.fields


def test_typeform_answers_of_every_type_and_email_found_by_type():
    def answers(response: dict[str, Any]) -> None:
        response["answers"] = [
            {"type": "email", "email": "Lena@Example.org", "field": {"id": "a1", "ref": "contact_mail"}},
            {"type": "choices", "choices": {"labels": ["Solar", "Battery"], "other": "Wind"},
             "field": {"id": "a2", "ref": "products"}},
            {"type": "choice", "choice": {"other": "Something else"}, "field": {"id": "a3", "ref": "reason"}},
            {"type": "date", "date": "2026-11-01", "field": {"id": "a4", "ref": "start"}},
            {"type": "url", "url": "https://lena.example", "field": {"id": "a5", "ref": "website"}},
            {"type": "boolean", "boolean": False, "field": {"id": "a6", "ref": "newsletter"}},
            {"type": "number", "number": 2.5, "field": {"id": "a7"}},
            {"type": "text", "text": "Roth", "field": {"id": "a8", "ref": "last_name"}},
            {"type": "text", "text": "DE", "field": {"id": "a9", "ref": "country"}},
            {"type": "payment", "payment": {"amount": "10", "last4": "4242", "success": True},
             "field": {"id": "b1", "ref": "deposit"}},
            {"type": "text", "field": {"id": "b2", "ref": "broken"}}, "not an answer",
        ]
    lead = normalize(typeform.parse_typeform(typeform_body(answers)), None)
    assert (lead.email, lead.last_name, lead.country) == ("lena@example.org", "Roth", "DE")
    assert lead.fields["products"] == ["Solar", "Battery", "Wind"]
    assert lead.fields["reason"] == "Something else"
    assert (lead.fields["start"], lead.fields["website"]) == ("2026-11-01", "https://lena.example")
    assert lead.fields["newsletter"] is False
    assert lead.fields["a7"] == 2.5
    assert lead.fields["deposit"] == {"amount": "10", "success": True}
    assert "broken" not in lead.fields and "contact_mail" not in lead.fields


def test_a_typeform_delivery_without_event_id_is_known_by_its_token():
    delivery = platform_sample("typeform.json")["body_json"]
    del delivery["event_id"]
    raw = typeform.parse_typeform(json.dumps(delivery).encode())
    assert raw.source_ref == delivery["form_response"]["token"]


@pytest.mark.parametrize("body", [b"{}", b'{"event_id": "e", "form_response": []}',
                                  b'{"form_response": {"answers": []}}', b"not json"])
def test_typeform_bodies_without_a_response_or_an_id_are_malformed(body):
    with pytest.raises(Malformed):
        typeform.parse_typeform(body)


# --- Standard Webhooks -----------------------------------------------------------------------------------------
def test_the_standard_webhook_sample_is_a_lead_in_our_own_schema():
    sample = platform_sample("standard_webhooks_lead.json")
    data = sample["body_json"]["data"]

    lead = normalize(webhook.parse_generic(sample["request"]["body"].encode(),
                                           sample["request"]["headers"]["webhook-id"]), None)

    assert (lead.source, lead.source_ref) == ("webhook", sample["request"]["headers"]["webhook-id"])
    assert (lead.first_name, lead.last_name) == tuple(data["full_name"].split(" ", 1))
    assert (lead.email, lead.phone) == (data["email"], data["phone"])
    assert lead.utm == data["utm"]
    assert lead.consent == Consent(marketing=True, captured_at="2026-10-01T09:17:40.000Z")
    assert lead.fields == {"sender_lead_id": data["lead_id"], "sender_source": data["source"],
                           "webhook_type": sample["body_json"]["type"]}
    assert lead.submitted_at == "2026-10-01T09:17:42.512Z"


def test_a_bare_lead_with_utm_keys_and_custom_fields_is_accepted_too():
    body = json.dumps({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "AE Ltd",
                       "utm_source": "partner", "consent": "yes", "is_test": True, "budget": 5000,
                       "fields": {"plan": "pro"}, "source": "crm", "data": "not an envelope"}).encode()
    lead = normalize(webhook.parse_generic(body, "msg_1"), None)
    assert (lead.first_name, lead.last_name, lead.company) == ("Ada", "Lovelace", "AE Ltd")
    assert lead.utm == {"source": "partner"}
    assert lead.consent is not None and lead.consent.marketing is True
    assert lead.is_test is True
    assert lead.fields == {"budget": 5000, "plan": "pro", "sender_source": "crm", "data": "not an envelope"}


@pytest.mark.parametrize("body", [b"[]", b"", b"{", b'{"data": 1e999999}'])
def test_webhook_bodies_that_are_not_a_json_object_are_malformed(body):
    with pytest.raises(Malformed):
        webhook.parse_generic(body, "msg_1")


# --- every sample file is covered ------------------------------------------------------------------------------
def test_every_platform_sample_is_parsed_by_some_test_here():
    # meta_verify_get.json is a GET handshake with no body: the intake handler's concern
    assert sample_names() == ["apigw_v2_form_urlencoded.json", "apigw_v2_json.json", "google_ads_lead.json",
                              "meta_graph_lead.json", "meta_leadgen.json", "meta_verify_get.json",
                              "standard_webhooks_lead.json", "typeform.json"]


# --- properties: no input makes a parser raise anything but the documented errors --------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=15,
)
lead_keys = st.sampled_from(["email", "phone", "name", "full_name", "first_name", "country", "utm", "consent",
                             "fields", "data", "type", "entry", "changes", "field", "value", "leadgen_id",
                             "form_response", "answers", "hidden", "event_id", "token", "lead_id",
                             "user_column_data", "column_id", "string_value", "google_key", "field_data",
                             "values", "_next", "_gotcha", "utm_source"]) | st.text(max_size=10)
json_objects = st.dictionaries(lead_keys, json_values, max_size=8)
content_types = st.sampled_from(["application/json", FORM, f"multipart/form-data; boundary={BOUNDARY}",
                                 "multipart/form-data", "text/plain", None, f"{FORM}; charset=latin-1"])


def parse_everything(body: bytes, content_type: str | None) -> None:
    """Every parser on the body, and normalize on whatever each gives back; only leadwire's errors may escape."""
    refs = _suppress(lambda: meta.parse_notification(body)) or []
    raw_leads: list[RawLead | None] = [
        _suppress(lambda: website.parse_form(body, content_type, {"referer": "https://x.example/?utm_source=a"}, {},
                                             RECEIVED_AT).lead),
        _suppress(lambda: google.parse_google(body).lead),
        _suppress(lambda: typeform.parse_typeform(body)),
        _suppress(lambda: webhook.parse_generic(body, "msg_1")),
        *[meta.pending_raw_lead(ref) for ref in refs],
    ]
    graph_lead = _json_or_none(body)
    if graph_lead is not None:
        raw_leads.append(_suppress(lambda: meta.map_graph_lead(graph_lead, meta.MetaLeadRef("1"))))
    for raw in raw_leads:
        if raw is not None:
            _suppress(lambda raw=raw: normalize(raw, "DE"))


def _suppress(call: Any) -> Any:
    """The call's result, or None when it raised one of leadwire's documented errors; anything else fails the test."""
    try:
        return call()
    except LeadwireError:
        return None


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=400), content_type=content_types)
def test_arbitrary_bytes_raise_nothing_but_leadwire_errors(body, content_type):
    parse_everything(body, content_type)


@settings(max_examples=200, deadline=None)
@given(document=json_objects | st.builds(lambda inner: {"entry": [{"changes": [{"field": "leadgen", "value": inner}]}],
                                                        "form_response": inner, "data": inner,
                                                        "user_column_data": [inner], "field_data": [inner],
                                                        "lead_id": "x", "event_id": "e"}, json_objects))
def test_arbitrary_json_raises_nothing_but_leadwire_errors(document):
    parse_everything(json.dumps(document).encode(), "application/json")


@settings(max_examples=200, deadline=None)
@given(fields=st.lists(st.tuples(lead_keys, st.text(max_size=30)), max_size=10),
       kind=st.sampled_from(["urlencoded", "multipart"]))
def test_arbitrary_forms_raise_nothing_but_leadwire_errors(fields, kind):
    fields = [(name, value) for name, value in fields if kind == "urlencoded" or _multipart_safe(name, value)]
    body = urlencoded(fields) if kind == "urlencoded" else multipart(fields)
    content_type = FORM if kind == "urlencoded" else f"multipart/form-data; boundary={BOUNDARY}"
    submission = _suppress(lambda: post_form(body, content_type))
    if submission is None:
        return
    assert len(submission.lead.fields) <= len(fields)
    _suppress(lambda: normalize(submission.lead, "DE"))


def _multipart_safe(name: str, value: str) -> bool:
    """What a browser can send in a multipart part: it escapes quotes and line breaks in names, and no value holds
    the boundary. Surrogates cannot be encoded at all."""
    text = name + value
    return not any(char in name for char in '"\r\n') and BOUNDARY not in text and text.encode("utf-8", "ignore").decode(
        "utf-8") == text



@pytest.mark.parametrize(("boxes", "marketing"), [
    ([("marketing_optin", "1")], True),
    ([("privacy_policy", "1"), ("newsletter", "true")], True),
    ([("privacy_policy", "1")], False),  # a ticked privacy notice is not marketing consent
    ([("terms_and_conditions", "1"), ("marketing_optin", "0")], False),
    ([("email_opt_in", "0")], False),
])
def test_only_a_ticked_marketing_question_of_a_meta_form_is_marketing_consent(boxes, marketing):
    payload = {"id": "5", "field_data": [{"name": "email", "values": ["kai@example.de"]}],
               "custom_disclaimer_responses": [{"checkbox_key": key, "is_checked": checked} for key, checked in boxes]}

    consent = meta.map_graph_lead(payload, meta.MetaLeadRef(leadgen_id="5")).consent

    assert consent is not None and consent.marketing is marketing
    assert consent.text == "Meta lead form disclaimer: " + ", ".join(key for key, checked in boxes if checked != "0") \
        or not any(checked != "0" for _, checked in boxes)
