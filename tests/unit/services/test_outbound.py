"""Outbound subscriptions on fakes: each event fanned out once per subscription, signed, retried, turned off."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from leadwire.clock import iso
from leadwire.errors import NotFound, ValidationFailed
from leadwire.followup.rep_links import RepLinks
from leadwire.followup.sweep import run_sweep
from leadwire.intake.dedupe import accept
from leadwire.lead import LeadInput
from leadwire.outbound import dispatch, slack
from leadwire.outbound.dispatch import Dispatcher, next_try
from leadwire.outbound.fanout import fan_out
from leadwire.outbound.notify import Event
from leadwire.outbound.receivers import Answer, Unreachable
from leadwire.owner import subscriptions
from leadwire.owner.subscriptions import SubscriptionIn
from leadwire.routing.assignment import Assigner
from leadwire.scoring.rescore import rescore
from leadwire.store import schema
from leadwire.store import subscriptions as stored_subscriptions
from leadwire.store.table import StoreUnavailable
from tests.fakes import RecordingNotifier
from tests.unit.services.conftest import BASE_URL, T, stored, submit


@dataclass
class Receiver:
    """Stands in for receivers.post: answers the statuses it is given in turn (200 once they run out)."""

    statuses: list[int | Exception] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, url: str, body: bytes, headers: dict[str, str], allow_local: bool = False) -> Answer:
        self.calls.append({"url": url, "body": body, "headers": headers})
        status = self.statuses.pop(0) if self.statuses else 200
        if isinstance(status, Exception):
            raise status
        return Answer(status)


def subscribe(table, subscription_id="crm", **fields) -> dict[str, Any]:
    change = SubscriptionIn.model_validate({"kind": "webhook", "url": "https://crm.example.com/hooks",
                                            "events": ["lead.assigned"], **fields})
    return subscriptions.put(table, subscription_id, change, T)[1]


def assigned_lead(table, notifier, team) -> str:
    lead_id = submit(table, first_name="Dana", last_name="Fox", company="Fox Builders", job_title="Founder")
    rescore(lead_id, table, notifier, T)
    assert Assigner(table, notifier, BASE_URL).assign(lead_id, T) is not None
    return lead_id


def deliveries(table, subscription_id="crm") -> list[dict[str, Any]]:
    return stored_subscriptions.recent_deliveries(table, subscription_id, 50)


def attempt_all(table, receiver, subscription_id="crm") -> list[str]:
    pacer = slack.Pacer(sleep=lambda seconds: None)
    dispatcher = Dispatcher(table, RepLinks(BASE_URL, table), post=receiver, pacer=pacer)
    return [dispatcher.attempt(item) for item in deliveries(table, subscription_id)]


def test_an_assigned_lead_is_one_signed_delivery_that_verifies_with_the_secret(table, notifier, team):
    # Given
    secret = subscribe(table)["secret"]
    lead_id = assigned_lead(table, notifier, team)
    receiver = Receiver()

    # When
    outcomes = attempt_all(table, receiver)

    # Then
    assert outcomes == ["delivered"]
    (call,) = receiver.calls
    sent = Webhook(secret).verify(call["body"], call["headers"])
    assert sent["type"] == "lead.assigned" and sent["data"]["lead_id"] == lead_id
    assert sent["data"]["previous_owner"] is None  # the event's facts as the bus has them, nulls too
    assert sent["data"]["lead"]["company"] == "Fox Builders" and sent["data"]["lead"]["owner"] in team
    assert call["headers"]["webhook-id"] == deliveries(table)[0]["delivery_id"]
    assert attempt_all(table, receiver) == ["nothing"] and len(receiver.calls) == 1


def test_the_lead_is_left_out_when_the_subscription_says_so(table, notifier, team):
    secret = subscribe(table, include_lead=False)["secret"]
    assigned_lead(table, notifier, team)
    receiver = Receiver()

    attempt_all(table, receiver)

    assert "lead" not in Webhook(secret).verify(receiver.calls[0]["body"], receiver.calls[0]["headers"])["data"]


def test_an_event_delivered_again_is_fanned_out_once(table, notifier, team):
    subscribe(table)
    lead_id = assigned_lead(table, notifier, team)
    (written,) = deliveries(table)
    intent = {"intent_id": written["event_id"], "created_at": written["event_at"], "lead_id": lead_id}
    event = Event(written["event_type"], json.loads(written["facts"]))

    assert fan_out(table, intent, event, T + timedelta(minutes=3), stored_subscriptions.load_all(table)) == 0
    assert len(deliveries(table)) == 1


def test_a_batch_reads_the_subscriptions_once_for_all_its_events(table, notifier, team, monkeypatch):
    subscribe(table)
    leads = [submit(table, email=f"p{number}@batch.example", first_name="Pat", company="Batch Co") for number in
             range(3)]
    for lead_id in leads:
        rescore(lead_id, table, notifier, T)
    reads = []
    load_all = stored_subscriptions.load_all
    monkeypatch.setattr(stored_subscriptions, "load_all", lambda store: reads.append(1) or load_all(store))

    assigner = Assigner(table, notifier, BASE_URL)  # what the assign function makes for one batch
    assert all(assigner.assign(lead_id, T) for lead_id in leads)

    assert len(reads) == 1 and len(deliveries(table)) == 3  # every lead.assigned fanned out, from one read


def test_events_go_only_to_active_subscriptions_that_want_them(table, notifier, team):
    subscribe(table, "assigned")
    subscribe(table, "qualified", events=["lead.qualified"])
    subscribe(table, "off", active=False)

    assigned_lead(table, notifier, team)

    assert [item["event_type"] for item in deliveries(table, "assigned")] == ["lead.assigned"]
    assert deliveries(table, "off") == []


def test_a_failing_receiver_gets_the_same_webhook_id_until_it_answers_and_then_nothing(table, notifier, team):
    # Given a receiver that answers 500 twice
    subscribe(table)
    assigned_lead(table, notifier, team)
    receiver = Receiver([500, 500])

    # When the first attempt and two sweeps' retries run
    outcomes = attempt_all(table, receiver)
    for minutes in (30, 90):
        stored_subscriptions.wake_due(table, T + timedelta(minutes=minutes))
        outcomes += attempt_all(table, receiver)
    stored_subscriptions.wake_due(table, T + timedelta(days=3))
    outcomes += attempt_all(table, receiver)

    # Then
    assert outcomes == ["retry", "retry", "delivered", "nothing"]
    assert len({call["headers"]["webhook-id"] for call in receiver.calls}) == 1 and len(receiver.calls) == 3
    shown = subscriptions.deliveries(table, "crm", 10)["items"][0]
    assert (shown["status"], shown["attempts"], shown["last_code"], shown["next_try_at"]) == ("delivered", 3, 200,
                                                                                              None)


def test_a_delivery_is_failed_after_its_last_try_a_day_after_the_event(table, notifier, team):
    subscribe(table)
    assigned_lead(table, notifier, team)
    receiver = Receiver([Unreachable("ConnectionRefusedError")] * 100)

    outcomes = attempt_all(table, receiver)
    for hours in (23, 24, 25):
        stored_subscriptions.wake_due(table, T + timedelta(hours=hours))
        outcomes += attempt_all(table, receiver)

    (failed,) = subscriptions.deliveries(table, "crm", 10)["items"]
    assert outcomes == ["retry", "retry", "failed", "nothing"]  # the try at 24 hours after the event is the last
    assert (failed["status"], failed["attempts"], failed["last_error"]) == ("failed", 3, "ConnectionRefusedError")


def test_410_turns_the_subscription_off(table, notifier, team):
    subscribe(table)
    assigned_lead(table, notifier, team)

    assert attempt_all(table, Receiver([410])) == ["gone"]

    shown = subscriptions.list_all(table, T)["items"][0]
    assert (shown["active"], shown["deactivated_reason"]) == (False, "the receiver answered 410 Gone")


def test_a_deleted_subscription_drops_its_pending_deliveries(table, notifier, team):
    subscribe(table)
    assigned_lead(table, notifier, team)
    stored = deliveries(table)
    subscriptions.delete(table, "crm")
    receiver = Receiver()

    dispatcher = Dispatcher(table, RepLinks(BASE_URL, table), post=receiver)
    assert [dispatcher.attempt(item) for item in stored] == ["cancelled"]
    assert receiver.calls == []
    with pytest.raises(NotFound):
        subscriptions.delete(table, "crm")


def test_during_a_rotation_deliveries_carry_a_signature_under_each_secret(table, notifier, team):
    # Given a rotation just now (receivers check the signature's timestamp against their own clock)
    now = datetime.now(UTC)
    old = subscriptions.put(table, "crm", SubscriptionIn(kind="webhook", url="https://crm.example.com/hooks",
                                                         events=["lead.assigned"]), now)[1]["secret"]
    rotated = subscriptions.put(table, "crm", SubscriptionIn(rotate_secret=True), now)[1]
    new = rotated["secret"]
    assigned_lead(table, notifier, team)
    receiver = Receiver()

    # When
    attempt_all(table, receiver)

    # Then
    call = receiver.calls[0]
    assert len(call["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(call["body"], call["headers"])["type"] == "lead.assigned"
    assert [secret["ends_with"] for secret in rotated["secrets"]] == [new[-4:], old[-4:]]
    assert rotated["secrets"][1]["expires_at"] == iso(now + timedelta(hours=24))
    assert subscriptions.signing_secrets(subscriptions.get(table, "crm"), now + timedelta(hours=25)) == [new]


def test_a_secret_is_shown_once_and_later_only_by_its_last_characters(table):
    created = subscribe(table)
    listed = subscriptions.list_all(table, T)["items"][0]
    changed = subscriptions.put(table, "crm", SubscriptionIn(events=["lead.assigned", "lead.stale"]), T)[1]

    assert created["secret"].startswith("whsec_")
    assert "secret" not in listed and "secret" not in changed
    assert listed["secrets"][0]["ends_with"] == created["secret"][-4:]
    assert created["secret"] not in json.dumps(listed) + json.dumps(changed)


def test_a_slack_url_is_never_shown_back_whole(table):
    url = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstuvwx"
    shown = subscriptions.put(table, "team", SubscriptionIn(kind="slack", url=url, events=["lead.assigned"]), T)[1]

    assert shown["url"] == "https://hooks.slack.com/…uvwx" and "secret" not in shown
    assert "B000" not in json.dumps(subscriptions.list_all(table, T))


@pytest.mark.parametrize("document, field_name", [
    ({"kind": "webhook", "events": ["lead.assigned"]}, "url"),
    ({"url": "https://crm.example.com/x", "events": ["lead.assigned"]}, "kind"),
    ({"kind": "webhook", "url": "http://crm.example.com/x", "events": ["lead.assigned"]}, "url"),
    ({"kind": "webhook", "url": "https://169.254.169.254/latest", "events": ["lead.assigned"]}, "url"),
    ({"kind": "slack", "url": "https://hooks.slack.com/x", "events": ["lead.stale"]}, "events"),
])
def test_an_invalid_subscription_is_refused_naming_the_field(table, document, field_name):
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.put(table, "crm", SubscriptionIn.model_validate(document), T)
    assert field_name in [detail["field"] for detail in refused.value.details]
    assert subscriptions.list_all(table, T)["items"] == []


def test_a_slack_subscription_gets_a_blocks_message_with_the_name_and_the_lead_page(table, notifier, team):
    url = "https://hooks.slack.com/services/T000/B000/secret"
    subscriptions.put(table, "team", SubscriptionIn(kind="slack", url=url, events=["lead.assigned"]), T)
    lead_id = assigned_lead(table, notifier, team)
    receiver = Receiver()

    assert attempt_all(table, receiver, "team") == ["delivered"]

    sent = json.loads(receiver.calls[0]["body"])
    assert receiver.calls[0]["url"] == url and "Dana Fox" in sent["text"]
    text = json.dumps(sent["blocks"])
    assert "Fox Builders" in text and "First contact by" in text and "*Score*" in text
    (button,) = [element for block in sent["blocks"] if block["type"] == "actions" for element in block["elements"]]
    link = RepLinks(BASE_URL, table).read(button["url"].removeprefix(f"{BASE_URL}/l/"), T)
    assert (link.lead_id, link.rep_id) == (lead_id, stored(table, lead_id).owner)


def test_slack_text_is_escaped_and_cut_to_slacks_limits():
    card = slack.LeadCard(name="<!channel> " + "x" * 400, company="A & B <https://evil.example|click>", score=42,
                          stage="mql", reasons=[("r" * 500, 20.0)], owner="Anna", deadline="14:15 UTC",
                          page_url="https://leads.example/l/t")

    sent = slack.message("lead.assigned", card)

    header = sent["blocks"][0]["text"]["text"]
    assert len(header) == slack.HEADER_MAX and len(sent["text"]) <= slack.FALLBACK_MAX
    fields = json.dumps(sent["blocks"][1])
    assert "&lt;https://evil.example|click&gt;" in fields and "A &amp; B" in fields
    assert all(len(block["text"]["text"]) <= slack.SECTION_MAX for block in sent["blocks"][2:3])


def test_the_pacer_keeps_one_message_a_second_per_webhook():
    now = [100.0]
    slept: list[float] = []
    pacer = slack.Pacer(clock=lambda: now[0], sleep=lambda seconds: (slept.append(seconds), now.__setitem__(
        0, now[0] + seconds)))

    pacer.wait_turn("team")
    now[0] += 0.25
    pacer.wait_turn("team")
    pacer.wait_turn("other")

    assert slept == [0.75]


def test_backoff_doubles_with_jitter_and_ends_a_day_after_the_event():
    at = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    assert next_try(1, at, at, jitter=lambda: 0.0) == at + timedelta(seconds=30)
    assert next_try(1, at, at, jitter=lambda: 1.0) == at + timedelta(minutes=1)
    assert next_try(4, at, at, jitter=lambda: 1.0) == at + timedelta(minutes=8)
    assert next_try(30, at, at, jitter=lambda: 1.0) == at + dispatch.MAX_BACKOFF
    assert next_try(9, at + timedelta(hours=23), at, jitter=lambda: 1.0) == at + timedelta(hours=24)
    assert next_try(9, at + timedelta(hours=24), at) is None


def test_every_delivery_key_lives_in_the_subscriptions_partition(table, notifier, team):
    subscribe(table)
    assigned_lead(table, notifier, team)
    (item,) = deliveries(table)
    assert item["pk"] == schema.deliveries_partition("crm") and item["send"] == 0


def test_a_signature_from_another_secret_does_not_verify(table, notifier, team):
    subscribe(table)
    assigned_lead(table, notifier, team)
    receiver = Receiver()
    attempt_all(table, receiver)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(receiver.calls[0]["body"], receiver.calls[0]["headers"])


# --- faults on the way out lose no delivery ---------------------------------------------------------------------
def sweep_at(table, notifier, settings, at: datetime) -> dict[str, Any]:
    return run_sweep(iso(at), table, notifier, settings, lambda: 60_000)


class FlakyTable:
    """The in-memory table, failing the first `failures` writes of one kind of item as DynamoDB fails them."""

    def __init__(self, table, prefix: str, operation: str, failures: int) -> None:
        self._table, self.prefix, self.operation, self.failures = table, prefix, operation, failures

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._table, name)
        if name != self.operation:
            return real

        def flaky(key_or_item, *args, **kwargs):
            if self.failures and str(key_or_item.get("sk", "")).startswith(self.prefix):
                self.failures -= 1
                raise StoreUnavailable("ProvisionedThroughputExceeded")
            return real(key_or_item, *args, **kwargs)
        return flaky


def test_an_event_the_bus_refuses_is_fanned_out_once_when_the_sweep_delivers_it(table, settings, team):
    # Given EventBridge refusing lead.assigned twice
    class Refusing(RecordingNotifier):
        refusals = 2

        def publish(self, detail_type, detail):
            if detail_type == "lead.assigned" and self.refusals:
                self.refusals -= 1
                raise ConnectionError("ThrottlingException")
            super().publish(detail_type, detail)

    notifier = Refusing()
    subscribe(table)
    assigned_lead(table, notifier, team)
    receiver = Receiver()
    assert attempt_all(table, receiver) == ["delivered"]  # the subscription heard of it before the bus did

    # When the sweeps retry the event, and any attempt they asked for runs
    for minutes in (3, 8, 20):
        sweep_at(table, notifier, settings, T + timedelta(minutes=minutes))
        attempt_all(table, receiver)

    # Then the bus got it once, and the subscription has one delivery, sent once
    assert len(notifier.published("lead.assigned")) == 1
    assert len(deliveries(table)) == 1 and len(receiver.calls) == 1


def test_a_delivery_the_table_refuses_to_write_is_written_by_the_sweep(table, notifier, settings, team):
    # Given the table refusing the first write of a delivery
    subscribe(table)
    flaky = FlakyTable(table, schema.DELIVERY_PREFIX, "put", failures=1)
    lead_id = submit(table, first_name="Dana")
    rescore(lead_id, table, notifier, T)
    Assigner(flaky, notifier, BASE_URL).assign(lead_id, T)
    assert deliveries(table) == [] and notifier.published("lead.assigned") == []

    # When the sweep delivers the event it kept
    sweep_at(table, notifier, settings, T + timedelta(minutes=3))
    receiver = Receiver()

    # Then the delivery exists once and is sent
    assert attempt_all(table, receiver) == ["delivered"] and len(notifier.published("lead.assigned")) == 1


def test_an_attempt_whose_outcome_could_not_be_recorded_is_made_again_with_the_same_webhook_id(table, notifier,
                                                                                               team):
    # Given the table refusing to record the first attempt (the receiver already has it)
    subscribe(table)
    assigned_lead(table, notifier, team)
    receiver = Receiver()
    flaky = FlakyTable(table, schema.DELIVERY_PREFIX, "update", failures=1)
    (item,) = deliveries(table)

    # When the stream hands the record over again, as it does after the function failed it
    with pytest.raises(StoreUnavailable):
        Dispatcher(flaky, RepLinks(BASE_URL, flaky), post=receiver).attempt(item)
    again = Dispatcher(flaky, RepLinks(BASE_URL, flaky), post=receiver).attempt(item)

    # Then: at least once, under one webhook-id, recorded once
    assert again == "delivered" and len(receiver.calls) == 2
    assert receiver.calls[0]["headers"]["webhook-id"] == receiver.calls[1]["headers"]["webhook-id"]
    assert deliveries(table)[0]["attempts"] == 1


def test_a_delivery_whose_first_attempt_never_ran_is_asked_for_again_by_the_sweep(table, notifier, settings, team):
    # Given a delivery whose stream record was lost (the outbound function never saw it)
    subscribe(table)
    assigned_lead(table, notifier, team)

    # When sweeps run before and after its lease
    early = sweep_at(table, notifier, settings, T + timedelta(minutes=5))
    late = sweep_at(table, notifier, settings, T + timedelta(minutes=11))

    # Then the later one asks for the attempt, which is made
    assert (early["webhooks_due"], late["webhooks_due"]) == (0, 1)
    assert attempt_all(table, Receiver()) == ["delivered"]


@pytest.mark.parametrize(("event_type", "headline"), [
    ("lead.assigned", "New lead for Anna Berg: Dana Fox"),
    ("lead.sla_breached", "First contact overdue: Dana Fox"),
    ("lead.returned", "Dana Fox came back"),
])
def test_each_slack_event_has_its_own_headline(event_type: str, headline: str):
    card = slack.LeadCard(name="Dana Fox", company="Fox Builders", score=55, stage="mql", reasons=[("senior", 20.0)],
                          owner="Anna Berg", deadline="10:15 CET", page_url="https://leads.example/l/t")

    sent = slack.message(event_type, card)

    assert sent["text"] == headline and sent["blocks"][0]["text"]["text"] == headline


def test_a_breached_deadline_reaches_slack_with_the_lead_page(table, notifier, settings, team):
    # Given a Slack subscription to breaches, and a lead nobody contacted
    url = "https://hooks.slack.com/services/T000/B000/secret"
    subscriptions.put(table, "team", SubscriptionIn(kind="slack", url=url, events=["lead.sla_breached"]), T)
    assigned_lead(table, notifier, team)

    # When the first-contact deadline passes
    sweep_at(table, notifier, settings, T + timedelta(minutes=16))
    receiver = Receiver()

    # Then
    assert attempt_all(table, receiver, "team") == ["delivered"]
    sent = json.loads(receiver.calls[0]["body"])
    assert sent["text"] == "First contact overdue: Dana Fox" and f"{BASE_URL}/l/" in json.dumps(sent["blocks"])


def test_a_returning_lead_reaches_slack(table, notifier, team):
    url = "https://hooks.slack.com/services/T000/B000/secret"
    subscriptions.put(table, "team", SubscriptionIn(kind="slack", url=url, events=["lead.returned"]), T)
    assigned_lead(table, notifier, team)

    again = LeadInput(source="website", email="dana@fox-builders.example", first_name="Dana", last_name="Fox",
                      message="Back with a bigger job")
    accept(again, table, T + timedelta(days=2), notifier)
    receiver = Receiver()

    assert attempt_all(table, receiver, "team") == ["delivered"]
    assert json.loads(receiver.calls[0]["body"])["text"] == "Dana Fox came back"
