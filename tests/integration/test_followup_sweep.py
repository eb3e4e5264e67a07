"""The sweep against moto: more due work than one run allows, resumed with nothing skipped or done twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devtools.lambdas import Context, load_handler_module
from leadwire.clock import iso
from leadwire.followup.sweep import run_sweep
from leadwire.intake.dedupe import accept
from leadwire.lead import LeadInput
from leadwire.routing.assignment import Assigner
from leadwire.routing.reps import RepIn
from leadwire.runtime.settings import get_settings
from leadwire.scoring import rescore
from leadwire.store import schema
from leadwire.store.reps import save_rep

from .conftest import sent_emails, stream_record

pytestmark = pytest.mark.integration
T = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


def assigned_leads(store, notifier, count: int) -> list[str]:
    save_rep(store, "rae", RepIn(name="Rae", email="rae@team.example"), iso(T))
    ids = [accept(LeadInput(source="website", email=f"lead{n}@co{n}.example"), store, T).lead_id for n in range(count)]
    assigner = Assigner(store, notifier, "https://leads.example.test")
    for lead_id in ids:
        rescore.rescore(lead_id, store, notifier, T)
        assert assigner.assign(lead_id, T) == "rae"
    return ids


class Budget:
    """A Lambda clock that runs out after `leads` leads: time_left_ms drops below the reserve."""

    def __init__(self, leads: int) -> None:
        self.calls = 0
        self.leads = leads

    def __call__(self) -> int:
        self.calls += 1
        return 60_000 if self.calls <= self.leads else 0


def test_due_work_larger_than_one_run_is_finished_over_several_runs_each_step_once(store, notifier):
    # Given twelve leads whose owner reminder is due
    ids = assigned_leads(store, notifier, 12)
    at = iso(T + timedelta(minutes=16))
    before = len(sent_emails())

    # When sweeps run with pages of 2 and time for only 5 leads each, until one says it finished
    runs = []
    while not runs or not runs[-1]["finished"]:
        runs.append(run_sweep(at, store, notifier, get_settings(), Budget(5), page_size=2))
        assert len(runs) < 10, "the sweep never finished"

    # Then it took several runs, and every lead got exactly one reminder and one breach
    assert len(runs) >= 3
    reminders = [mail for mail in sent_emails()[before:] if mail.subject.startswith("Reminder")]
    assert len(reminders) == 12
    assert sum(run["steps"].get("owner_reminded", 0) for run in runs) == 12
    assert sum(run["steps"].get("sla_breached", 0) for run in runs) == 12
    assert all(store.get(schema.lead(lead_id))["reminders_sent"] == 1 for lead_id in ids)


def test_a_lead_with_no_activity_goes_stale_once(store, notifier):
    # Given an assigned lead nobody touches
    [lead_id] = assigned_leads(store, notifier, 1)
    later = iso(T + timedelta(days=31))

    # When the sweep runs a month later, twice
    first = run_sweep(later, store, notifier, get_settings(), lambda: 60_000)
    second = run_sweep(later, store, notifier, get_settings(), lambda: 60_000)

    # Then the lead is stale, with one timeline entry
    assert store.get(schema.lead(lead_id))["status"] == "stale"
    assert first["steps"].get("stale") == 1 and "stale" not in second["steps"]
    entries = [item for item in store.query_all(f"LEAD#{lead_id}", "TL#") if item["kind"] == "stale"]
    assert len(entries) == 1


def test_one_lead_that_cannot_be_scored_fails_alone(store, notifier):
    # Given a batch of three leads, the middle one damaged so that scoring it raises
    ids = [accept(LeadInput(source="website", email=f"s{n}@x{n}.example"), store, T).lead_id for n in range(3)]
    store.client.update_item(TableName=store.table, Key={"pk": {"S": f"LEAD#{ids[1]}"}, "sk": {"S": "LEAD"}},
                             UpdateExpression="REMOVE inputs_version")
    event = {"Records": [stream_record(store.get(schema.lead(lead_id)), n) for n, lead_id in enumerate(ids)]}

    # When the score function gets the batch
    answer = load_handler_module("functions/score").lambda_handler(event, Context("ScoreFunction", 30))

    # Then only that record is reported failed, and the other two are scored
    assert answer["batchItemFailures"] == [{"itemIdentifier": event["Records"][1]["dynamodb"]["SequenceNumber"]}]
    assert [("score" in store.get(schema.lead(lead_id))) for lead_id in ids] == [True, False, True]
