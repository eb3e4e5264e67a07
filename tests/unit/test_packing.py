"""Values kept packed in the table: smaller than plain zlib, readable whichever dictionary (or none) packed them."""

from __future__ import annotations

import json
import zlib
from importlib.resources import files

import pytest

from leadwire.lead import LeadInput
from leadwire.store import packing, timeline

EMAIL = {"type": "email", "body": {
    "to": "mia.lopez@example.net", "subject": "New lead: Ben Ortiz (Ortiz Bakery), senior +20 — call by 14:05 CET",
    "text": "Open the lead, record the call: https://leads.example.com/l/1f2e3d4c.mia.x9.sig\n\nHi Mia Lopez,\n\n"
            "Ben Ortiz is your new lead. Please call by 14:05 CET, in 15 minutes.\n\nName:     Ben Ortiz\n"
            "Phone:    +34911234567\nEmail:    ben@ortiz-bakery.es\n",
    "html": '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>New lead</title></head><body '
            'style="font-family:sans-serif;line-height:1.5">\n<p>Hi Mia Lopez,</p>\n<table role="presentation" '
            'cellpadding="4" style="border-collapse:collapse;font-size:16px">\n<tr><th align="left" scope="row">Name'
            '</th><td>Ben Ortiz</td></tr>\n<tr><th align="left" scope="row">Phone</th><td><a href="tel:+34911234567">'
            '+34911234567</a></td></tr></table>\n</body></html>\n',
    "kind": "owner_assigned", "headers": {}, "to_person": False}}


def test_a_packed_value_reads_back_as_it_was() -> None:
    assert packing.unpack(packing.pack([EMAIL, {"n": 1.5, "none": None}])) == [EMAIL, {"n": 1.5, "none": None}]


def test_the_dictionary_makes_an_email_smaller_than_zlib_alone() -> None:
    plain = zlib.compress(json.dumps([EMAIL], separators=(",", ":")).encode(), 9)
    assert len(packing.pack([EMAIL])) < 0.75 * len(plain)


def test_values_packed_before_there_was_a_dictionary_still_read() -> None:
    assert packing.unpack(zlib.compress(json.dumps([EMAIL]).encode(), 9)) == [EMAIL]


def test_a_value_packed_with_a_dictionary_this_version_lacks_is_named_not_misread() -> None:
    packer = zlib.compressobj(9, zdict=b"a dictionary of a newer leadwire")
    with pytest.raises(packing.UnknownDictionary, match="does not have"):
        packing.unpack(packer.compress(b'{"a":1}') + packer.flush())


def test_shipped_dictionaries_never_change() -> None:
    """Values packed with pack-1 are read with it for as long as they are kept: add pack-2 instead of editing it."""
    shipped = (files("leadwire") / "data" / "pack-1.zdict").read_bytes()
    assert zlib.adler32(shipped) == 0xa3f7ba4e
    assert packing.CURRENT in {entry.name for entry in (files("leadwire") / "data").iterdir()}
    assert zlib.adler32(shipped) in packing.dictionaries()


def test_a_submission_is_kept_packed_and_shown_whole() -> None:
    lead = LeadInput(source="website", email="ben@ortiz-bakery.es", message="Two cakes, please", typed={
        "email": "BEN@ortiz-bakery.es", "message": "Two cakes, please"})
    shown = timeline.submission_shown(timeline.submission_item("1", "2026-01-05T09:30:00Z", lead, "created"))
    assert "kept" not in shown and "source_ref" not in shown  # nothing that is None, as the table stores it
    assert shown["typed"]["email"] == "BEN@ortiz-bakery.es" and shown["normalised"]["email"] == "ben@ortiz-bakery.es"
    assert shown["message"] == "Two cakes, please" and shown["outcome"] == "created"


def test_a_submission_stored_before_packing_is_shown_as_stored() -> None:
    item = {"pk": "LEAD#1", "sk": "SUB#2026-01-05T09:30:00Z#ab", "at": "2026-01-05T09:30:00Z", "outcome": "merged",
            "typed": {"email": "A@b.example"}, "message": "hi"}
    assert timeline.submission_shown(item) == {"id": "2026-01-05T09:30:00Z#ab", "at": "2026-01-05T09:30:00Z",
                                               "outcome": "merged", "typed": {"email": "A@b.example"},
                                               "message": "hi"}
