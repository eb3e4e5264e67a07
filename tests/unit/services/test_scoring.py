"""Scoring and re-scoring on fakes: the score written once per change of inputs, stages counted once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadwire.config import default_config
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import NotDelivered
from leadwire.owner import reports, rules
from leadwire.owner.leads import EngagementIn, record_event
from leadwire.scoring.rescore import continue_rescore, rescore
from leadwire.store.config import load_config
from tests.unit.services.conftest import T, stored, submit


def test_a_scored_lead_has_score_reasons_and_no_score_due(table, notifier):
    lead_id = submit(table, first_name="Dana", job_title="Founder", phone="+49301234567")

    assert rescore(lead_id, table, notifier, T)

    lead = stored(table, lead_id)
    assert lead.score_due is None and lead.score > 0 and lead.score_reasons
    assert sum(reason.points for reason in lead.score_reasons) == lead.score
    assert not rescore(lead_id, table, notifier, T), "a redelivered record scores nothing"


def test_the_first_score_publishes_lead_created_once(table, notifier):
    lead_id = submit(table, job_title="Founder")

    rescore(lead_id, table, notifier, T)
    record_event(table, lead_id, EngagementIn(id="d1", type="demo_request"), T + timedelta(minutes=1))
    rescore(lead_id, table, notifier, T + timedelta(minutes=1))

    created = notifier.published("lead.created")
    assert [(detail["lead_id"], detail["source"]) for detail in created] == [(lead_id, "website")]
    assert created[0]["created_at"] == stored(table, lead_id).created_at


def test_events_raise_the_stage_which_is_published_and_counted_once(table, notifier):
    lead_id = submit(table, job_title="Founder")
    rescore(lead_id, table, notifier, T)

    record_event(table, lead_id, EngagementIn(id="d1", type="demo_request"), T + timedelta(minutes=1))
    record_event(table, lead_id, EngagementIn(id="m1", type="meeting_booked"), T + timedelta(minutes=2))
    rescore(lead_id, table, notifier, T + timedelta(minutes=2))

    assert stored(table, lead_id).stage == "sql"
    assert [detail["stage"] for detail in notifier.published("lead.qualified")] == ["sql"]
    funnel = reports.funnel(table, "2026-10-05", "2026-10-05")["total"]
    assert (funnel["leads"], funnel["mql"], funnel["sql"]) == (1, 1, 1)


def test_a_new_config_is_a_new_version_and_open_leads_are_rescored_by_the_sweeps(table, notifier):
    ids = [submit(table, email=f"p{n}@shop{n}.example") for n in range(3)]
    for lead_id in ids:
        rescore(lead_id, table, notifier, T)
    document = default_config().model_copy(deep=True)
    document.scoring.fit[0].points = 33

    version = rules.replace_config(table, document, T + timedelta(hours=1))

    assert load_config(table)[0] == version == 1
    assert continue_rescore(table, T + timedelta(hours=1), batch=2) == 2
    assert continue_rescore(table, T + timedelta(hours=1), batch=2) == 1
    assert continue_rescore(table, T + timedelta(hours=1), batch=2) == 0, "the job ends with the last page"
    assert all(stored(table, lead_id).score_due == 1 for lead_id in ids)


def test_a_first_score_whose_event_is_refused_leaves_it_in_the_outbox_for_the_sweep(table, notifier):
    """A first score that reaches no stage (no funnel count to move) still stores its lead.created event with it."""

    class RefusingBus(type(notifier)):
        def publish(self, detail_type, detail):
            raise NotDelivered("EventBridge throttled")

    lead_id = submit(table)
    assert rescore(lead_id, table, RefusingBus(), T)
    assert stored(table, lead_id).stage == "lead" and notifier.published("lead.created") == []

    report = Delivery(table, notifier).retry_due(T + timedelta(hours=1))

    assert report["delivered"] == 1
    assert [detail["lead_id"] for detail in notifier.published("lead.created")] == [lead_id]


def test_a_scoring_whose_timeline_entry_failed_writes_it_on_the_records_retry_and_only_once(table, notifier,
                                                                                               monkeypatch):
    # Given a lead's first score and a re-score after a demo request, each with a table that times out the write
    # of its timeline entry once
    from leadwire.store import timeline

    lead_id = submit(table, job_title="Founder")
    put, refused, scorings = table.put, [], []

    def refusing_the_entry_once(item, *args, **kwargs):
        if item.get("kind") == "scored" and len(refused) < len(scorings):
            refused.append(item["detail"]["score"])
            raise TimeoutError("the table did not answer")
        return put(item, *args, **kwargs)

    monkeypatch.setattr(table, "put", refusing_the_entry_once)
    for minutes in (0, 2):
        if minutes:
            record_event(table, lead_id, EngagementIn(id="d1", type="demo_request"), T + timedelta(minutes=1))
        scorings.append(minutes)

        # When the record fails, then comes again twice (the stream retries it; a later batch repeats it)
        with pytest.raises(TimeoutError):
            rescore(lead_id, table, notifier, T + timedelta(minutes=minutes))
        retried = [rescore(lead_id, table, notifier, T + timedelta(minutes=minutes, seconds=s)) for s in (1, 2)]
        assert retried == [False, False], "the score was written by the failed attempt"

    # Then each scoring is on the timeline once, with the score it wrote, and the lead was announced once
    entries = [entry["detail"]["score"] for entry in timeline.read(table, lead_id) if entry["kind"] == "scored"]
    assert entries == refused and len(set(entries)) == 2
    assert entries[-1] == stored(table, lead_id).score
    Delivery(table, notifier).retry_due(T + timedelta(hours=1))
    assert [detail["lead_id"] for detail in notifier.published("lead.created")] == [lead_id]
