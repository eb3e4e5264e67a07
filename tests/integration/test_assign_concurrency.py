"""One owner, one email: the same stream batch delivered to two assign invocations at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from devtools.lambdas import Context, load_handler_module
from leadwire.intake.dedupe import accept
from leadwire.lead import LeadInput
from leadwire.routing.reps import RepIn
from leadwire.scoring import rescore
from leadwire.store import schema
from leadwire.store.reps import load_reps, save_rep

from .conftest import sent_emails, stream_record

pytestmark = pytest.mark.integration
NOW = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)


def test_two_invocations_of_the_same_batch_give_one_owner_and_one_email_per_lead(store, notifier):
    # Given three reps and ten scored leads waiting for an owner
    for rep_id in ("a", "b", "c"):
        save_rep(store, rep_id, RepIn(name=rep_id.upper(), email=f"{rep_id}@team.example"), "2026-10-05T09:00:00Z")
    lead_ids = [accept(LeadInput(source="website", email=f"p{n}@x{n}.example"), store, NOW).lead_id for n in range(10)]
    for lead_id in lead_ids:
        rescore.rescore(lead_id, store, notifier, NOW)
    event = {"Records": [stream_record(store.get(schema.lead(lead_id)), n) for n, lead_id in enumerate(lead_ids)]}
    assign = load_handler_module("functions/assign")
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        assign.lambda_handler(event, Context("AssignFunction", 30))

    # When two invocations process the same batch at the same moment
    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every lead has exactly one owner, each owner was told once per lead, and the counters agree
    owners = [store.get(schema.lead(lead_id))["owner"] for lead_id in lead_ids]
    assert all(owners)
    assert len(sent_emails()) == 10
    assert sorted(email.destinations["ToAddresses"][0] for email in sent_emails()) == \
        sorted(f"{owner}@team.example" for owner in owners)
    assert sum(rep.open_leads for rep in load_reps(store)) == 10
