"""The lead repository's promises, on both engines: what a conditional write reports in the domain's words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.clock import iso
from leadwire.config import default_config
from leadwire.followup.plan import planner
from leadwire.intake.dedupe import merge_of
from leadwire.lead import LeadInput, LeadRecord
from leadwire.store import schema, timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.outcomes import AlreadyExists, ChangedMeanwhile, Gone

T = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def new_lead(lead_id: str, email: str = "ana@shop.example", **fields: object) -> LeadRecord:
    return LeadRecord(id=lead_id, source="website", email=email, created_at=iso(T), updated_at=iso(T),
                      last_activity_at=iso(T), status="new", touches=1, inputs_version=1, unsubscribed=False,
                      score_due=1, **fields)  # type: ignore[arg-type]


def entry(lead_id: str) -> dict:
    return timeline.entry(lead_id, iso(T), "submission", "intake")


def test_a_created_lead_reads_back_with_its_due_time_and_claims_its_email(table):
    plan = planner(default_config())
    leads = LeadRepository(table, plan)

    leads.create(new_lead("a1"), entry("a1"))

    # the lead records the keys it claimed, so erasure finds them without recomputing, the cohort it counts in, and
    # when its plan next has work
    claimed = [schema.email("ana@shop.example")]
    cohort = schema.funnel_cohort_sk("2026-10-05", "website", "website", "")
    expected = new_lead("a1", revision=1).model_copy(update={"claims": claimed, "cohort": cohort})
    assert leads.get("a1") == expected.model_copy(update={"due_at": iso(plan(expected))})
    assert leads.owner_of(schema.email("ana@shop.example")) == "a1"
    due, _ = leads.due(schema.due_shard("a1"), datetime(2026, 11, 5, tzinfo=UTC), 10, None)
    assert [lead.id for lead in due] == ["a1"]  # stale after 30 days without activity


def test_a_lead_item_keeps_its_id_in_its_key_and_no_zero_engagement_and_reads_back_whole(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1"), entry("a1"))
    lead = leads.get("a1")
    assert lead is not None
    leads.score(lead, {"score": 10, "fit": 10, "engagement": 0, "stage": "lead", "score_due": None}, entry("a1"), {})

    stored = table.get(schema.lead("a1"))
    assert stored is not None and "id" not in stored and "engagement" not in stored
    scored = leads.get("a1")
    assert scored is not None and (scored.id, scored.engagement, scored.score) == ("a1", 0, 10)
    # an item written before keeps its id as an attribute too, and reads the same
    table.put({**stored, "id": "a1", "engagement": 0})
    assert leads.get("a1") == scored


def test_a_second_lead_with_a_taken_email_is_refused_and_nothing_of_it_is_written(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1"), entry("a1"))

    with pytest.raises(AlreadyExists):
        leads.create(new_lead("b2"), entry("b2"))

    assert leads.get("b2") is None


def test_a_merge_into_an_erased_lead_is_gone_and_a_repeated_platform_id_already_exists(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1"), entry("a1"))
    delivery = LeadInput(source="google", source_ref="g-7", email="ana@shop.example", company="Shop")

    known = leads.get("a1")
    assert known is not None

    leads.merge(known, delivery, merge_of(known, delivery), iso(T), *kept("a1", delivery))
    with pytest.raises(AlreadyExists):
        leads.merge(known, delivery, merge_of(known, delivery), iso(T), *kept("a1", delivery))
    nobody = new_lead("nobody")
    with pytest.raises(Gone):
        leads.merge(nobody, LeadInput(source="website"), merge_of(nobody, LeadInput(source="website")), iso(T),
                    *kept("nobody", LeadInput(source="website")))

    merged = leads.get("a1")
    assert merged is not None and (merged.touches, merged.company, merged.refs) == (2, "Shop", ["g-7"])
    assert [item["source_ref"] for item in leads.submissions_after("a1", None)] == ["g-7"]


def test_a_careful_merge_into_a_lead_that_changed_meanwhile_is_refused(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1"), entry("a1"))
    read = leads.get("a1")
    assert read is not None
    leads.mark_score_due("a1", iso(T))  # another writer moves the lead on
    delivery = LeadInput(source="website", email="ana@shop.example", company="Shop")

    with pytest.raises(ChangedMeanwhile):
        leads.merge(read, delivery, merge_of(read, delivery), iso(T), *kept("a1", delivery))


def kept(lead_id: str, delivery: LeadInput) -> tuple[dict, dict, dict]:
    """The timeline entry, the submission kept whole and the `returned` event a merge writes with itself."""
    return (entry(lead_id), timeline.submission_item(lead_id, iso(T), delivery, "merged"),
            timeline.event_item(lead_id, f"returned-{delivery.source_ref}", "returned", iso(T), {}))


def test_only_one_of_two_hand_overs_read_from_the_same_state_wins(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1"), entry("a1"))
    read = leads.get("a1")
    assert read is not None

    first = leads.hand_over(read, "anna", "assigned", iso(T), entry("a1"), None)
    second = leads.hand_over(read, "ben", "assigned", iso(T), entry("a1"), None)

    stored = leads.get("a1")
    assert (first, second) == (True, False) and stored is not None and stored.owner == "anna"


def test_a_reminder_is_recorded_once_for_the_reminder_it_expects(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1"), entry("a1"))
    read = leads.get("a1")
    assert read is not None and leads.hand_over(read, "anna", "assigned", iso(T), entry("a1"), None)
    owned = leads.get("a1")
    assert owned is not None

    assert leads.remind(owned, 0, entry("a1"))
    assert not leads.remind(owned, 0, entry("a1"))
    reminded = leads.get("a1")
    assert reminded is not None and reminded.reminders_sent == 1


def test_erasure_deletes_the_lead_its_partition_and_the_keys_it_owns(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1", phone="+4930123456"), entry("a1"))

    deleted = leads.erase(leads.get("a1"))  # type: ignore[arg-type]

    assert deleted == 4 and leads.get("a1") is None  # the lead, its timeline entry, its email and phone keys
    assert leads.owner_of(schema.email("ana@shop.example")) is None
    assert leads.owner_of(schema.phone("+4930123456")) is None


def test_a_score_computed_before_a_hand_over_is_not_written_over_it(table):
    # Given a lead read by the score function, then handed over by someone else
    leads = LeadRepository(table, planner(default_config()))
    leads.create(new_lead("a1"), entry("a1"))
    read = leads.get("a1")
    assert read is not None
    assert leads.hand_over(read, "anna", "assigned", iso(T), entry("a1"), None)

    # When the score computed from the earlier read is written back
    with pytest.raises(ChangedMeanwhile):
        leads.score(read, {"score": 10, "stage": "lead"}, entry("a1"), {})

    # Then the hand-over and the due time it planned (the reminder at +15 minutes) stand
    stored = leads.get("a1")
    assert stored is not None and stored.owner == "anna" and stored.score == 0 and stored.score_due == 1
    due, _ = leads.due(schema.due_shard("a1"), datetime(2026, 10, 5, 9, 15, tzinfo=UTC), 10, None)
    assert [lead.id for lead in due] == ["a1"]


def test_empty_defaults_are_not_stored_and_an_unsubscribe_still_happens_once(table):
    """Every write to a lead costs a unit per kilobyte of the whole item: nothing stored that reads back anyway."""
    leads = LeadRepository(table)
    leads.create(new_lead("a1", possible_duplicates=[], set_aside=[], needs_review=False, is_test=False), entry("a1"))

    stored = table.get(schema.lead("a1"))
    assert stored is not None and {"unsubscribed", "possible_duplicates", "set_aside", "needs_review",
                                   "is_test"}.isdisjoint(stored)
    read = leads.get("a1")
    assert read is not None and (read.unsubscribed, read.possible_duplicates, read.needs_review) == (False, [], False)
    assert leads.nurture(read, 0, entry("a1"))  # nurture asks that the lead is not unsubscribed

    unsubscribe = timeline.event_item("a1", "u1", "unsubscribe", iso(T), {})
    assert leads.unsubscribe("a1", iso(T), entry("a1"), unsubscribe) is True
    assert leads.unsubscribe("a1", iso(T), entry("a1"), unsubscribe) is False
    after = leads.get("a1")
    assert after is not None and after.unsubscribed and not leads.nurture(after, 1, entry("a1"))


def test_a_scored_and_assigned_lead_keeps_its_reasons_in_one_string_and_no_reminders_count(table):
    """The reasons as a list of maps and a reminders count of 0 took one assigned lead in two over the 1 KB unit."""
    leads = LeadRepository(table, planner(default_config()))
    leads.create(new_lead("a1"), entry("a1"))
    reasons = [{"rule": "has-email", "points": 10.0}, {"rule": "senior: \"VP\", CEO", "points": 12.5},
               {"rule": "engagement:email_open", "points": -2.0}]
    leads.score(leads.get("a1"), {"score": 20.5, "stage": "lead", "score_reasons": reasons}, entry("a1"), {})  # type: ignore[arg-type]
    assert leads.hand_over(leads.get("a1"), "anna", "assigned", iso(T), entry("a1"), None)  # type: ignore[arg-type]

    stored = table.get(schema.lead("a1"))
    assert stored is not None and "reminders_sent" not in stored and stored["claims"] == ["EMAIL#ana@shop.example"]
    assert stored["score_reasons"] == '[["has-email",10],["senior: \\"VP\\", CEO",12.5],["engagement:email_open",-2]]'
    read = leads.get("a1")
    assert read is not None and read.reminders_sent == 0
    assert [reason.model_dump() for reason in read.score_reasons] == reasons
    assert leads.remind(read, 0, entry("a1")) and not leads.remind(read, 0, entry("a1"))


def test_a_lead_stored_with_its_reasons_and_claims_as_maps_reads_the_same_and_is_erased_whole(table):
    leads = LeadRepository(table)
    leads.create(new_lead("a1", phone="+4930123456"), entry("a1"))
    claimed = [schema.email("ana@shop.example"), schema.phone("+4930123456")]
    table.put({**table.get(schema.lead("a1")), "score_reasons": [{"rule": "has-email", "points": 10}],  # type: ignore[dict-item]
               "claims": claimed})

    read = leads.get("a1")
    assert read is not None and [(reason.rule, reason.points) for reason in read.score_reasons] == [("has-email", 10)]
    assert read.claims == claimed
    assert leads.park(read, "no score after 4 attempts", entry("a1"))  # its marker is a claim of another kind

    stuck = leads.get("a1")
    assert stuck is not None and stuck.claims[:2] == claimed and stuck.claims[2]["sk"] != schema.KEY_SK
    assert leads.erase(stuck) == 6  # the lead, its two entries, both keys and the marker
    assert [leads.owner_of(key) for key in stuck.claims] == [None, None, None]


def test_a_submission_carries_the_entry_that_tells_of_it_and_each_reads_as_before(table):
    # Given a lead created with its submission, a merge of a second one, and a lead stored before submissions
    # carried their entry (the entry an item of its own)
    leads = LeadRepository(table)
    first = LeadInput(source="website", email="ana@shop.example", message="Kitchen")
    leads.create(new_lead("a1"), entry("a1"), timeline.submission_item("a1", iso(T), first, "created"))
    second = LeadInput(source="google", source_ref="g-7", email="ana@shop.example", message="Bathroom")
    known = leads.get("a1")
    later = iso(T + timedelta(minutes=5))
    leads.merge(known, second, merge_of(known, second), later,  # type: ignore[arg-type]
                timeline.entry("a1", later, "merge", "intake", outcome="merged"),
                timeline.submission_item("a1", later, second, "merged"), None)
    table.put(timeline.entry("b2", iso(T), "submission", "intake", outcome="created"))
    table.put(timeline.submission_item("b2", iso(T), first, "created"))

    # Then the lead's partition holds no entry apart from its submissions, the timeline shows one entry for each,
    # and the submissions show no entry in them
    partition = list(table.query_all(schema.lead_partition("a1")))
    assert sorted(item["sk"][:3] for item in partition) == ["LEA", "SUB", "SUB"]
    for lead_id, kinds in (("a1", ["submission", "merge"]), ("b2", ["submission"])):
        assert sorted(entry["kind"] for entry in timeline.read(table, lead_id)) == sorted(kinds)
        submissions = leads.submissions_after(lead_id, None)
        assert [item["message"] for item in submissions] == ["Kitchen", "Bathroom"][:len(kinds)]
        assert all({"kind", "actor", "detail"}.isdisjoint(item) for item in submissions)


def test_a_form_merged_twice_from_one_read_is_stored_once_and_the_lead_keeps_its_token(table):
    # Given a lead, and one filling-in of the form that two requests (the first answered 500) merge from one read
    leads = LeadRepository(table)
    leads.create(new_lead("a1", resend="first-filling-in-0001"), entry("a1"))
    known = leads.get("a1")
    assert known is not None and known.resend == "first-filling-in-0001"
    form = LeadInput(source="website", email="ana@shop.example", message="Bathroom", resend="second-filling-in-01")
    later = iso(T + timedelta(minutes=5))

    def merged() -> None:
        leads.merge(known, form, merge_of(known, form), later,  # type: ignore[arg-type]
                    timeline.entry("a1", later, "merge", "intake"), timeline.submission_item("a1", later, form,
                                                                                             "merged"), None)

    # When both write
    merged()
    with pytest.raises(ChangedMeanwhile):
        merged()

    # Then one submission and one touch were added, and the lead keeps the second form's token
    lead = leads.get("a1")
    assert lead is not None and lead.touches == 2 and lead.resend == "second-filling-in-01"
    assert [item["message"] for item in leads.submissions_after("a1", None)] == ["Bathroom"]
