"""The rep's actions from the lead page, on fakes: each recorded once, as the rep, and only while the lead is theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadwire.errors import Conflict
from leadwire.followup import plan
from leadwire.followup.rep_links import LinkExpired, RepLinks
from leadwire.owner.rep_actions import NowElsewhere, RepAction, act, open_link, rep_actor, send_new_link
from leadwire.pages.lead_page import lead_page
from leadwire.routing.assignment import Assigner
from leadwire.scoring.rescore import rescore
from leadwire.store import timeline
from tests.unit.services.conftest import BASE_URL, T, default_config, stored, submit


def links(table) -> RepLinks:
    return RepLinks(BASE_URL, table)


def owned(table, notifier) -> tuple[str, str]:
    lead_id = submit(table, first_name="Dana", last_name="Fox", company="Fox Builders", phone="+49301234567")
    rescore(lead_id, table, notifier, T)
    owner = Assigner(table, notifier, BASE_URL, links=links(table)).assign(lead_id, T)
    assert owner
    return lead_id, owner


def token_from(notifier) -> str:
    url = next(line for line in notifier.emails[-1].text.splitlines() if "/l/" in line).split()[-1]
    return url.rsplit("/l/", 1)[1]


def do(table, notifier, token: str, minutes: float = 5, **form: str) -> str:
    now = T + timedelta(minutes=minutes)
    link, lead = open_link(table, links(table), token, now)
    return act(table, notifier, links(table), lead, rep_actor(link), RepAction.model_validate(form), now)


def test_the_assignment_email_links_to_the_page_of_that_lead_for_that_rep(table, notifier, team):
    lead_id, owner = owned(table, notifier)

    link, lead = open_link(table, links(table), token_from(notifier), T)

    assert (link.lead_id, link.rep_id, lead.id) == (lead_id, owner, lead_id)
    assert notifier.emails[-1].text.lstrip().startswith(f"Open the lead, record the call: {BASE_URL}/l/")


def test_contacted_records_first_contact_as_the_rep_and_stops_the_reminders(table, notifier, team):
    lead_id, owner = owned(table, notifier)
    token = token_from(notifier)

    first = do(table, notifier, token, action="contacted")
    second = do(table, notifier, token, minutes=5.01, action="contacted")

    lead = stored(table, lead_id)
    assert (first, second, lead.status, lead.first_contact_at) == ("contacted", "already", "contacted",
                                                                    "2026-10-05T09:05:00.000Z")
    assert [step.kind for step in plan.steps(lead, default_config())] == ["stale"]
    change = [item for item in timeline.read(table, lead_id) if item["kind"] == "status_changed"]
    assert [(item["actor"], item["detail"]["via"]) for item in change] == [(f"rep:{owner}", "lead page")]


def test_no_answer_logs_the_attempt_once_and_moves_the_next_reminder(table, notifier, team):
    lead_id, _ = owned(table, notifier)
    token = token_from(notifier)

    assert do(table, notifier, token, minutes=10, action="no_answer", once="form1") == "no_answer"
    assert do(table, notifier, token, minutes=10.01, action="no_answer", once="form1") == "already"

    lead = stored(table, lead_id)
    reminder = next(step for step in plan.steps(lead, default_config()) if step.kind == "remind_owner")
    assert (lead.contact_attempts, lead.status) == (1, "assigned")
    assert reminder.at == T + timedelta(minutes=10 + default_config().followup.retry_after_no_answer_minutes)


def test_a_note_goes_to_the_timeline_once_per_form(table, notifier, team):
    lead_id, owner = owned(table, notifier)
    token = token_from(notifier)

    do(table, notifier, token, action="note", note="Asked to call after 4pm", once="n1")
    do(table, notifier, token, minutes=5.01, action="note", note="Asked to call after 4pm", once="n1")

    notes = [item for item in timeline.read(table, lead_id) if item["kind"] == "note"]
    assert [(item["detail"]["text"], item["actor"]) for item in notes] == [("Asked to call after 4pm", f"rep:{owner}")]


def test_not_a_fit_and_lost_keep_their_reason(table, notifier, team):
    lead_id, _ = owned(table, notifier)
    token = token_from(notifier)

    do(table, notifier, token, action="not_a_fit", reason="Wants a job, not a quote")

    change = [item for item in timeline.read(table, lead_id) if item["kind"] == "status_changed"][-1]
    assert (stored(table, lead_id).status, change["detail"]["reason"]) == ("unqualified", "Wants a job, not a quote")


def test_won_closes_the_lead_and_its_page_shows_the_outcome(table, notifier, team):
    lead_id, _ = owned(table, notifier)
    token = token_from(notifier)
    do(table, notifier, token, action="won")

    page = lead_page(stored(table, lead_id), "Europe/Berlin", default_config(), timeline.read(table, lead_id),
                     T + timedelta(minutes=6), None)

    assert 'id="outcome"' in page.html and "<strong>Won</strong>" in page.html
    assert 'value="contacted"' not in page.html
    with pytest.raises(Conflict):
        do(table, notifier, token, action="lost")


def test_give_back_routes_the_lead_to_someone_else_and_the_old_link_can_no_longer_act(table, notifier, team):
    lead_id, owner = owned(table, notifier)
    token = token_from(notifier)

    assert do(table, notifier, token, action="give_back") == "give_back"

    lead = stored(table, lead_id)
    assert lead.owner not in (None, owner)
    with pytest.raises(NowElsewhere):
        do(table, notifier, token, minutes=6, action="contacted")
    assert stored(table, lead_id).status == "assigned"
    assigned = [item for item in timeline.read(table, lead_id) if item["kind"] == "assigned"][-1]
    assert (assigned["actor"], assigned["detail"]["via"]) == (f"rep:{owner}", "lead page")


def test_the_page_shows_the_deadline_in_the_reps_time_zone_and_in_words(table, notifier, team):
    lead_id, _ = owned(table, notifier)

    page = lead_page(stored(table, lead_id), "Europe/Berlin", default_config(), timeline.read(table, lead_id),
                     T + timedelta(minutes=3), None)

    assert "by 11:15 CEST</strong>, in 12 minutes" in page.html  # assigned 09:00 UTC, SLA 15 minutes
    assert 'href="tel:+49301234567"' in page.html and 'href="mailto:dana@fox-builders.example"' in page.html
    assert "<script" not in page.html and page.headers["Cache-Control"] == "no-store"


# --- a new link, asked for from one that no longer works -----------------------------------------------------
def test_an_expired_link_gets_the_rep_a_new_one_at_their_own_address(table, notifier, team):
    lead_id, owner = owned(table, notifier)
    old, later = token_from(notifier), T + timedelta(days=31)
    with pytest.raises(LinkExpired):
        open_link(table, links(table), old, later)

    assert send_new_link(table, notifier, links(table), old, later)

    mail = notifier.emails[-1]
    assert (mail.to, mail.subject, mail.headers) == (f"{owner}@team.example", "Your new link: Dana Fox (Fox Builders)",
                                                     {"X-Leadwire-Lead": lead_id})
    link, lead = open_link(table, links(table), token_from(notifier), later)
    assert (link.rep_id, lead.id) == (owner, lead_id)


def test_a_signed_link_of_an_earlier_release_gets_its_rep_a_new_one(table, notifier, team):
    lead_id, owner = owned(table, notifier)

    assert send_new_link(table, notifier, links(table), f"{lead_id}.{owner}.tmq2q0.{'A' * 43}", T)

    assert notifier.emails[-1].to == f"{owner}@team.example"
    assert open_link(table, links(table), token_from(notifier), T)[1].id == lead_id


@pytest.mark.parametrize("token", ["A" * 24, "made-up", "0123456789abcdef0123.anna.tmq2q0." + "A" * 43])
def test_a_token_we_did_not_make_sends_nothing(table, notifier, team, token):
    owned(table, notifier)
    sent = len(notifier.emails)

    assert not send_new_link(table, notifier, links(table), token, T)
    assert len(notifier.emails) == sent


def test_a_lead_now_with_someone_else_sends_its_old_rep_nothing(table, notifier, team):
    lead_id, owner = owned(table, notifier)
    old = token_from(notifier)
    other = next(rep for rep in team if rep != owner)
    Assigner(table, notifier, BASE_URL).reassign(stored(table, lead_id), T, to=other, actor="api")
    sent = len(notifier.emails)

    assert not send_new_link(table, notifier, links(table), old, T + timedelta(days=31))
    assert len(notifier.emails) == sent


def test_at_most_three_new_links_a_day_for_one_lead_and_rep(table, notifier, team):
    owned(table, notifier)
    old, kept = token_from(notifier), links(table)

    asked = [send_new_link(table, notifier, kept, old, T + timedelta(days=31, minutes=minute)) for minute in range(5)]

    assert asked == [True, True, True, False, False]
    assert send_new_link(table, notifier, kept, old, T + timedelta(days=32))
