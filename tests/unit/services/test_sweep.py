"""Each step of the follow-up sweep on fakes, and the sweep run twice doing each step once."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadwire.followup.sweep import run_sweep
from leadwire.routing.assignment import Assigner
from leadwire.scoring.rescore import rescore
from leadwire.store import timeline
from leadwire.store.reps import load_reps
from tests.fakes import RecordingNotifier
from tests.unit.services.conftest import BASE_URL, T, stored, submit


def sweep(table, notifier, settings, at: datetime) -> dict:
    return run_sweep(at.isoformat(), table, notifier, settings, time_left_ms=lambda: 60_000)


def assigned_lead(table, notifier, **fields) -> tuple[str, str]:
    lead_id = submit(table, **fields)
    rescore(lead_id, table, notifier, T)
    owner = Assigner(table, notifier, BASE_URL).assign(lead_id, T)
    assert owner
    return lead_id, owner


def kinds(table, lead_id: str) -> list[str]:
    return [entry["kind"] for entry in timeline.read(table, lead_id)]


def test_the_owner_is_reminded_once_at_the_reminder_instant(table, notifier, settings, team):
    lead_id, owner = assigned_lead(table, notifier)

    sweep(table, notifier, settings, T + timedelta(minutes=14))
    assert notifier.sent_to(f"{owner}@team.example")[-1].kind == "owner_assigned"
    sweep(table, notifier, settings, T + timedelta(minutes=15))
    sweep(table, notifier, settings, T + timedelta(minutes=16))

    reminders = [email for email in notifier.sent_to(f"{owner}@team.example") if email.kind == "owner_reminder"]
    assert len(reminders) == 1 and stored(table, lead_id).reminders_sent == 1
    assert kinds(table, lead_id).count("owner_reminded") == 1


def test_the_sla_breach_is_recorded_published_and_counted_once(table, notifier, settings, team):
    lead_id, owner = assigned_lead(table, notifier)

    sweep(table, notifier, settings, T + timedelta(minutes=20))
    sweep(table, notifier, settings, T + timedelta(minutes=25))

    assert stored(table, lead_id).sla_breached is True
    assert [detail["owner"] for detail in notifier.published("lead.sla_breached")] == [owner]


def test_an_uncontacted_lead_is_reassigned_after_an_hour_and_both_reps_told(table, notifier, settings, team):
    lead_id, owner = assigned_lead(table, notifier)

    report = sweep(table, notifier, settings, T + timedelta(minutes=61))

    other = stored(table, lead_id).owner
    assert other != owner and report["steps"]["reassigned"] == 1
    assert notifier.sent_to(f"{owner}@team.example")[-1].kind == "owner_reassigned_away"
    assert {rep.id: rep.open_leads for rep in load_reps(table)} == {owner: 0, other: 1}


def test_with_nobody_else_the_reassignment_is_recorded_once_and_retried_hourly(table, notifier, settings):
    from leadwire.routing.reps import RepIn
    from leadwire.store.reps import save_rep

    save_rep(table, "solo", RepIn(name="Solo", email="solo@team.example"), "2026-10-01T00:00:00Z")
    lead_id, _ = assigned_lead(table, notifier)

    for minutes in (61, 66, 122, 183):
        sweep(table, notifier, settings, T + timedelta(minutes=minutes))

    lead = stored(table, lead_id)
    assert lead.owner == "solo" and lead.reassign_retry_at == "2026-10-05T13:03:00.000Z"
    assert kinds(table, lead_id).count("reassignment_failed") == 1


def test_nurture_goes_to_consenting_people_once_confirmed_with_an_unsubscribe_link(table, notifier, settings, team):
    from leadwire.followup import opt_in

    lead_id = submit(table, first_name="Dana", consent=True)
    rescore(lead_id, table, notifier, T)

    # When the sweeps run, the person is asked once to confirm, and gets nothing else
    sweep(table, notifier, settings, T + timedelta(minutes=1))
    sweep(table, notifier, settings, T + timedelta(minutes=2))
    [asked] = notifier.sent_to("dana@fox-builders.example")
    assert asked.kind == "opt_in_request" and asked.to_person
    link = f"{settings.public_base_url}/opt-in?t="
    assert link in asked.text and stored(table, lead_id).nurture_step == 0

    # When they confirm from the link, the sequence starts from then
    token = asked.text.split(link)[1].split()[0]
    assert opt_in.confirm(table, settings.unsubscribe_secret.get_secret_value(), token, T + timedelta(hours=3))
    sweep(table, notifier, settings, T + timedelta(hours=3, minutes=5))
    sweep(table, notifier, settings, T + timedelta(hours=3, minutes=10))

    welcome = notifier.sent_to("dana@fox-builders.example")[1:]
    assert [email.kind for email in welcome] == ["nurture_welcome"]
    assert f"{settings.public_base_url}/unsubscribe?t=" in welcome[0].text
    assert welcome[0].headers["List-Unsubscribe"].startswith(f"<{settings.public_base_url}/unsubscribe?t=")
    assert welcome[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stored(table, lead_id).nurture_step == 1
    assert kinds(table, lead_id).count("opt_in_asked") == 1 and kinds(table, lead_id).count("opt_in_confirmed") == 1


def test_a_lead_without_activity_goes_stale_once(table, notifier, settings, team):
    lead_id, _ = assigned_lead(table, notifier)
    from leadwire.owner.leads import LeadPatch, change

    change(table, notifier, lead_id, LeadPatch(status="contacted"), T + timedelta(minutes=5), BASE_URL)

    sweep(table, notifier, settings, T + timedelta(days=31))
    sweep(table, notifier, settings, T + timedelta(days=32))

    assert stored(table, lead_id).status == "stale"
    assert [detail["previous_status"] for detail in notifier.published("lead.stale")] == ["contacted"]


def test_a_blocked_lead_is_released_for_assignment_when_its_retry_is_due(table, notifier, settings):
    lead_id = submit(table)
    rescore(lead_id, table, notifier, T)
    Assigner(table, notifier, BASE_URL).assign(lead_id, T)
    assert stored(table, lead_id).assign_blocked

    sweep(table, notifier, settings, T + timedelta(minutes=6))

    lead = stored(table, lead_id)
    assert lead.assign_blocked is None

    # And blocked again for the same reason, the timeline and the bus hear of it only the first time
    Assigner(table, notifier, BASE_URL).assign(lead_id, T + timedelta(minutes=6))
    assert stored(table, lead_id).assign_blocked
    assert kinds(table, lead_id).count("unassigned") == 1 and len(notifier.published("lead.unassigned")) == 1


def test_a_pending_meta_lead_is_enriched_by_the_sweep(table, notifier, settings, monkeypatch, graph):
    from leadwire.intake import enrichment
    from leadwire.intake.dedupe import accept
    from leadwire.lead import LeadInput

    monkeypatch.setattr(enrichment, "graph_client", lambda settings: graph)
    graph.leads["77"] = {"id": "77", "field_data": [{"name": "email", "values": ["ola@meta.example"]}]}
    lead_id = accept(LeadInput(source="meta", source_ref="77", pending_enrichment=True), table, T).lead_id

    report = sweep(table, notifier, settings, T + timedelta(minutes=2))

    assert report["steps"]["enriched"] == 1 and stored(table, lead_id).email == "ola@meta.example"


def test_one_lead_that_fails_does_not_stop_the_sweep_and_stays_due(table, notifier, settings, team, monkeypatch):
    # Given three assigned leads, one of which breaks the sweep's step (a bug, a timeout)
    from leadwire.followup.sweep import Sweep

    ids = [assigned_lead(table, notifier, email=f"{name.lower()}@shop.example", first_name=name)[0]
           for name in ("Ada", "Ruth", "Zoe")]
    taking = Sweep._remind_owner

    def breaking(self, lead, step):
        if lead.id == ids[1]:
            raise TimeoutError("the step ran out of time")
        taking(self, lead, step)

    monkeypatch.setattr(Sweep, "_remind_owner", breaking)

    # When the sweep runs at the reminder instant
    report = sweep(table, notifier, settings, T + timedelta(minutes=15))

    # Then the others were reminded, the failure is reported by its kind, and the next sweep still has the lead
    assert (report["failed"], report["errors"]) == (1, {"TimeoutError": 1})
    assert [stored(table, lead_id).reminders_sent for lead_id in ids] == [1, 0, 1]
    assert ids[1] in {lead.id for lead in due_leads(table, T + timedelta(minutes=16))}


def test_an_email_ses_refuses_is_delivered_by_a_later_sweep_exactly_once(table, settings, team):
    # Given an email service that refuses the first reminder it is given (throttled)
    class Throttled(RecordingNotifier):
        refusals = 1

        def send(self, email):
            if email.kind == "owner_reminder" and self.refusals:
                self.refusals -= 1
                raise ConnectionError("Throttling")
            super().send(email)

    notifier = Throttled()
    lead_id, owner = assigned_lead(table, notifier)

    # When the reminder is due, and sweeps run after it
    first = sweep(table, notifier, settings, T + timedelta(minutes=15))
    for minutes in (16, 18, 25, 40):
        sweep(table, notifier, settings, T + timedelta(minutes=minutes))

    # Then the step was recorded once, and the owner got the reminder once, from the outbox
    reminders = [mail for mail in notifier.sent_to(f"{owner}@team.example") if mail.kind == "owner_reminder"]
    assert first["steps"]["owner_reminded"] == 1 and len(reminders) == 1
    assert stored(table, lead_id).reminders_sent == 1


def test_a_message_that_can_never_be_delivered_is_given_up_and_shown_on_the_timeline(table, settings, team):
    class Rejecting(RecordingNotifier):
        def send(self, email):
            if email.kind == "owner_reminder":
                raise ValueError("MessageRejected")
            super().send(email)

    notifier = Rejecting()
    lead_id, _ = assigned_lead(table, notifier)

    reports = [sweep(table, notifier, settings, T + timedelta(minutes=15 + 2 ** n)) for n in range(12)]

    assert sum(report["outbox"]["given_up"] for report in reports) == 1
    assert kinds(table, lead_id).count("delivery_failed") == 1


def test_an_email_whose_intent_could_not_be_deleted_at_first_is_sent_once(table, settings, team, monkeypatch):
    # Given a table that refuses the first delete of a delivered intent (throttled), once the email has left
    from leadwire.store import outbox
    from leadwire.store.table import StoreUnavailable

    refusals = [1]
    delivered = outbox.delivered

    def throttled_once(*args, **kwargs):
        if refusals[0]:
            refusals[0] -= 1
            raise StoreUnavailable("ProvisionedThroughputExceeded")
        return delivered(*args, **kwargs)

    notifier = RecordingNotifier()
    monkeypatch.setattr(outbox, "delivered", throttled_once)

    # When a lead is assigned (its owner emailed through the outbox) and sweeps run after it
    _, owner = assigned_lead(table, notifier)
    for minutes in (3, 6, 14):
        sweep(table, notifier, settings, T + timedelta(minutes=minutes))

    # Then the owner was told once: the delete was tried again rather than the email sent again
    assert refusals == [0]
    assert [mail.kind for mail in notifier.sent_to(f"{owner}@team.example")] == ["owner_assigned"]


def test_a_sweep_whose_outbox_cannot_be_read_still_takes_the_leads_due_steps(table, notifier, settings, team,
                                                                            monkeypatch):
    # Given an owner's lead with a reminder due, and the outbox index failing (throttled) for this sweep
    from leadwire.store import outbox
    from leadwire.store.table import StoreUnavailable

    lead_id, _ = assigned_lead(table, notifier)

    def throttled(*args, **kwargs):
        raise StoreUnavailable("ProvisionedThroughputExceeded")

    monkeypatch.setattr(outbox, "due", throttled)

    # When the sweep runs at the reminder instant
    report = sweep(table, notifier, settings, T + timedelta(minutes=15))

    # Then the lead was still reminded, and the sweep says what failed
    assert report["steps"]["owner_reminded"] == 1 and stored(table, lead_id).reminders_sent == 1
    assert report["outbox"] == {"error": "StoreUnavailable"}


def test_a_shard_whose_due_leads_cannot_be_read_does_not_stop_the_others(table, notifier, settings, team,
                                                                         monkeypatch):
    # Given leads with reminders due, and the due index failing (throttled) on the shard of the first of them
    from leadwire.store import schema
    from leadwire.store.leads import LeadRepository
    from leadwire.store.table import StoreUnavailable

    ids = [assigned_lead(table, notifier, email=f"person{number}@shop.example")[0] for number in range(8)]
    throttled = schema.due_shard(ids[0])
    due = LeadRepository.due

    def one_shard_throttled(self, shard, *args, **kwargs):
        if shard == throttled:
            raise StoreUnavailable("ProvisionedThroughputExceeded")
        return due(self, shard, *args, **kwargs)

    monkeypatch.setattr(LeadRepository, "due", one_shard_throttled)

    # When the sweep runs at the reminder instant
    report = sweep(table, notifier, settings, T + timedelta(minutes=15))

    # Then exactly the leads in the other shards were reminded, and the failure is reported
    reminded = [lead_id for lead_id in ids if stored(table, lead_id).reminders_sent == 1]
    assert reminded == [lead_id for lead_id in ids if schema.due_shard(lead_id) != throttled]
    assert report["errors"] == {"StoreUnavailable": 1}
    assert report["steps"]["owner_reminded"] == len(reminded)


def due_leads(table, at: datetime) -> list:
    from leadwire.store import schema
    from leadwire.store.leads import LeadRepository

    leads = LeadRepository(table)
    return [lead for shard in schema.due_shards() for lead in leads.due(shard, at, 100, None)[0]]


def test_a_lead_whose_score_never_came_back_is_sent_through_scoring_again(table, notifier, settings, team):
    # Given a lead the score function never saw (its stream record lost)
    lead_id = submit(table)
    before = stored(table, lead_id).inputs_version

    # When sweeps run five minutes later, and again soon after
    first = sweep(table, notifier, settings, T + timedelta(minutes=6))
    sweep(table, notifier, settings, T + timedelta(minutes=8))

    # Then it was sent through scoring once (its inputs moved, so the stream hands it to the score function), and
    # the score written back clears the recovery
    lead = stored(table, lead_id)
    assert first["steps"]["score_recovered"] == 1 and lead.inputs_version == before + 1
    assert lead.recovery_attempts == 1 and kinds(table, lead_id).count("recovery") == 1
    assert rescore(lead_id, table, notifier, T + timedelta(minutes=8))
    assert stored(table, lead_id).recovery_attempts == 0


def test_a_scored_lead_nobody_assigned_is_assigned_by_the_sweep(table, notifier, settings, team):
    # Given a lead scored but never seen by the assign function
    lead_id = submit(table)
    rescore(lead_id, table, notifier, T)

    # When the sweep runs five minutes later
    report = sweep(table, notifier, settings, T + timedelta(minutes=6))

    # Then it has an owner, who was told
    owner = stored(table, lead_id).owner
    assert report["steps"]["assignment_recovered"] == 1 and owner in team
    assert [mail.kind for mail in notifier.sent_to(f"{owner}@team.example")] == ["owner_assigned"]


def test_a_late_sweep_sends_a_waiting_lead_through_once_and_waits_before_the_next_attempt(table, notifier, settings,
                                                                                       team):
    # Given a lead the score function never saw, and no sweep for two hours (the schedule was off)
    lead_id = submit(table)

    # When the sweep finally runs
    report = sweep(table, notifier, settings, T + timedelta(hours=2))

    # Then it was sent through scoring once, not four times in a row and then parked before the stream could answer
    lead = stored(table, lead_id)
    assert report["steps"]["score_recovered"] == 1 and "stuck" not in report["steps"]
    assert lead.recovery_attempts == 1 and not lead.stuck
    # and the next attempt waits its backoff from this one
    assert "score_recovered" not in sweep(table, notifier, settings, T + timedelta(hours=2, minutes=9))["steps"]
    assert sweep(table, notifier, settings, T + timedelta(hours=2, minutes=11))["steps"]["score_recovered"] == 1


def test_a_lead_that_cannot_be_finished_is_parked_as_stuck_once(table, notifier, settings, team):
    lead_id = submit(table)

    for minutes in (6, 11, 21, 41, 81, 161, 300):
        sweep(table, notifier, settings, T + timedelta(minutes=minutes))

    lead = stored(table, lead_id)
    assert lead.stuck == "its score never came back" and lead.recovery_attempts == 4
    assert kinds(table, lead_id).count("stuck") == 1 and kinds(table, lead_id).count("recovery") == 1


def test_an_assignment_writes_one_intent_and_a_refused_event_is_sent_later_without_the_email_again(table, settings,
                                                                                                   team):
    # Given a bus that refuses the first lead.assigned event (the owner's email, in the same intent, goes out)
    class BusDown(RecordingNotifier):
        refusals = 1

        def publish(self, detail_type, detail):
            if detail_type == "lead.assigned" and self.refusals:
                self.refusals -= 1
                raise ConnectionError("ThrottlingException")
            super().publish(detail_type, detail)

    notifier = BusDown()
    lead_id, owner = assigned_lead(table, notifier)
    from leadwire.store import outbox

    # Then the change left one intent (email and event together), waiting with the email marked sent
    waiting = outbox.due(table, T + timedelta(days=1))
    assert [(intent["kind"], intent["sent"], intent["attempts"]) for intent in waiting] == [("email+event", 1, 0)]

    # When later sweeps run
    for minutes in (1, 5, 10):
        sweep(table, notifier, settings, T + timedelta(minutes=minutes))

    # Then the event was published once and the owner's email was never sent twice
    assert [detail["lead_id"] for detail in notifier.published("lead.assigned")] == [lead_id]
    assert [mail.kind for mail in notifier.sent_to(f"{owner}@team.example")].count("owner_assigned") == 1
    assert outbox.due(table, T + timedelta(days=1)) == []


def test_each_step_writes_the_lead_once_and_the_sweep_does_not_write_it_again_to_replan_it(table, notifier, settings,
                                                                                            team):
    # Given an assigned lead whose first reminder and response deadline are due
    lead_id, _ = assigned_lead(table, notifier)
    before = stored(table, lead_id)

    # When the sweep takes those steps, and a later sweep finds nothing due
    first = sweep(table, notifier, settings, T + timedelta(minutes=15))
    sweep(table, notifier, settings, T + timedelta(minutes=16))

    # Then each step was one write of the lead, which stored the next due time; the sweeps left it as it was
    after = stored(table, lead_id)
    assert first["steps"] == {"owner_reminded": 1, "sla_breached": 1, "emails": 1}
    assert after.revision == before.revision + 2
    assert after.due_at is not None and after.due_at > before.due_at


def _waiting_events(table, count: int) -> None:
    """`count` intents of one event each that their writer could not deliver: due for the sweep."""
    from leadwire.outbound.notify import Event
    from leadwire.store import outbox

    for number in range(count):
        outbox.write(table, outbox.intents(None, T, Event("lead.stale", {"lead_id": f"lead-{number}"})))


def test_a_backlog_of_more_intents_than_a_page_is_delivered_by_one_sweep(table, notifier):
    from leadwire.outbound.delivery import RETRY_PAGE, Delivery

    # Given more undelivered intents than the sweep reads at a time from each outbox partition (after an outage)
    backlog = 3 * RETRY_PAGE
    _waiting_events(table, backlog)

    # When one sweep retries what is due
    report = Delivery(table, notifier).retry_due(T + timedelta(hours=1), time_left_ms=lambda: 200_000)

    # Then every one went out, once, and nothing is left for the next sweep
    assert report == {"delivered": backlog, "deferred": 0, "given_up": 0}
    assert sorted(detail["lead_id"] for detail in notifier.published("lead.stale")) == \
        sorted(f"lead-{number}" for number in range(backlog))
    assert Delivery(table, notifier).retry_due(T + timedelta(hours=2)) == {"delivered": 0, "deferred": 0,
                                                                           "given_up": 0}


def test_a_sweep_short_of_time_leaves_the_rest_of_the_outbox_to_the_next(table, notifier):
    from leadwire.outbound.delivery import RETRY_RESERVE_MS, Delivery

    # Given undelivered intents, and a sweep with less time left than the rest of its work needs
    _waiting_events(table, 5)
    left = iter([RETRY_RESERVE_MS + 1] * 2 + [RETRY_RESERVE_MS - 1] * 10)

    # When it retries what is due, and the next sweep does with time to spare
    first = Delivery(table, notifier).retry_due(T + timedelta(hours=1), time_left_ms=lambda: next(left))
    second = Delivery(table, notifier).retry_due(T + timedelta(hours=1, minutes=5), time_left_ms=lambda: 200_000)

    # Then the first delivered two and said it did not finish; the second delivered the other three
    assert first == {"delivered": 2, "deferred": 0, "given_up": 0, "unfinished": 1}
    assert second == {"delivered": 3, "deferred": 0, "given_up": 0}
    assert len(notifier.published("lead.stale")) == 5
