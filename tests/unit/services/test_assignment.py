"""Assignment on fakes: one owner per lead, told once; a lead nobody can take waits visibly."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from leadwire.outbound.delivery import Delivery
from leadwire.owner.join import join
from leadwire.routing.assignment import Assigner
from leadwire.scoring.rescore import rescore
from leadwire.store import schema, timeline
from leadwire.store.table import StoreUnavailable
from tests.fakes import RecordingNotifier, RefusingNotifier
from tests.unit.services.conftest import BASE_URL, T, stored, submit


def scored_lead(table, notifier, **fields) -> str:
    lead_id = submit(table, **fields)
    rescore(lead_id, table, notifier, T)
    return lead_id


def test_a_scored_lead_gets_one_owner_who_is_emailed_once(table, notifier, team):
    lead_id = scored_lead(table, notifier, first_name="Dana")
    assigner = Assigner(table, notifier, BASE_URL)

    owner = assigner.assign(lead_id, T)
    again = assigner.assign(lead_id, T + timedelta(seconds=1))

    lead = stored(table, lead_id)
    assert owner in team and again is None
    assert (lead.owner, lead.status, lead.assigned_at) == (owner, "assigned", "2026-10-05T09:00:00.000Z")
    assert [email.kind for email in notifier.sent_to(f"{owner}@team.example")] == ["owner_assigned"]
    assert [detail["owner"] for detail in notifier.published("lead.assigned")] == [owner]



def test_round_robin_alternates_between_reps(table, notifier, team):
    ids = [scored_lead(table, notifier, email=f"p{n}@shop{n}.example") for n in range(4)]
    assigner = Assigner(table, notifier, BASE_URL)

    owners = [assigner.assign(lead_id, T) for lead_id in ids]

    assert sorted(owners) == ["anna", "anna", "ben", "ben"] and owners[0] != owners[1]


def test_without_reps_the_lead_is_blocked_on_the_timeline_and_published_once(table, notifier):
    lead_id = scored_lead(table, notifier)
    assigner = Assigner(table, notifier, BASE_URL)

    assert assigner.assign(lead_id, T) is None

    lead = stored(table, lead_id)
    assert lead.owner is None and lead.assign_blocked == "no reps on the team"
    assert lead.assign_retry_at == "2026-10-05T09:05:00.000Z"
    assert len(notifier.published("lead.unassigned")) == 1
    assert [entry["kind"] for entry in timeline.read(table, lead_id)].count("unassigned") == 1


def test_a_manual_reassignment_tells_both_reps(table, notifier, team):
    lead_id = scored_lead(table, notifier)
    assigner = Assigner(table, notifier, BASE_URL)
    first = assigner.assign(lead_id, T)
    other = "ben" if first == "anna" else "anna"

    assert assigner.reassign(stored(table, lead_id), T + timedelta(minutes=5), to=other, actor="api") == other

    assert stored(table, lead_id).owner == other
    assert [email.kind for email in notifier.sent_to(f"{first}@team.example")] == \
        ["owner_assigned", "owner_reassigned_away"]
    assert [email.kind for email in notifier.sent_to(f"{other}@team.example")] == ["owner_assigned"]


def test_the_first_owner_of_someone_who_wrote_twice_reads_both_messages(table, notifier, team):
    # Given a person who wrote twice before anyone was assigned
    lead_id = submit(table, message="Quote for a kitchen, please")
    submit(table, T + timedelta(minutes=2), message="Also the bathroom, call me after 5")
    rescore(lead_id, table, notifier, T + timedelta(minutes=2))

    # When the lead is assigned
    owner = Assigner(table, notifier, BASE_URL).assign(lead_id, T + timedelta(minutes=3))

    # Then the owner's email carries both messages, oldest first
    text = notifier.sent_to(f"{owner}@team.example")[0].text
    assert text.index("Quote for a kitchen, please") < text.index("Also the bathroom, call me after 5")


def test_someone_from_the_same_company_goes_to_the_rep_who_had_the_company_and_an_older_handover_does_not_win(
        table, notifier, team):
    from leadwire.store import reps

    # Given a lead from fox-builders assigned to someone (round robin would give the next one to the other rep)
    first = scored_lead(table, notifier, email="dana@fox-builders.example")
    assigner = Assigner(table, notifier, BASE_URL)
    owner = assigner.assign(first, T)

    # When a colleague writes in, and an older assignment from that company is remembered late
    colleague = scored_lead(table, notifier, email="erik@fox-builders.example")
    reps.remember_company_owner(table, "fox-builders.example", "someone-else", "2026-10-05T08:00:00.000Z")

    # Then the colleague goes to the same rep, and the company still points to that rep
    assert assigner.assign(colleague, T + timedelta(minutes=1)) == owner
    assert reps.company_owner(table, "fox-builders.example")[0] == owner


def test_a_lead_nobody_can_take_is_tried_again_soon_at_first_and_then_at_a_slower_pace(table, notifier, settings):
    from leadwire.followup.sweep import run_sweep

    lead_id = scored_lead(table, notifier)
    retries = []
    at = T
    # Given a team with nobody on it, for a whole day of sweeps
    while at < T + timedelta(days=1):
        Assigner(table, notifier, BASE_URL).assign(lead_id, at)  # the stream, after each unblocking
        lead = stored(table, lead_id)
        retries.append(lead.assign_retry_at)
        at = datetime.fromisoformat(lead.assign_retry_at.replace("Z", "+00:00"))
        run_sweep(at.isoformat(), table, notifier, settings, time_left_ms=lambda: 60_000)  # takes the block off

    # Then the first tries are 5 minutes apart, later ones 30, and the day holds a few dozen, not 288
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(
        datetime.fromisoformat(value.replace("Z", "+00:00")) for value in retries)]
    assert gaps[:4] == [5, 5, 5, 5]
    assert gaps[-1] == 30 and gaps == sorted(gaps)
    assert 40 < len(retries) < 70
    assert [entry["kind"] for entry in timeline.read(table, lead_id)].count("unassigned") == 1


def _written_in_transactions(table, monkeypatch) -> list[str]:
    """The sort keys of the items every transaction from now on puts."""
    keys: list[str] = []
    transact = table.transact

    def recorded(actions):
        keys.extend(action["Put"]["Item"]["sk"]["S"] for action in actions if "Put" in action)
        return transact(actions)

    monkeypatch.setattr(table, "transact", recorded)
    return keys


def test_the_assignment_entry_rides_in_the_owners_intent_and_is_on_the_timeline_once(table, team, monkeypatch):
    # Given an email service that refuses the new owner's email at first (throttled)
    notifier = RefusingNotifier(refusals=1)
    lead_id = scored_lead(table, notifier)
    in_transactions = _written_in_transactions(table, monkeypatch)

    # When the lead is assigned, and the sweep delivers what failed
    owner = Assigner(table, notifier, BASE_URL).assign(lead_id, T)
    assert [entry["kind"] for entry in timeline.read(table, lead_id)].count("assigned") == 1
    report = Delivery(table, notifier).retry_due(T + timedelta(minutes=3))

    # Then the handover's transaction wrote no timeline entry (its intent carried it), and the entry is there once,
    # written before the email SES refused, and again as the same item when the sweep delivered it
    assert in_transactions and not [key for key in in_transactions if key.startswith("TL#")]
    assert report["delivered"] == 1
    assert [entry["kind"] for entry in timeline.read(table, lead_id)].count("assigned") == 1
    assert [email.kind for email in notifier.sent_to(f"{owner}@team.example")] == ["owner_assigned"]


def test_an_entry_the_table_refused_is_written_by_the_sweep_unless_its_lead_is_gone_meanwhile(table, team,
                                                                                              monkeypatch):
    # Given two scored leads of one person, and a table that refuses every timeline entry written on its own, for now
    notifier = RecordingNotifier()
    kept, joined = (scored_lead(table, notifier, email=f"{name}@shop.example") for name in ("kim", "kim.p"))
    refusing = [True]
    put = table.put

    def throttled(item, condition=None):
        if refusing[0] and str(item["sk"]).startswith("TL#"):
            raise StoreUnavailable("ProvisionedThroughputExceeded")
        return put(item, condition)

    monkeypatch.setattr(table, "put", throttled)
    assigner = Assigner(table, notifier, BASE_URL)
    assert assigner.assign(kept, T) and assigner.assign(joined, T)
    assert not [entry for entry in timeline.read(table, kept) if entry["kind"] == "assigned"]

    # When the owner joins one into the other, the table recovers, and the sweep delivers what is due
    refusing[0] = False
    join(table, notifier, kept, joined, T + timedelta(minutes=1))
    Delivery(table, notifier).retry_due(T + timedelta(minutes=3))

    # Then the kept lead's timeline has its assignment, and nothing is written where the joined lead was
    assert [entry["kind"] for entry in timeline.read(table, kept)].count("assigned") == 1
    assert list(table.query_all(schema.lead_partition(joined))) == []
    assert len(notifier.published("lead.assigned")) == 2


def test_a_given_up_intent_still_writes_the_entry_it_carried(table, team, monkeypatch):
    # Given an email service that never takes the owner's email, and a table that refuses the assignment entry
    # whenever it is written on its own
    notifier = RefusingNotifier(error=ValueError("MessageRejected"))
    lead_id = scored_lead(table, notifier)
    put = table.put

    def refusing_the_assignment(item, condition=None):
        if item.get("kind") == "assigned":
            raise StoreUnavailable("ProvisionedThroughputExceeded")
        return put(item, condition)

    monkeypatch.setattr(table, "put", refusing_the_assignment)
    Assigner(table, notifier, BASE_URL).assign(lead_id, T)

    # When the sweeps try until the intent is given up
    delivery = Delivery(table, notifier)
    reports = [delivery.retry_due(T + timedelta(hours=hours)) for hours in range(1, 24)]

    # Then the entry is written with the giving up, beside the entry that says the email failed
    assert sum(report["given_up"] for report in reports) == 1
    kinds = [entry["kind"] for entry in timeline.read(table, lead_id)]
    assert kinds.count("assigned") == 1 and kinds.count("delivery_failed") == 1
