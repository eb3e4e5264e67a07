"""Abuse limits on fakes: a few form submissions a minute per client, under a keyed hash of its address; at most a
few emails a day to one person's address, each counted once however often it is delivered."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from leadwire.errors import TooManyRequests
from leadwire.intake import doors, limits
from leadwire.runtime.settings import Settings
from leadwire.store import schema
from tests.unit.services.conftest import BASE_URL, T

FORM = {"content-type": "application/json"}


def limited_settings(per_minute: int = 3) -> Settings:
    return Settings(public_base_url=BASE_URL, unsubscribe_secret="unit-unsubscribe-secret",
                    form_limit_per_minute=per_minute)


def everything(table) -> list[dict]:
    """Every item of the in-memory table (a test's look behind the product, which never scans)."""
    return [table.get({"pk": pk, "sk": sk}) for pk, sk in list(table._items)]


def post(table, settings, source_ip: str, n: int, when=T) -> doors.WebsiteResult:
    body = json.dumps({"email": f"p{n}-{source_ip.replace(':', '_')}@shop.example"}).encode()
    return doors.website_form(body, FORM, {}, when, table, settings, source_ip=source_ip)


def test_one_client_gets_a_few_submissions_a_minute_and_then_429_with_retry_after(table):
    settings = limited_settings(3)
    for n in range(3):
        assert post(table, settings, "198.51.100.7", n, T + timedelta(seconds=n)).accepted is not None

    with pytest.raises(TooManyRequests) as refused:
        post(table, settings, "198.51.100.7", 9, T + timedelta(seconds=20))

    assert refused.value.status == 429 and refused.value.headers() == {"Retry-After": "41"}
    assert refused.value.body()["error"] == "too_many_requests"
    # another client is not held up, and the same client is welcome again the next minute
    assert post(table, settings, "198.51.100.8", 1, T + timedelta(seconds=21)).accepted is not None
    assert post(table, settings, "198.51.100.7", 10, T + timedelta(seconds=61)).accepted is not None


def test_the_refused_submission_stores_nothing(table):
    settings = limited_settings(1)
    post(table, settings, "198.51.100.7", 1)
    before = {(item["pk"], item["sk"]) for item in everything(table)}

    with pytest.raises(TooManyRequests):
        post(table, settings, "198.51.100.7", 2)

    assert {(item["pk"], item["sk"]) for item in everything(table)} == before  # only the counter moved


def test_an_ipv6_client_is_one_client_across_its_64(table):
    settings = limited_settings(2)
    post(table, settings, "2001:db8:1:2::10", 1)
    post(table, settings, "2001:db8:1:2::11", 2)

    with pytest.raises(TooManyRequests):
        post(table, settings, "2001:db8:1:2:ffff::1", 3)


def test_the_address_is_never_stored_and_the_counter_expires(table):
    settings = limited_settings(3)
    post(table, settings, "198.51.100.7", 1)

    [counter] = [item for item in everything(table) if item["pk"].startswith("RATE#form#")]
    assert "198.51.100.7" not in json.dumps(counter)
    assert counter["pk"] == schema.rate_counter("form", limits.client_of("198.51.100.7", settings.client_hash_key()),
                                                "2026-10-05T09:00")["pk"]
    # DynamoDB's TTL deletes it a few minutes after its minute is over
    assert counter[schema.TTL_ATTRIBUTE] == int((T + timedelta(minutes=11)).timestamp())


def test_a_limit_of_zero_is_no_limit(table):
    settings = limited_settings(0)
    for n in range(8):
        assert post(table, settings, "198.51.100.7", n).accepted is not None


# --- double opt-in and the daily cap per address -------------------------------------------------------------------
def consenting_lead(table, notifier, email: str = "vic@victim.example") -> str:
    from leadwire.scoring.rescore import rescore
    from tests.unit.services.conftest import submit

    lead_id = submit(table, email=email, first_name="Vic", consent=True)
    rescore(lead_id, table, notifier, T)
    return lead_id


def sweep(table, notifier, settings, at) -> dict:
    from leadwire.followup.sweep import run_sweep

    return run_sweep(at.isoformat(), table, notifier, settings, time_left_ms=lambda: 60_000)


def test_someone_elses_address_gets_one_confirmation_and_no_nurture_unless_they_confirm(table, notifier, settings,
                                                                                       team):
    # Given an attacker who ticks consent with someone else's address, five times over two days
    from tests.unit.services.conftest import stored, submit

    lead_id = consenting_lead(table, notifier)
    for hours in (1, 2, 5, 30):
        submit(table, T + timedelta(hours=hours), email="vic@victim.example", consent=True, message="buy now")

    # When the sweeps run for three days
    for hours in range(0, 72, 6):
        sweep(table, notifier, settings, T + timedelta(hours=hours, minutes=5))

    # Then the address got one email, the request to confirm, and no nurture
    assert [email.kind for email in notifier.sent_to("vic@victim.example")] == ["opt_in_request"]
    assert stored(table, lead_id).nurture_step == 0


def test_the_get_of_the_confirmation_link_changes_nothing_and_a_forged_token_is_refused(table, notifier, settings):
    from leadwire.errors import Forbidden
    from leadwire.followup import opt_in
    from tests.unit.services.conftest import stored

    lead_id = consenting_lead(table, notifier)
    secret = settings.unsubscribe_secret.get_secret_value()

    page = opt_in.confirmation_page(opt_in.token(secret, lead_id), "Fox Builders")
    assert '<form method="post" action="opt-in">' in page and stored(table, lead_id).opt_in_confirmed_at is None
    with pytest.raises(Forbidden):
        opt_in.confirm(table, secret, f"{lead_id}.forged", T)
    with pytest.raises(Forbidden):  # an unsubscribe token is not a confirmation
        from leadwire.followup import unsubscribe

        opt_in.confirm(table, secret, unsubscribe.token(secret, lead_id), T)
    assert opt_in.confirm(table, secret, opt_in.token(secret, lead_id), T)
    assert not opt_in.confirm(table, secret, opt_in.token(secret, lead_id), T + timedelta(minutes=1))  # once


def test_without_double_opt_in_nurture_starts_at_once(table, notifier, settings, team):
    from leadwire.config import default_config
    from leadwire.store.config import save_config

    off = default_config().model_copy(update={"followup": default_config().followup.model_copy(
        update={"double_opt_in": False})})
    save_config(table, off, "2026-10-01T00:00:00Z")
    consenting_lead(table, notifier)

    sweep(table, notifier, settings, T + timedelta(minutes=5))

    assert [email.kind for email in notifier.sent_to("vic@victim.example")] == ["nurture_welcome"]


def test_no_person_gets_more_than_the_daily_cap_and_a_repeated_delivery_counts_once(table, notifier):
    from leadwire.outbound.delivery import PERSON_EMAILS_PER_DAY, Delivery
    from leadwire.outbound.notify import Email
    from leadwire.store import outbox, timeline

    # Given five emails to one person's address written the same day, and one to a rep
    lead_id = consenting_lead(table, notifier)
    mails = [Email(to="Vic@Victim.example", subject=f"n{n}", text="…", kind="nurture_welcome", to_person=True)
             for n in range(5)]
    intents = [intent for mail in [*mails, Email(to="anna@team.example", subject="rep", text="…")]
               for intent in outbox.intents(lead_id, T, mail)]
    outbox.write(table, intents)
    delivery = Delivery(table, notifier)

    # When the first is delivered twice (a crash before its intent was deleted), then all of them
    delivery.now(intents[:1])
    outbox.write(table, intents[:1])
    delivery.now(intents)

    # Then the address got the cap, the same email counted once, the rest are on the timeline; the rep got theirs
    sent = [email.subject for email in notifier.sent_to("Vic@Victim.example")]
    assert sent == ["n0", "n0", "n1", "n2"] and PERSON_EMAILS_PER_DAY == 3
    assert [entry["kind"] for entry in timeline.read(table, lead_id)].count("email_capped") == 2
    assert [email.subject for email in notifier.sent_to("anna@team.example")] == ["rep"]
    assert outbox.due(table, T + timedelta(days=1)) == []  # nothing left to retry
    # the next day the count starts again
    tomorrow = outbox.intents(lead_id, T + timedelta(days=1), mails[0])
    delivery.later_now(tomorrow)
    assert len(notifier.sent_to("Vic@Victim.example")) == 5
