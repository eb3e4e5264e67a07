"""Reconciliation, source health and lead stages back to Meta, on fakes: the in-memory table and a Graph API in a
dict. Each Meta lead exactly once whichever comes first (webhook or poll) and under concurrent polls; rate limits
backed off; each mapped change one Conversions API event."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from leadwire.config import Config, default_config
from leadwire.intake import health, reconcile
from leadwire.intake.dedupe import accept
from leadwire.intake.normalize import keep_what_is_valid
from leadwire.intake.sources import meta
from leadwire.outbound import conversions
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.graph import GraphClient, GraphError
from leadwire.owner.leads import move_status
from leadwire.store import outbox, sources, timeline
from leadwire.store.leads import LeadRepository
from tests.fakes import FakeMetaApi, RecordingNotifier
from tests.unit.services.conftest import T, stored

PAGE, FORM = "108234567890123", "1234567890123456"
EVERY = timedelta(minutes=default_config().meta.poll_every_minutes)


def node(leadgen_id: str, at: datetime, form_id: str = FORM) -> dict[str, Any]:
    """A lead node as `GET /{form_id}/leads` lists it."""
    return {"id": leadgen_id, "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"), "form_id": form_id,
            "field_data": [{"name": "email", "values": [f"p{leadgen_id}@example.de"]},
                           {"name": "full_name", "values": [f"Person {leadgen_id}"]}]}


def by_webhook(table, lead: dict[str, Any], at: datetime = T) -> Any:
    """The webhook's path: the notification's ref, the Graph lead mapped, stored."""
    ref = meta.MetaLeadRef(leadgen_id=lead["id"], page_id=PAGE, form_id=lead["form_id"])
    return accept(keep_what_is_valid(meta.map_graph_lead(lead, ref), "DE"), table, at)


def poll(table, api: FakeMetaApi, at: datetime, config: Config | None = None) -> reconcile.PollReport:
    return reconcile.Poll(table, api, config or default_config(), at, "DE").run()


def meta_leads(table) -> dict[str, Any]:
    leads = LeadRepository(table).page(100, None).leads
    return {lead.source_ref: lead for lead in leads if lead.source == "meta"}


def counts(table, form_id: str = FORM, day: str = "2026-10-05") -> dict[str, int]:
    return sources.day_counts(table, form_id, day, day).get(day, {"webhook": 0, "poll": 0})


def test_the_poll_stores_what_the_webhook_missed_once_marked_as_recovered(table):
    # Given three leads filled in; the webhook brought the first
    api = FakeMetaApi(forms={FORM: [node(str(4400 + n), T - timedelta(minutes=n)) for n in range(3)]})
    by_webhook(table, api.forms[FORM][0])

    # When the form's poll falls due (an interval after its first lead)
    report = poll(table, api, T + EVERY)

    # Then the other two are stored, marked on the lead and its first timeline entry, and counted by form and day
    assert (report.forms_polled, report.leads_seen, report.recovered) == (1, 3, 2)
    leads = meta_leads(table)
    assert {ref: lead.recovered for ref, lead in leads.items()} == {"4400": None, "4401": "poll", "4402": "poll"}
    [entry] = [item for item in timeline.read(table, leads["4401"].id) if item["kind"] == "submission"]
    assert entry["detail"]["recovered"] == "poll"
    assert leads["4401"].fields["meta_ref"] == {"page_id": PAGE, "form_id": FORM}
    assert counts(table) == {"webhook": 1, "poll": 2}


def test_a_second_poll_and_a_late_webhook_create_nothing(table):
    api = FakeMetaApi(forms={FORM: [node("4400", T + EVERY - timedelta(minutes=30))]})
    by_webhook(table, node("4499", T - timedelta(minutes=9)))  # the form is known from an earlier lead
    poll(table, api, T + EVERY)

    again = poll(table, api, T + 2 * EVERY)  # the hour of overlap reads the lead again
    late = by_webhook(table, api.forms[FORM][0], T + 2 * EVERY)

    assert (again.leads_seen, again.recovered, late.outcome) == (1, 0, "duplicate")
    assert sorted(meta_leads(table)) == ["4400", "4499"]
    assert counts(table) == {"webhook": 1, "poll": 1}


def test_a_form_is_not_polled_before_it_is_due_and_the_watermark_overlaps_by_an_hour(table):
    api = FakeMetaApi()
    by_webhook(table, node("4400", T))

    assert poll(table, api, T + EVERY - timedelta(seconds=1)).forms_polled == 0
    poll(table, api, T + EVERY)
    poll(table, api, T + 2 * EVERY)

    [form] = sources.forms(table)
    assert form.watermark == (T + 2 * EVERY).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert form.next_at == (T + 3 * EVERY).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert [call for call in api.calls if call[0] == "form_leads"] == [("form_leads", FORM)] * 2


def test_concurrent_polls_and_webhooks_store_each_lead_once(table):
    # Given 20 leads of a known form, none stored yet
    api = FakeMetaApi(page_size=3, forms={FORM: [node(str(5000 + n), T - timedelta(minutes=n)) for n in range(20)]})
    by_webhook(table, node("4499", T - timedelta(hours=1)))

    # When four sweeps poll at the same instant while the webhook delivers every lead
    with ThreadPoolExecutor(max_workers=8) as pool:
        polls = [pool.submit(poll, table, api, T + EVERY) for _ in range(4)]
        hooks = [pool.submit(by_webhook, table, lead, T + EVERY) for lead in api.forms[FORM]]
        reports = [future.result() for future in polls]
        outcomes = [future.result().outcome for future in hooks]

    # Then one sweep polled, and every lead exists once, counted once
    assert sum(report.forms_polled for report in reports) == 1
    leads = meta_leads(table)
    assert len(leads) == 21
    created_by_webhook = outcomes.count("created")
    assert counts(table) == {"webhook": 1 + created_by_webhook, "poll": 20 - created_by_webhook}


def test_a_listed_pages_forms_are_polled_at_once_and_its_subscription_checked(table):
    api = FakeMetaApi(page_forms_of={PAGE: [{"id": FORM, "name": "Heat pumps", "status": "ACTIVE"}]},
                      forms={FORM: [node("4400", T - timedelta(hours=2))]},
                      subscribed={PAGE: [{"id": "77", "subscribed_fields": ["feed"]}]})
    config = default_config().model_copy(update={"meta": default_config().meta.model_copy(update={"pages": [PAGE]})})

    report = poll(table, api, T, config)

    assert (report.pages_checked, report.recovered, report.unsubscribed) == (1, 1, [PAGE])
    [page] = sources.pages(table)
    assert page.subscribed is False  # an app without `leadgen` does not bring leads
    shown = health.report(table, _settings(), config, T)
    assert shown["pages"][0]["forms"][0]["name"] == "Heat pumps"
    assert any("not subscribed" in problem for problem in shown["problems"])


def test_a_rate_limit_backs_off_doubling_and_is_shown_in_words(table):
    api = FakeMetaApi(refuse={"form_leads": [GraphError("limit", 80005), GraphError("limit", 80005)]})
    by_webhook(table, node("4400", T))

    poll(table, api, T + EVERY)
    [form] = sources.forms(table)
    first_retry = datetime.fromisoformat(form.next_at.replace("Z", "+00:00"))
    poll(table, api, first_retry)
    [form] = sources.forms(table)
    second_retry = datetime.fromisoformat(form.next_at.replace("Z", "+00:00"))

    assert first_retry - (T + EVERY) == reconcile.RATE_LIMIT_BACKOFF
    assert second_retry - first_retry == 2 * reconcile.RATE_LIMIT_BACKOFF
    assert "rate-limited" in (form.last_error or "") and "80005" in (form.last_error or "")
    poll(table, api, second_retry)
    [form] = sources.forms(table)
    assert form.rate_limited == 0 and form.last_poll_at is not None


@pytest.mark.parametrize(("code", "what", "words"), [
    (200, "leads", "lacks leads_retrieval"), (10, "subscription", "pages_manage_metadata"),
    (200, "forms", "pages_manage_ads"), (190, "leads", "expired"), (80001, "forms", "rate-limited"),
    (100, "leads", "Meta does not know this form"), (None, "leads", "the Graph API failed"),
])
def test_errors_are_explained_in_words_an_owner_can_act_on(code, what, words):
    assert words in reconcile.explain(GraphError("boom", code), what)


def test_a_missing_permission_is_what_the_owner_reads_in_the_health(table):
    api = FakeMetaApi(refuse={"form_leads": [GraphError("(#200) Requires leads_retrieval permission", 200, 400)]})
    by_webhook(table, node("4400", T))

    poll(table, api, T + EVERY)

    problems = health.report(table, _settings(), default_config(), T + EVERY)["problems"]
    assert problems == [f"Form {FORM}: the Page token lacks leads_retrieval (or Leads Access Manager does not let "
                        "this app read leads)"]
    [form] = sources.forms(table)
    assert form.next_at and form.next_at > form.last_error_at  # tried again at the next interval, not in a loop


def test_a_next_page_on_another_host_is_refused_so_the_token_never_leaves():
    client = GraphClient("https://graph.facebook.com/v22.0", "token", 1.0)

    assert client._next({"paging": {"next": "https://graph.facebook.com/v22.0/1/leads?after=x"}})
    assert client._next({"paging": {"cursors": {"after": "x"}}}) is None  # the last page has no `next`
    with pytest.raises(GraphError):
        client._next({"paging": {"next": "https://evil.example/v22.0/1/leads?after=x"}})


def test_health_counts_the_last_7_and_30_days_apart(table):
    for days_ago, leadgen_id in ((40, "4403"), (10, "4402"), (1, "4401")):
        lead = node(leadgen_id, T - timedelta(days=days_ago))
        by_webhook(table, lead, T - timedelta(days=days_ago))

    [page] = health.report(table, _settings(), default_config(), T)["pages"]

    assert page["leads"] == {"last_7_days": {"webhook": 1, "poll": 0}, "last_30_days": {"webhook": 2, "poll": 0}}
    assert page["forms"][0]["last_webhook_at"].startswith("2026-10-04")


def test_the_config_refuses_a_page_that_is_no_id_and_a_change_that_does_not_exist():
    with pytest.raises(ValidationError, match="not a Meta Page id"):
        Config.model_validate({"meta": {"pages": ["my page"]}})
    with pytest.raises(ValidationError, match="not a lead change"):
        Config.model_validate({"meta": {"conversions": {"assigned": "Assigned"}}})
    assert default_config().meta.conversions["won"] == "Purchase"


# --- lead stages back to Meta ----------------------------------------------------------------------------------
def meta_lead(table) -> str:
    return by_webhook(table, node("123456789012345", T - timedelta(minutes=1))).lead_id


def capi_intents(table) -> list[dict[str, Any]]:
    return [intent for intent in outbox.due(table, T + timedelta(days=8)) if intent["kind"] == conversions.KIND]


def test_a_mapped_status_change_of_a_meta_lead_writes_one_conversion_intent_with_meta_s_payload(table):
    lead_id = meta_lead(table)

    move_status(LeadRepository(table), stored(table, lead_id), "won", T)

    [intent] = capi_intents(table)
    assert outbox.unpacked(intent) == {"change": "won", "event": {
        "event_name": "Purchase", "event_time": int(T.timestamp()), "action_source": "system_generated",
        "user_data": {"lead_id": 123456789012345},
        "custom_data": {"event_source": "crm", "lead_event_source": "leadwire"}}}


def test_website_leads_and_unmapped_changes_send_nothing(table):
    from tests.unit.services.conftest import submit

    website = submit(table)
    move_status(LeadRepository(table), stored(table, website), "won", T)
    move_status(LeadRepository(table), stored(table, meta_lead(table)), "unqualified", T)

    assert capi_intents(table) == []


def test_the_sweep_sends_each_intent_once_retries_a_failure_and_records_the_send(table):
    lead_id = meta_lead(table)
    move_status(LeadRepository(table), stored(table, lead_id), "contacted", T)
    api = FakeMetaApi(refuse={"send_events": [GraphError("An unexpected error", 2, 500)]})
    delivery = Delivery(table, RecordingNotifier(), {conversions.KIND: conversions.ConversionsSender(table, "42", api)})

    first = delivery.retry_due(T + timedelta(minutes=3))
    second = delivery.retry_due(T + timedelta(minutes=6))
    third = delivery.retry_due(T + timedelta(hours=1))

    assert (first["deferred"], second["delivered"], third["delivered"]) == (1, 1, 0)
    assert [(dataset, [event["event_name"] for event in events]) for dataset, events in api.posts] == [
        ("42", ["contacted"])]
    sent = [entry for entry in timeline.read(table, lead_id) if entry["kind"] == "conversion_sent"]
    assert [(entry["detail"]["change"], entry["detail"]["event_name"]) for entry in sent] == [
        ("contacted", "contacted")]


def test_without_a_dataset_or_after_seven_days_nothing_is_sent_and_the_timeline_says_why(table):
    lead_id = meta_lead(table)
    move_status(LeadRepository(table), stored(table, lead_id), "contacted", T)
    api = FakeMetaApi()

    Delivery(table, RecordingNotifier(), {conversions.KIND: conversions.ConversionsSender(table, "", api)}
             ).retry_due(T + timedelta(minutes=3))
    move_status(LeadRepository(table), stored(table, lead_id), "won", T)
    Delivery(table, RecordingNotifier(), {conversions.KIND: conversions.ConversionsSender(table, "42", api)}
             ).retry_due(T + timedelta(days=7, minutes=1))

    assert api.posts == []
    reasons = [entry["detail"]["reason"] for entry in timeline.read(table, lead_id)
               if entry["kind"] == "conversion_not_sent"]
    assert reasons == ["META_DATASET_ID or META_CAPI_TOKEN is not set", "older than Meta's seven days"]


def test_a_delivery_without_the_capi_sender_leaves_the_intent_for_the_sweep(table):
    lead_id = meta_lead(table)
    move_status(LeadRepository(table), stored(table, lead_id), "won", T)
    [intent] = capi_intents(table)

    Delivery(table, RecordingNotifier()).now([intent])

    assert [found["intent_id"] for found in capi_intents(table)] == [intent["intent_id"]]


def _settings():
    from leadwire.runtime.settings import Settings

    return Settings(meta_page_token="page-token")
