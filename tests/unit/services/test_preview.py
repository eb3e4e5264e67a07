"""The dry run of a candidate rules document, and owner-written nurture templates, on the fakes."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from leadwire.config import DEFAULT_DOCUMENT, Config
from leadwire.errors import ValidationFailed
from leadwire.followup.sweep import run_sweep
from leadwire.owner import preview, rules
from leadwire.owner.leads import EngagementIn, record_event
from leadwire.scoring.rescore import continue_rescore, rescore
from leadwire.store import config as configs
from leadwire.store.memory import MemoryTable
from tests.unit.services.conftest import T, stored, submit


def candidate(**changes: Any) -> Config:
    """The shipped document with `scoring`, `routing` or `followup` keys replaced."""
    document = {**DEFAULT_DOCUMENT, **{part: {**DEFAULT_DOCUMENT[part], **value} for part, value in changes.items()}}
    return Config.model_validate(document)


def scored(table: MemoryTable, notifier, **fields: Any) -> str:
    lead_id = submit(table, **fields)
    assert rescore(lead_id, table, notifier, T)
    return lead_id


def test_a_lower_mql_threshold_shows_which_leads_move_and_saves_nothing(table, notifier):
    # Given leads scoring 20 (email, phone, company), 40 (and a senior title) and 0 (free mail only)
    twenty = scored(table, notifier, email="a@shop-a.example", phone="+4930111", company="Shop A")
    forty = scored(table, notifier, email="b@shop-b.example", phone="+4930222", company="Shop B", job_title="Owner")
    scored(table, notifier, email="c@gmail.com")
    assert (stored(table, twenty).stage, stored(table, forty).stage) == ("lead", "mql")
    before = copy.deepcopy(table._items)  # every item of the table, as it was

    # When the owner previews mql at 20
    answer = preview.preview(table, candidate(scoring={"mql": 20}), T + timedelta(minutes=5))

    # Then the 20-point lead moves from lead to mql, the others stay, and nothing was written
    assert answer["compared"] == 3 and answer["saved"] is False and answer["config_version"] == 0
    assert answer["moves"] == [{"from": "lead", "to": "mql", "count": 1}]
    assert [(change["id"], change["now"]["stage"], change["candidate"]["stage"]) for change in answer["changes"]] == [
        (twenty, "lead", "mql")]
    assert table._items == before
    assert configs.rescore_job(table) is None


def test_the_dry_run_matches_what_saving_and_rescoring_then_produce(table, notifier):
    # Given leads of every kind of fit, one with engagement, one closed
    ids = [scored(table, notifier, email=f"p{n}@shop{n}.example", phone=f"+49301{n:03d}" if n % 2 else None,
                  company=f"Shop {n}" if n % 3 else None, job_title="Founder" if n % 4 == 0 else None)
           for n in range(8)]
    record_event(table, ids[1], EngagementIn(type="demo_request", at=T), T)
    rescore(ids[1], table, notifier, T)
    from leadwire.owner.leads import LeadPatch, change
    change(table, notifier, ids[2], LeadPatch(status="contacted"), T, "https://x.example")
    change(table, notifier, ids[2], LeadPatch(status="won"), T, "https://x.example")
    new_rules = candidate(scoring={"mql": 15, "sql": 35, "fit": [
        {"id": "has-company", "if": {"field": "company", "op": "exists"}, "points": 15},
        {"id": "senior", "if": {"field": "job_title", "op": "matches", "value": "(?i)founder"}, "points": 25}],
        "engagement": {"demo_request": {"points": 12}}})

    # When the owner previews the candidate, then saves it and the sweep re-scores every open lead
    answer = preview.preview(table, new_rules, T)
    was = {lead_id: (stored(table, lead_id).score, stored(table, lead_id).stage) for lead_id in ids}
    rules.replace_config(table, new_rules, T)
    assert continue_rescore(table, T) == 7  # the won lead is closed: not re-scored
    for lead_id in ids:
        rescore(lead_id, table, notifier, T)

    # Then every lead is where the dry run said it would be
    predicted = {change["id"]: change["candidate"] for change in answer["changes"]}
    assert len(predicted) == answer["changed"] >= 5
    for lead_id in ids:
        lead = stored(table, lead_id)
        expected = predicted.get(lead_id)
        if expected is None:  # unchanged in the dry run: unchanged by the save
            assert (lead.score, lead.stage) == was[lead_id]
            continue
        assert (lead.score, lead.stage, lead.owner) == (expected["score"], expected["stage"], expected["owner"])
    assert ids[2] not in predicted


def test_an_unowned_lead_the_candidate_would_route_names_the_pool(table, notifier, team):
    # Given routing at mql, and a lead below it nobody owns
    rules.replace_config(table, candidate(routing={"assign_at": "mql"}), T)
    lead_id = scored(table, notifier, email="a@shop-a.example", company="Shop A")

    # When the candidate routes new leads at once, DACH leads to anna
    answer = preview.preview(table, candidate(routing={"assign_at": "new", "rules": [
        {"id": "all", "if": {"field": "email", "op": "exists"}, "reps": ["anna"]}]}), T)

    # Then the lead would go to anna's pool
    assert answer["routing_changes"] == 1
    assert answer["changes"][0]["id"] == lead_id
    assert answer["changes"][0]["now"]["pool"] is None and answer["changes"][0]["candidate"]["pool"] == ["anna"]


def test_a_template_with_an_unknown_placeholder_is_refused_naming_it(table):
    document = candidate(followup={"templates": {
        "welcome": {"subject": "Hello {{ first_name }}", "body": "From {{ business }} to {{ surname }} at {{ town }}"},
        "check-in": {"subject": "{{ first_name", "body": "ok"}}})

    with pytest.raises(ValidationFailed) as refused:
        rules.replace_config(table, document, T)
    with pytest.raises(ValidationFailed):
        preview.preview(table, document, T)

    assert {detail["field"]: detail["reason"].split(";")[0] for detail in refused.value.details} == {
        "followup.templates.welcome.body": "unknown placeholders surname, town",
        "followup.templates.check-in.subject": "not a valid template: unexpected end of template, expected "
                                               "'end of print statement'."}
    assert configs.load_config(table)[0] == 0


def test_a_nurture_step_naming_no_template_and_a_template_escaping_the_sandbox_are_refused(table):
    document = candidate(followup={"nurture": [{"after_hours": 0, "template": "spring"}], "templates": {
        "autumn": {"subject": "Hi", "body": "{{ business.__class__.__mro__ }}"}}})

    with pytest.raises(ValidationFailed) as refused:
        rules.replace_config(table, document, T)

    fields = {detail["field"]: detail["reason"] for detail in refused.value.details}
    assert fields["followup.nurture.0.template"] == "no template named spring; written: autumn"
    assert "unsafe" in fields["followup.templates.autumn.body"]


def test_a_template_is_previewed_with_the_sample_person(table):
    welcome = Config.model_validate(DEFAULT_DOCUMENT).followup.templates["welcome"]
    written = rules.preview_template(table, welcome.model_copy(
        update={"body": "Dear {{ name }} of {{ company }},\n\n{{ business }}"}))

    assert written == {"subject": "Thanks for getting in touch with Our team", "text": "Dear Dana Fox of Fox Builders,"
                       "\n\nOur team", "to": "dana@fox-builders.example"}


def test_the_owners_template_reaches_the_nurture_email(table, notifier, settings, team):
    # Given a welcome email the owner wrote, with HTML-looking text in the person's company (and no double opt-in,
    # so the first sweep sends it)
    rules.replace_config(table, candidate(followup={"double_opt_in": False, "templates": {
        **DEFAULT_DOCUMENT["followup"]["templates"],
        "welcome": {"subject": "{{ first_name }}, your quote from {{ business }}",
                    "body": "Hi {{ first_name }} at {{ company }},\n\nwe will call you today."}}}), T)
    lead_id = submit(table, first_name="Dana", company="<Fox & Sons>", consent=True)
    rescore(lead_id, table, notifier, T)

    # When the sweep sends the first nurture step
    run_sweep((T + timedelta(minutes=1)).isoformat(), table, notifier, settings, time_left_ms=lambda: 60_000)

    # Then the email is the owner's text for this person, escaped in its HTML part
    email = next(email for email in notifier.sent_to("dana@fox-builders.example") if email.kind == "nurture_welcome")
    assert email.subject == "Dana, your quote from Our team"
    assert email.text.startswith("Hi Dana at <Fox & Sons>,\n\nwe will call you today.\n\nNo more emails like this: ")
    assert "<p>Hi Dana at &lt;Fox &amp; Sons&gt;,</p><p>we will call you today.</p>" in (email.html or "")
    assert stored(table, lead_id).nurture_step == 1
