"""The owner's side on fakes: status moves, engagement, erasure, unsubscribing, the funnel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadwire.errors import Conflict, LeadNotFound, ValidationFailed
from leadwire.followup import unsubscribe
from leadwire.intake.dedupe import accept
from leadwire.lead import LeadInput
from leadwire.outbound.delivery import Delivery
from leadwire.owner import reports
from leadwire.owner.erase import erase
from leadwire.owner.leads import EngagementIn, LeadFilters, LeadPatch, change, find, list_page, record_event
from leadwire.routing.assignment import Assigner
from leadwire.scoring.rescore import rescore
from leadwire.store import outbox
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_reps
from tests.fakes import RefusingNotifier
from tests.unit.services.conftest import BASE_URL, T, stored, submit


def owned(table, notifier) -> str:
    lead_id = submit(table)
    rescore(lead_id, table, notifier, T)
    Assigner(table, notifier, BASE_URL).assign(lead_id, T)
    return lead_id


def test_contact_is_recorded_once_and_counted_in_the_funnel(table, notifier, team):
    lead_id = owned(table, notifier)

    contacted = change(table, notifier, lead_id, LeadPatch(status="contacted"), T + timedelta(minutes=6), BASE_URL)
    won = change(table, notifier, lead_id, LeadPatch(status="won"), T + timedelta(days=2), BASE_URL)

    assert contacted["first_contact_at"] == won["first_contact_at"] == "2026-10-05T09:06:00.000Z"
    figures = reports.funnel(table, "2026-10-05", "2026-10-05")["total"]
    assert (figures["contacted"], figures["won"]) == (1, 1)
    assert figures["first_contact_minutes"]["median"] == pytest.approx(6.0, rel=0.02)  # the sketch's accuracy
    assert {rep.id: rep.open_leads for rep in load_reps(table)} == {"anna": 0, "ben": 0}


def test_a_move_that_is_not_allowed_names_the_allowed_ones(table, notifier, team):
    lead_id = owned(table, notifier)
    change(table, notifier, lead_id, LeadPatch(status="unqualified"), T, BASE_URL)

    with pytest.raises(Conflict) as refused:
        change(table, notifier, lead_id, LeadPatch(status="won"), T, BASE_URL)

    assert refused.value.details == [{"field": "status", "reason": "transition not allowed", "allowed": ["contacted"]}]


def test_an_owner_that_does_not_exist_is_refused(table, notifier, team):
    lead_id = owned(table, notifier)
    with pytest.raises(ValidationFailed):
        change(table, notifier, lead_id, LeadPatch(owner="nobody"), T, BASE_URL)


def test_an_engagement_event_counts_once_per_id_and_needs_a_lead(table):
    lead_id = submit(table)
    event = EngagementIn(id="open-1", type="email_open")

    assert record_event(table, lead_id, event, T) == ("open-1", True)
    assert record_event(table, lead_id, event, T) == ("open-1", False)
    with pytest.raises(LeadNotFound):
        record_event(table, "0" * 20, event, T)
    with pytest.raises(ValidationFailed):
        record_event(table, lead_id, EngagementIn(type="made_up"), T)


def test_erasure_removes_the_person_and_a_new_submission_starts_fresh(table, notifier, team):
    lead_id = owned(table, notifier)

    erase(table, notifier, lead_id, T)

    assert LeadRepository(table).get(lead_id) is None
    # the lead, its submission (with the entry that tells of it), the scored and assigned entries, its email key
    assert notifier.published("lead.erased") == [{"lead_id": lead_id, "items": 5}]
    assert {rep.id: rep.open_leads for rep in load_reps(table)} == {"anna": 0, "ben": 0}
    again = accept(LeadInput(source="website", email="dana@fox-builders.example"), table, T + timedelta(days=1))
    assert again.outcome == "created" and again.lead_id != lead_id


def test_erasure_deletes_the_persons_emails_still_waiting_in_the_outbox(table, team):
    # Given an email service that refused the new owner's email, so it waits in the outbox for the sweep
    notifier = RefusingNotifier(error=ConnectionError("ServiceUnavailable"))
    lead_id = owned(table, notifier)
    assert [intent["lead_id"] for intent in outbox.waiting_of(table, lead_id)] == [lead_id]

    # When the person is erased, and the sweep runs once the email service is back
    erase(table, notifier, lead_id, T + timedelta(minutes=1))
    notifier.refusals = 0
    report = Delivery(table, notifier).retry_due(T + timedelta(hours=1))

    # Then the email about them was deleted with them, and only the erasure is announced
    assert outbox.waiting_of(table, lead_id) == [] and report["delivered"] == 0
    assert notifier.emails == [] and [detail["lead_id"] for detail in notifier.published("lead.erased")] == [lead_id]
    assert notifier.published("lead.assigned") == []


def test_unsubscribing_works_once_and_a_forged_token_is_refused(table, settings):
    lead_id = submit(table, consent=True)
    secret = settings.unsubscribe_secret.get_secret_value()
    token = unsubscribe.token(secret, lead_id)

    assert unsubscribe.unsubscribe(table, secret, token, T)
    assert not unsubscribe.unsubscribe(table, secret, token, T)
    assert stored(table, lead_id).unsubscribed
    with pytest.raises(Exception, match="not valid"):
        unsubscribe.unsubscribe(table, secret, token[:-2] + "xx", T)


def test_the_list_filters_and_pages_newest_first(table, notifier):
    ids = [submit(table, T + timedelta(minutes=n), email=f"p{n}@shop{n}.example") for n in range(5)]

    first = list_page(table, LeadFilters(), 2, None)
    rest = list_page(table, LeadFilters(), 10, first["cursor"])

    assert [lead["id"] for lead in first["items"] + rest["items"]] == ids[::-1]
    assert list_page(table, LeadFilters(status="won"), 10, None)["items"] == []


def test_the_unsubscribe_page_asks_first_and_either_post_carries_the_token():
    page = unsubscribe.confirmation_page('abc."><script>')

    assert '<form method="post"' in page and "<script>" not in page and "&quot;&gt;&lt;script&gt;" in page
    assert unsubscribe.token_in(b"t=abc.sig", {}) == "abc.sig"
    assert unsubscribe.token_in(b"List-Unsubscribe=One-Click", {"t": "abc.sig"}) == "abc.sig"


def test_a_filter_that_matches_nothing_answers_a_short_page_with_a_cursor_not_a_timeout(table, notifier):
    for n in range(30):
        submit(table, T + timedelta(minutes=n), email=f"p{n}@shop{n}.example")

    page = list_page(table, LeadFilters(status="won"), 2, None)

    assert page["items"] == [] and page["cursor"] is not None


def test_the_list_filters_on_stuck_and_needs_review_across_pages(table, notifier):
    # Given ten leads, two of them parked as stuck and one without a way to reach the person
    ids = [submit(table, T + timedelta(minutes=n), email=f"s{n}@shop{n}.example") for n in range(10)]
    leads = LeadRepository(table)
    for lead_id in (ids[1], ids[7]):
        lead = leads.get(lead_id)
        assert lead is not None and leads.park(lead, "could not be scored", {**timeline_entry(lead_id)})
    review = submit(table, T + timedelta(minutes=30), email=None, phone_raw="12", needs_review=True)
    assert stored(table, review).needs_review

    # When the owner lists the stuck ones two at a time, and those needing review
    first = list_page(table, LeadFilters(stuck=True), 1, None)
    rest = list_page(table, LeadFilters(stuck=True), 5, first["cursor"])
    flagged = list_page(table, LeadFilters(needs_review=True), 5, None)

    # Then exactly those come back, newest first
    assert [lead["id"] for lead in first["items"] + rest["items"]] == [ids[7], ids[1]]
    assert [lead["id"] for lead in flagged["items"]] == [review]
    assert len(list_page(table, LeadFilters(stuck=False), 20, None)["items"]) == 9


def test_a_lead_is_found_by_its_exact_email_or_phone_as_intake_normalised_them(table):
    lead_id = submit(table, email="dana@fox-builders.example", phone="+49301234567")  # as intake normalises them
    submit(table, email="other@shop.example")

    assert [lead["id"] for lead in find(table, " DANA@fox-builders.example", None, "DE")["items"]] == [lead_id]
    assert [lead["id"] for lead in find(table, None, "030 1234567", "DE")["items"]] == [lead_id]
    assert find(table, "nobody@fox-builders.example", None, "DE")["items"] == []
    with pytest.raises(ValidationFailed):
        find(table, "not an email", None, "DE")
    with pytest.raises(ValidationFailed):
        find(table, None, None, "DE")


def timeline_entry(lead_id: str) -> dict[str, object]:
    from leadwire.store import timeline

    return timeline.entry(lead_id, "2026-10-05T10:00:00Z", "stuck", "followup", reason="could not be scored")


def test_a_reps_record_lists_open_leads_and_the_first_contact_record(table, notifier, team):
    from leadwire.errors import NotFound
    from leadwire.owner.team import record
    from leadwire.store import timeline

    # Given three leads for anna: one contacted after 10 minutes, one that missed its deadline, one won
    ids = []
    for n in range(3):
        lead_id = submit(table, T + timedelta(minutes=n), email=f"r{n}@shop{n}.example", first_name=f"P{n}")
        rescore(lead_id, table, notifier, T)
        assert Assigner(table, notifier, BASE_URL).reassign(stored(table, lead_id), T, to="anna", actor="api")
        ids.append(lead_id)
    change(table, notifier, ids[0], LeadPatch(status="contacted"), T + timedelta(minutes=10), BASE_URL)
    change(table, notifier, ids[2], LeadPatch(status="won"), T + timedelta(minutes=30), BASE_URL)
    leads = LeadRepository(table)
    breached = stored(table, ids[1])
    assert leads.breach_sla(breached, timeline.entry(breached.id, "2026-10-05T09:20:00Z", "sla_breached", "followup"))

    # When the owner reads anna's record
    shown = record(table, "anna")

    # Then her open leads are listed newest first, and the record counts contact and the breach
    assert [lead["id"] for lead in shown["open_leads"]] == [ids[1], ids[0]]
    assert shown["sla"] == {"leads": 3, "contacted": 2, "breached": 1, "breach_rate": 0.3333,
                            "median_first_contact_minutes": 20.0}
    with pytest.raises(NotFound):
        record(table, "nobody")


def test_stuck_leads_are_listed_at_once_among_hundreds_and_leave_the_list_when_finished_or_erased(table, notifier):
    from leadwire.owner.erase import erase

    # Given 300 leads, the two oldest of them parked as stuck
    ids = [submit(table, T + timedelta(seconds=n), email=f"h{n}@shop{n}.example") for n in range(300)]
    leads = LeadRepository(table)
    for lead_id in ids[:2]:
        lead = leads.get(lead_id)
        assert lead is not None and leads.park(lead, "nobody could be assigned", {**timeline_entry(lead_id)})

    # When the owner asks for the stuck ones: the first page has both (not hundreds of leads walked, page by page)
    page = list_page(table, LeadFilters(stuck=True), 25, None)
    assert [lead["id"] for lead in page["items"]] == [ids[1], ids[0]]

    # Then a lead handed to a rep at last, or erased, leaves the list
    lead = leads.get(ids[1])
    assert lead is not None and leads.hand_over(lead, "anna", "assigned", "2026-10-05T11:00:00Z",
                                                {**timeline_entry(ids[1])}, None)
    erase(table, notifier, ids[0], T + timedelta(hours=2))
    assert list_page(table, LeadFilters(stuck=True), 25, None)["items"] == []
    assert [key[1] for key in table._items if key[0] == "STUCK"] == [f"{stored(table, ids[1]).created_at}#{ids[1]}"]
