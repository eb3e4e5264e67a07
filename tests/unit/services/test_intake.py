"""Accepting submissions on fakes: create, merge into the known person, ignore a redelivery, enrich a Meta lead."""

from __future__ import annotations

from datetime import timedelta

from leadwire.intake import enrichment
from leadwire.intake.dedupe import accept
from leadwire.lead import LeadInput
from leadwire.store import timeline
from leadwire.store.leads import LeadRepository
from tests.unit.services.conftest import T, stored, submit


def test_a_new_person_is_a_new_lead_waiting_for_its_score(table):
    lead_id = submit(table, first_name="Dana", phone="+49301234567")

    lead = stored(table, lead_id)
    assert (lead.status, lead.touches, lead.score_due, lead.first_name) == ("new", 1, 1, "Dana")
    assert [entry["kind"] for entry in timeline.read(table, lead_id)] == ["submission"]


def test_the_same_email_again_merges_fills_what_was_missing_and_overwrites_nothing(table):
    first = submit(table, first_name="Dana", company="Fox Builders")

    second = accept(LeadInput(source="website", email="dana@fox-builders.example", company="Other Co",
                              phone="+49301234567"), table, T + timedelta(minutes=3))

    lead = stored(table, first)
    assert second.outcome == "merged" and second.lead_id == first
    assert (lead.touches, lead.company, lead.phone) == (2, "Fox Builders", "+49301234567")
    # the phone the merge brought is now a dedupe key of this lead
    third = accept(LeadInput(source="website", phone="+49301234567"), table, T + timedelta(minutes=5))
    assert third.lead_id == first


def test_a_platform_redelivery_creates_nothing(table):
    lead = LeadInput(source="google", source_ref="g-1", email="kim@shop.example")
    first, again = accept(lead, table, T), accept(lead, table, T + timedelta(seconds=30))

    assert (first.outcome, again.outcome, again.lead_id) == ("created", "duplicate", first.lead_id)
    assert stored(table, first.lead_id).touches == 1


def test_a_meta_lead_without_details_waits_for_the_graph_api_and_is_due_for_it(table):
    lead_id = accept(LeadInput(source="meta", source_ref="4401", pending_enrichment=True), table, T).lead_id

    lead = stored(table, lead_id)
    assert lead.pending_enrichment and lead.score_due is None
    due, _ = LeadRepository(table).due(table_due_shard(lead_id), T + enrichment.FIRST_RETRY, 10, None)
    assert [found.id for found in due] == [lead_id]


def test_enrichment_fills_the_lead_or_backs_off_when_graph_fails(table, settings, graph):
    from leadwire.config import default_config

    lead_id = accept(LeadInput(source="meta", source_ref="4401", pending_enrichment=True), table, T).lead_id

    # When the Graph API does not know the lead yet, the next try is scheduled with backoff
    assert not enrichment.enrich(stored(table, lead_id), T, table, settings, default_config(), graph)
    waiting = stored(table, lead_id)
    assert waiting.enrich_attempts == 1 and waiting.enrich_next_at == "2026-10-05T09:02:00.000Z"

    # When it answers, the person is filled in, the score is due and the email becomes a dedupe key
    graph.leads["4401"] = {"id": "4401", "field_data": [{"name": "email", "values": ["lee@meta.example"]},
                                                        {"name": "full_name", "values": ["Lee Park"]}]}
    assert enrichment.enrich(waiting, T + timedelta(minutes=2), table, settings, default_config(), graph)
    lead = stored(table, lead_id)
    assert (lead.email, lead.first_name, lead.pending_enrichment, lead.score_due) == \
        ("lee@meta.example", "Lee", False, 1)
    assert accept(LeadInput(source="website", email="lee@meta.example"), table, T + timedelta(hours=1)).lead_id \
        == lead_id


def table_due_shard(lead_id: str) -> str:
    from leadwire.store.schema import due_shard

    return due_shard(lead_id)


def test_an_authentic_delivery_we_cannot_read_is_kept_for_a_person_and_a_redelivery_is_a_duplicate(table):
    from leadwire.errors import Malformed
    from leadwire.intake.doors import kept_unread

    # Given a signed Typeform delivery whose body is not a Typeform response
    body = b'{"event_id": "x", "form_response": "not an object"}'
    lead = kept_unread("typeform", "body-abc", body, Malformed("no form_response object"))

    # When it is stored, twice (Typeform resends what failed)
    first, again = accept(lead, table, T), accept(lead, table, T + timedelta(minutes=1))

    # Then one lead waits for a person, with the body set aside whole and the reason
    stored_lead = stored(table, first.lead_id)
    assert (first.outcome, again.outcome) == ("created", "duplicate")
    assert stored_lead.needs_review and stored_lead.set_aside == [
        {"field": "body", "value": body.decode(), "reason": "no form_response object"}]
