"""The identity rules, returning people and the owner's merge, on fakes: nothing a person says is lost, two people
are never made one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadwire.errors import Conflict
from leadwire.followup.rep_links import RepLinks
from leadwire.intake.dedupe import SAME_PHONE_OTHER_EMAIL, SAME_PHONE_OTHER_NAME, accept
from leadwire.intake.normalize import normalize
from leadwire.lead import RawLead
from leadwire.owner.erase import erase
from leadwire.owner.join import join
from leadwire.owner.leads import LeadPatch, change, submissions_of
from leadwire.routing.assignment import Assigner
from leadwire.scoring.rescore import rescore
from leadwire.store import timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.schema import email as email_key
from leadwire.store.schema import lead_partition
from tests.unit.services.conftest import BASE_URL, T, stored

PHONE = "+49301234567"


def send(table, notifier=None, minutes: int = 0, **fields: object):
    """A website submission as the person typed it, normalised and stored as the intake does."""
    lead = normalize(RawLead(source="website", **fields), "DE")  # type: ignore[arg-type]
    return accept(lead, table, T + timedelta(minutes=minutes), notifier, RepLinks(BASE_URL, table))


def assigned(table, notifier, lead_id: str, minutes: int = 0) -> None:
    rescore(lead_id, table, notifier, T + timedelta(minutes=minutes))
    Assigner(table, notifier, BASE_URL).assign(lead_id, T + timedelta(minutes=minutes))


def test_the_second_message_is_kept_shown_on_the_lead_and_on_the_timeline(table):
    first = send(table, email="dana@fox.example", message="Quote for a kitchen, please")
    second = send(table, minutes=5, email="Dana@Fox.example", message="Also the bathroom, call me after 5")

    assert second.lead_id == first.lead_id and second.outcome == "merged"
    page = submissions_of(table, first.lead_id, 50, None)
    assert [item["message"] for item in page["items"]] == ["Quote for a kitchen, please",
                                                          "Also the bathroom, call me after 5"]
    assert page["items"][1]["typed"]["email"] == "Dana@Fox.example"
    assert page["items"][1]["normalised"]["email"] == "dana@fox.example"
    assert stored(table, first.lead_id).message == "Also the bathroom, call me after 5"
    pointed = [entry["detail"]["submission"] for entry in timeline.read(table, first.lead_id)
               if entry["kind"] in ("submission", "merge")]
    assert pointed == [item["id"] for item in page["items"]]


def test_a_merge_keeps_every_differing_value(table):
    lead_id = send(table, email="dana@fox.example", company="Fox Builders", phone=PHONE).lead_id
    send(table, minutes=1, email="dana@fox.example", company="Fox & Sons", phone="+49301234999")

    lead = stored(table, lead_id)
    assert (lead.company, lead.phone) == ("Fox Builders", PHONE)
    assert lead.other_values == {"company": ["Fox & Sons"], "phone": ["+49301234999"]}


def test_a_shared_phone_with_different_emails_gives_two_leads_flagged_both_ways(table):
    anna = send(table, email="anna@office.example", first_name="Anna", phone=PHONE)
    mike = send(table, minutes=2, email="mike@office.example", first_name="Mike", phone=PHONE)

    assert mike.outcome == "created" and mike.lead_id != anna.lead_id
    assert [d.model_dump() for d in stored(table, anna.lead_id).possible_duplicates] == \
        [{"id": mike.lead_id, "reason": SAME_PHONE_OTHER_EMAIL}]
    assert [d.model_dump() for d in stored(table, mike.lead_id).possible_duplicates] == \
        [{"id": anna.lead_id, "reason": SAME_PHONE_OTHER_EMAIL}]
    assert stored(table, mike.lead_id).email == "mike@office.example"
    assert "possible_duplicate" in [entry["kind"] for entry in timeline.read(table, anna.lead_id)]


def test_a_shared_phone_without_emails_is_one_person_unless_the_name_clearly_differs(table):
    first = send(table, first_name="Dana", phone=PHONE)
    same = send(table, minutes=1, first_name="Dan", phone=PHONE)
    other = send(table, minutes=2, first_name="Mike", phone=PHONE)

    assert same.lead_id == first.lead_id and other.lead_id != first.lead_id
    assert stored(table, other.lead_id).possible_duplicates[0].reason == SAME_PHONE_OTHER_NAME


def test_a_phone_that_does_not_read_as_e164_still_finds_the_person(table):
    first = send(table, phone="12 (office) 34 56")
    again = send(table, minutes=3, phone="12-34-56 office")
    assert stored(table, first.lead_id).phone is None

    assert again.outcome == "merged" and again.lead_id == first.lead_id


def test_a_returning_person_is_news_to_the_owner(table, notifier, team):
    lead_id = send(table, notifier, email="dana@fox.example", first_name="Dana", message="Kitchen").lead_id
    assigned(table, notifier, lead_id)
    owner = stored(table, lead_id).owner
    notifier.emails.clear()

    send(table, notifier, minutes=10, email="dana@fox.example", message="Also the bathroom")
    send(table, notifier, minutes=20, email="dana@fox.example", message="And the hall")

    told = notifier.sent_to(f"{owner}@team.example")
    assert [email.subject for email in told] == ["Dana came back: Also the bathroom", "Dana came back: And the hall"]
    assert "Also the bathroom" in told[0].text and "Kitchen" not in told[0].text
    assert "And the hall" in told[1].text and "Also the bathroom" not in told[1].text
    assert len(notifier.published("lead.returned")) == 2
    assert [event["type"] for event in timeline.events(table, lead_id)] == ["returned", "returned"]


def test_a_return_is_announced_by_the_sweep_when_what_follows_the_merge_fails(table, notifier, team, settings,
                                                                               monkeypatch):
    # Given an assigned lead, and the owner's record unreadable for a moment right after the person's next form
    # (its token the same on the resend)
    from leadwire.clock import iso
    from leadwire.followup.sweep import run_sweep
    from leadwire.intake import returning

    lead_id = send(table, notifier, email="dana@fox.example", first_name="Dana", message="Kitchen").lead_id
    assigned(table, notifier, lead_id)
    owner = stored(table, lead_id).owner
    notifier.emails.clear()
    reads = []

    def unreadable(store, rep_id):
        reads.append(rep_id)
        raise TimeoutError("the table did not answer")

    monkeypatch.setattr(returning, "load_rep", unreadable)

    # When the person comes back, the client sends the same form again, and the owner's record reads again
    back = send(table, notifier, minutes=10, email="dana@fox.example", message="Also the bathroom",
                resend="dana-second-form-0001")
    again = send(table, notifier, minutes=11, email="dana@fox.example", message="Also the bathroom",
                 resend="dana-second-form-0001")
    monkeypatch.undo()
    assert reads == [owner] and notifier.sent_to(f"{owner}@team.example") == []

    # Then the merge was answered as stored, the resend as a duplicate, and the next sweep tells the owner, once
    assert (back.outcome, again.outcome) == ("merged", "duplicate")
    for minutes in (13, 20):
        run_sweep((T + timedelta(minutes=minutes)).isoformat(), table, notifier, settings, lambda: 60_000)
    [told] = [email for email in notifier.sent_to(f"{owner}@team.example") if "came back" in email.subject]
    assert told.subject == "Dana came back: Also the bathroom" and "Kitchen" not in told.text
    assert len(notifier.published("lead.returned")) == 1
    assert stored(table, lead_id).owner_told_at == iso(T + timedelta(minutes=13))


def test_two_senders_of_one_return_announce_it_once(table, notifier, team):
    # Given a return stored without a notifier at hand (its announcement waits in the outbox)
    from leadwire.config import default_config
    from leadwire.intake import returning
    from leadwire.store import outbox

    lead_id = send(table, notifier, email="dana@fox.example", first_name="Dana", message="Kitchen").lead_id
    assigned(table, notifier, lead_id)
    notifier.emails.clear()
    send(table, None, minutes=10, email="dana@fox.example", message="Also the bathroom")
    [waiting] = [intent for intent in outbox.due(table, T + timedelta(hours=1)) if intent["kind"] == returning.KIND]

    # When the intake's sender and a sweep's both take it
    sender = returning.ReturnSender(table, notifier, RepLinks(BASE_URL, table), default_config())
    for _ in range(2):
        sender(waiting, T + timedelta(minutes=12))

    # Then the owner is told once, and the event published once
    assert [email.subject for email in notifier.emails] == ["Dana came back: Also the bathroom"]
    assert len(notifier.published("lead.returned")) == 1


def test_a_lost_lead_reopens_for_its_last_owner_and_a_won_lead_stays_won(table, notifier, team):
    lost = send(table, notifier, email="lou@lost.example").lead_id
    won = send(table, notifier, email="wyn@won.example", first_name="Wyn").lead_id
    for lead_id, status in ((lost, "lost"), (won, "won")):
        assigned(table, notifier, lead_id)
        change(table, notifier, lead_id, LeadPatch(status=status), T + timedelta(minutes=1), BASE_URL)
    lost_owner, won_owner = stored(table, lost).owner, stored(table, won).owner
    notifier.emails.clear()

    send(table, notifier, minutes=30, email="lou@lost.example", message="Ready now")
    send(table, notifier, minutes=30, email="wyn@won.example", message="One more thing")

    reopened = stored(table, lost)
    assert (reopened.status, reopened.owner, reopened.last_owner) == ("new", None, lost_owner)
    assigned(table, notifier, lost, minutes=31)
    assert stored(table, lost).owner == lost_owner
    assert stored(table, won).status == "won"
    [told] = notifier.sent_to(f"{won_owner}@team.example")
    assert told.subject == "Wyn came back: One more thing" and "stays won" in told.text


def test_the_owner_joins_two_leads_and_nothing_is_left_behind(table, notifier):
    anna = send(table, email="anna@office.example", first_name="Anna", phone=PHONE, message="One").lead_id
    other = send(table, minutes=1, email="a.berg@home.example", first_name="Anna", phone=PHONE,
                 message="Two").lead_id

    joined = join(table, notifier, anna, other, T + timedelta(hours=1))
    again = join(table, notifier, anna, other, T + timedelta(hours=2))

    assert joined == again and LeadRepository(table).get(other) is None
    assert joined["touches"] == 2 and joined["other_values"] == {"email": ["a.berg@home.example"]}
    assert joined["possible_duplicates"] == []
    assert [item["message"] for item in submissions_of(table, anna, 50, None)["items"]] == ["One", "Two"]
    # the other email is this lead's key now
    assert send(table, minutes=90, email="a.berg@home.example").lead_id == anna


def test_the_owners_join_is_announced_once_when_the_table_refuses_its_announcement_once(table, notifier,
                                                                                      monkeypatch):
    # Given two leads of one person, and a table that times out the first write of an outbox intent
    anna = send(table, email="anna@office.example", first_name="Anna", phone=PHONE).lead_id
    other = send(table, minutes=1, email="a.berg@home.example", first_name="Anna", phone=PHONE).lead_id
    refused = []

    def carries_an_intent(items) -> bool:
        return any(str(item.get("pk", "")).startswith("OUT#") for item in items)

    def once(write, items_of):
        def refusing(*args, **kwargs):
            if not refused and carries_an_intent(items_of(*args)):
                refused.append(write.__name__)
                raise TimeoutError("the table did not answer")
            return write(*args, **kwargs)
        return refusing

    monkeypatch.setattr(table, "put", once(table.put, lambda item, *_: [item]))
    monkeypatch.setattr(table, "transact", once(table.transact, lambda actions: [
        {"pk": action["Put"]["Item"]["pk"]["S"]} for action in actions if "Put" in action]))

    # When the owner joins them, and sends the join again after the error
    with pytest.raises(TimeoutError):
        join(table, notifier, anna, other, T + timedelta(hours=1))
    joined = join(table, notifier, anna, other, T + timedelta(hours=1, minutes=1))

    # Then the leads are one, and the join announced once
    assert refused and joined["touches"] == 2 and LeadRepository(table).get(other) is None
    assert [event["merged_from"] for event in notifier.published("lead.merged")] == [other]


def test_a_join_cut_short_is_finished_by_the_next_call_and_announced_once(table, notifier, monkeypatch):
    # Given two leads of one person, and a table that times out the join's deletions once
    from leadwire.outbound.delivery import Delivery

    anna = send(table, email="anna@office.example", first_name="Anna", phone=PHONE).lead_id
    other = send(table, minutes=1, email="a.berg@home.example", first_name="Anna", phone=PHONE).lead_id
    transact, refused = table.transact, []

    def refusing(actions):
        if not refused and all("Delete" in action for action in actions):
            refused.append(len(actions))
            raise TimeoutError("the table did not answer")
        return transact(actions)

    monkeypatch.setattr(table, "transact", refusing)

    # When the owner joins them, sends the join again after the error, and a sweep delivers what waits
    with pytest.raises(TimeoutError):
        join(table, notifier, anna, other, T + timedelta(hours=1))
    join(table, notifier, anna, other, T + timedelta(hours=1, minutes=1))
    Delivery(table, notifier).retry_due(T + timedelta(hours=2))

    # Then the other lead is gone, and the join announced once
    assert refused and LeadRepository(table).get(other) is None
    assert [event["merged_from"] for event in notifier.published("lead.merged")] == [other]


def test_no_merge_into_a_closed_lead(table, notifier, team):
    won = send(table, email="wyn@won.example").lead_id
    other = send(table, email="wyn@home.example").lead_id
    assigned(table, notifier, won)
    change(table, notifier, won, LeadPatch(status="won"), T + timedelta(minutes=1), BASE_URL)

    with pytest.raises(Conflict) as refused:
        join(table, notifier, won, other, T + timedelta(hours=1))
    assert "won" in refused.value.message and refused.value.status == 409


def test_erasing_one_lead_blocks_nobody(table, notifier):
    anna = send(table, email="anna@office.example", phone=PHONE).lead_id
    mike = send(table, minutes=1, email="mike@office.example", phone=PHONE).lead_id

    erase(table, notifier, anna, T)

    assert list(table.query_all(lead_partition(anna))) == []
    assert send(table, minutes=5, email="mike@office.example", phone=PHONE).lead_id == mike
    fresh = send(table, minutes=6, email="anna@office.example", phone=PHONE)
    assert fresh.outcome == "created" and fresh.lead_id not in (anna, mike)


def test_erasing_a_joined_lead_frees_every_key_it_took_over(table, notifier):
    anna = send(table, email="anna@office.example", phone=PHONE).lead_id
    other = send(table, minutes=1, email="anna@home.example", phone=PHONE).lead_id
    join(table, notifier, anna, other, T + timedelta(minutes=2))

    erase(table, notifier, anna, T)

    assert send(table, minutes=5, email="anna@home.example").outcome == "created"
    assert send(table, minutes=6, email="anna@office.example").outcome == "created"


def test_a_key_left_pointing_to_a_missing_lead_is_free(table):
    table.put({**email_key("ghost@gone.example"), "lead_id": "no-such-lead"})

    assert send(table, email="ghost@gone.example").outcome == "created"
