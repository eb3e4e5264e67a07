"""The local stack's fault injection on moto: each kind of call fails as that AWS service fails it, the store and the
notifier read each failure for what it is, a seed repeats a run, and the settings are checked."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from devtools.environment import LOCAL_ENV, REGION
from leadwire.outbound.notify import AwsNotifier, Email, NotDelivered
from leadwire.store.table import DynamoTable, StoreUnavailable
from local_stack.faults import FaultPlan, Faults, FaultSpecError

pytestmark = pytest.mark.usefixtures("aws")
TABLE = LOCAL_ENV["TABLE_NAME"]


def faulty(plan: dict) -> boto3.Session:
    """A session whose clients fail as `plan` says (as the local stack hooks the functions' session)."""
    session = boto3.Session(region_name=REGION)
    faults = Faults(FaultPlan.from_json(plan))
    faults.install(session.events)
    session.faults = faults  # type: ignore[attr-defined]
    return session


def put(key: str) -> dict:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": key}, "sk": {"S": "x"}}}}


def test_every_dynamodb_failure_is_one_aws_answers_and_the_store_reads_each_for_what_it_is():
    # Given every DynamoDB call failing, with a seed
    session = faulty({"dynamodb": 1, "seed": 1})
    client = session.client("dynamodb")

    # When transactions are tried again and again
    codes, reasons, applied = set(), set(), 0
    for number in range(60):
        key = f"fault-test-{number}"
        try:
            client.transact_write_items(TransactItems=[put(key), put(key + "-b")])
        except ClientError as error:
            codes.add(error.response["Error"]["Code"])
            reasons |= {reason["Code"] for reason in error.response.get("CancellationReasons", [])}
        truth = boto3.client("dynamodb", region_name=REGION)  # made before no faults: the stack's own view
        applied += "Item" in truth.get_item(TableName=TABLE, Key={"pk": {"S": key}, "sk": {"S": "x"}})

    # Then each answer is one DynamoDB gives, a conflict names its item, and some 500s came after the write
    assert codes == {"ProvisionedThroughputExceededException", "InternalServerError", "TransactionCanceledException"}
    assert reasons == {"TransactionConflict", "None"}
    assert 0 < applied < 60
    # and the store takes a conflict that never clears for "unavailable", never for "someone else did it"
    with pytest.raises((StoreUnavailable, ClientError)) as raised:
        DynamoTable(TABLE, client).transact([put("fault-test-store")])
    assert "ConditionalCheckFailed" not in str(raised.value)


def test_ses_throttles_or_rejects_and_eventbridge_names_the_entries_it_did_not_take():
    session = faulty({"ses": 1, "events": 1, "seed": 2})
    notifier = AwsNotifier(LOCAL_ENV["SENDER_EMAIL"], LOCAL_ENV["EVENT_BUS_NAME"], ses=session.client("sesv2"),
                           events=session.client("events"))

    ses_codes, event_failures = set(), set()
    for _ in range(30):
        try:
            notifier.send(Email(to="rep@shop.example", subject="New lead", text="Call them"))
        except ClientError as error:
            ses_codes.add(error.response["Error"]["Code"])
        try:
            notifier.publish("lead.assigned", {"lead_id": "l1"})
        except NotDelivered as failure:
            event_failures.add(str(failure).rsplit(": ", 1)[-1])  # a failed entry, read by the notifier
        except ClientError as error:
            event_failures.add(error.response["Error"]["Code"])

    assert ses_codes == {"TooManyRequestsException", "MessageRejected"}
    assert event_failures == {"InternalFailure", "ThrottlingException"}


def test_a_seed_repeats_the_same_fates_and_no_faults_fail_nothing():
    def fates(plan: dict) -> list[str]:
        client = faulty(plan).client("dynamodb")
        outcomes = []
        for number in range(40):
            try:
                client.get_item(TableName=TABLE, Key={"pk": {"S": f"k{number}"}, "sk": {"S": "x"}})
                outcomes.append("ok")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
        return outcomes

    first = fates({"dynamodb": 0.3, "seed": 5})
    assert first == fates({"dynamodb": 0.3, "seed": 5}) and set(first) - {"ok"}
    assert first != fates({"dynamodb": 0.3, "seed": 6})
    assert set(fates({})) == {"ok"}


def test_the_settings_are_checked_and_the_environment_form_reads_the_same():
    assert FaultPlan.from_text("ses=0.1, dynamodb=0.25,seed=3") == FaultPlan({"ses": 0.1, "dynamodb": 0.25}, 3)
    assert FaultPlan.from_json({}) == FaultPlan()
    with pytest.raises(FaultSpecError) as refused:
        FaultPlan.from_json({"dynamo": 0.1, "ses": 2, "seed": "x"})
    assert [detail["field"] for detail in refused.value.details] == ["dynamo", "ses", "seed"]
    with pytest.raises(FaultSpecError):
        FaultPlan.from_text("ses")
    with pytest.raises(FaultSpecError) as refused:
        FaultPlan.from_json({"next": [{"kind": "dynamo", "failure": "InternalServerError"},
                                      {"kind": "dynamodb", "failure": "Throttling"},
                                      {"kind": "ses", "failure": "Throttling", "count": 0}, "x"]})
    assert [detail["field"] for detail in refused.value.details] == [
        "next[0].kind", "next[1].failure", "next[2].count", "next[3]"]


# --- the findings, replayed with one injected fault at the place it names -----------------------------------
def test_a_single_conflict_on_the_rescore_transaction_still_scores_the_lead():
    # Given a website lead on moto whose next score reaches a stage, and the next TransactWriteItems cancelled by a
    # conflict (the day's funnel counter, shared by every lead, is in that transaction)
    from datetime import UTC, datetime

    from leadwire.intake.dedupe import accept
    from leadwire.lead import LeadInput
    from leadwire.owner.leads import EngagementIn, record_event
    from leadwire.scoring.rescore import rescore
    from leadwire.store.leads import LeadRepository
    from tests.fakes import RecordingNotifier

    session = faulty({})
    store = DynamoTable(TABLE, session.client("dynamodb"))
    now = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    lead_id = accept(LeadInput(source="website", email="dana@fox-builders.example", job_title="Founder"),
                     store, now).lead_id
    record_event(store, lead_id, EngagementIn(type="demo_request"), now)  # enough for a stage: one transaction
    session.faults.fail_next("dynamodb", "TransactionConflict", operation="TransactWriteItems")

    # When the score function takes its stream record
    scored = rescore(lead_id, store, RecordingNotifier(), now)

    # Then the conflict was retried, not taken for "someone else scored it": the lead has its score and stage
    lead = LeadRepository(store).get(lead_id)
    assert session.faults.status()["injected"] == {"dynamodb.TransactionConflict": 1}
    assert scored and lead is not None and lead.score_due is None and lead.stage == "mql"


def test_a_form_sent_again_after_a_500_that_had_stored_it_is_stored_once(intake_app, monkeypatch):
    # Given the functions' DynamoDB answering the next transaction with a 500 after doing it (AWS says a 500 may
    # leave a write applied), and a website form filled in once: the snippet's `_submission` token
    from leadwire.runtime import services
    from leadwire.store import packing, timeline
    from leadwire.store.leads import LeadRepository
    from tests.integration.conftest import api_event, call

    session = faulty({"next": [{"kind": "dynamodb", "failure": "InternalServerError (applied)",
                                "operation": "TransactWriteItems"}]})
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)  # the session every client of the functions comes from
    services.reset()
    form = {"first_name": "Kim", "email": "kim@shop.example", "message": "Call me after 5",
            "_submission": "3q2-7wAAAAAAAAAAAAAAAA"}

    # When the browser sends it, gets a 500 (the function fails: API Gateway answers 500), and the person presses
    # Send again
    with pytest.raises(ClientError, match="InternalServerError"):
        call(intake_app, api_event("POST", "/leads", body=form, key=None))
    again = call(intake_app, api_event("POST", "/leads", body=form, key=None))

    # Then the second answer names the lead the first stored, as a redelivery: one submission, no return
    assert session.faults.status()["injected"] == {"dynamodb.InternalServerError (applied)": 1}
    assert (again[0], again[1]["status"]) == (200, "duplicate")
    store = services.store()
    lead = LeadRepository(store).get(again[1]["id"])
    assert lead is not None and lead.touches == 1 and lead.message == "Call me after 5"
    assert len(LeadRepository(store).submissions_after(lead.id, None)) == 1
    assert [event["type"] for event in timeline.events(store, lead.id)] == []
    # the lead keeps the token of the filling-in it was stored from last (erased with it), and its submission none
    assert lead.resend == form["_submission"]
    submission = LeadRepository(store).submissions_after(lead.id, None)[0]
    assert form["_submission"] not in json.dumps(submission, default=packing.unpack)

    # And the same person filling the form in again (another token) is a return, kept as its own submission
    later = call(intake_app, api_event("POST", "/leads", key=None, body={
        **form, "message": "Still keen", "_submission": "another-filling-in-0001"}))
    assert (later[0], later[1]) == (200, {"id": lead.id, "status": "merged"})
    assert len(LeadRepository(store).submissions_after(lead.id, None)) == 2
    again_later = call(intake_app, api_event("POST", "/leads", key=None, body={
        **form, "message": "Still keen", "_submission": "another-filling-in-0001"}))
    assert again_later[1]["status"] == "duplicate" and len(LeadRepository(store).submissions_after(lead.id, None)) == 2
