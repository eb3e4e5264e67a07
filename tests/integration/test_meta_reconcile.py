"""Reconciliation against DynamoDB on moto: polls and webhooks racing for the same Meta leads store each once and
count each once (the platform id and the poll's claim are conditional writes DynamoDB holds)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from leadwire.config import default_config
from leadwire.intake import reconcile
from leadwire.intake.dedupe import accept
from leadwire.intake.normalize import keep_what_is_valid
from leadwire.intake.sources import meta
from leadwire.store import sources
from leadwire.store.leads import LeadRepository
from tests.fakes import FakeMetaApi

T = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
PAGE, FORM = "108234567890123", "1234567890123456"


def node(leadgen_id: str, at: datetime) -> dict[str, Any]:
    return {"id": leadgen_id, "created_time": at.strftime("%Y-%m-%dT%H:%M:%S+0000"), "form_id": FORM,
            "field_data": [{"name": "email", "values": [f"p{leadgen_id}@example.de"]}]}


def by_webhook(store, lead: dict[str, Any], at: datetime) -> str:
    ref = meta.MetaLeadRef(leadgen_id=lead["id"], page_id=PAGE, form_id=FORM)
    return accept(keep_what_is_valid(meta.map_graph_lead(lead, ref), None), store, at).outcome


def test_racing_polls_and_webhooks_store_and_count_each_lead_once(store):
    # Given a known form with 12 leads at Meta that leadwire has not stored
    leads = [node(str(7000 + number), T - timedelta(minutes=number)) for number in range(12)]
    api = FakeMetaApi(page_size=5, forms={FORM: leads})
    by_webhook(store, node("6999", T - timedelta(hours=2)), T - timedelta(hours=2))
    due = T - timedelta(hours=2) + timedelta(minutes=default_config().meta.poll_every_minutes)

    # When three sweeps poll at once while the webhook delivers every lead
    with ThreadPoolExecutor(max_workers=8) as pool:
        polls = [pool.submit(reconcile.Poll(store, api, default_config(), due).run) for _ in range(3)]
        hooks = [pool.submit(by_webhook, store, lead, due) for lead in leads]
        reports = [future.result() for future in polls]
        outcomes = [future.result() for future in hooks]

    # Then one sweep polled the form, every lead exists once, and the counters add up to the leads
    assert sum(report.forms_polled for report in reports) == 1
    stored = [lead for lead in LeadRepository(store).page(100, None).leads if lead.source == "meta"]
    assert sorted(lead.source_ref for lead in stored) == sorted(["6999", *(lead["id"] for lead in leads)])
    by_poll = sum(report.recovered for report in reports)
    assert by_poll + outcomes.count("created") == 12
    assert {lead.source_ref for lead in stored if lead.recovered == "poll"} == \
        {lead["id"] for lead, outcome in zip(leads, outcomes, strict=True) if outcome == "duplicate"}
    days = sources.day_counts(store, FORM, "2026-10-01", "2026-10-09")
    assert sum(day["poll"] for day in days.values()) == by_poll
    assert sum(day["webhook"] for day in days.values()) == 1 + outcomes.count("created")
