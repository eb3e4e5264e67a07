"""A Meta notification on fakes: every change stored pending by its ids first, duplicates checked before any Graph
call, the Graph API asked for all leads at once under one total deadline, the config read once."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from typing import Any

from leadwire.followup.rep_links import RepLinks
from leadwire.intake import doors, enrichment
from leadwire.intake.dedupe import Accepted
from leadwire.routing.assignment import Assigner
from leadwire.runtime.settings import Settings
from leadwire.scoring.rescore import rescore
from leadwire.store import schema, timeline
from tests.fakes import FakeGraph
from tests.unit.services.conftest import BASE_URL, T, default_config, stored, submit

APP_SECRET = "meta-app-secret"


def notification(*leadgen_ids: str) -> tuple[bytes, dict[str, str]]:
    changes = [{"field": "leadgen", "value": {"leadgen_id": leadgen_id, "page_id": "77", "form_id": "88",
                                              "created_time": 1790845462}} for leadgen_id in leadgen_ids]
    body = json.dumps({"object": "page", "entry": [{"id": "77", "time": 1790845463, "changes": changes}]}).encode()
    signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"x-hub-signature-256": f"sha256={signature}"}


def graph_lead(leadgen_id: str, email: str) -> dict[str, Any]:
    return {"id": leadgen_id, "field_data": [{"name": "email", "values": [email]},
                                             {"name": "full_name", "values": ["Lee Park"]}]}


def meta_settings() -> Settings:
    return Settings(public_base_url=BASE_URL, unsubscribe_secret="unit-unsubscribe-secret", meta_page_token="token",
                    meta_app_secret=APP_SECRET, meta_graph_timeout_s=0.2)


class StuckGraph(FakeGraph):
    """A Graph API that answers nothing until released: slower than any deadline."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        self.calls.append(leadgen_id)
        self.released.wait(10)
        return self.leads.get(leadgen_id)


def test_four_changes_with_a_graph_api_that_hangs_are_stored_pending_and_answered_within_the_deadline(table):
    # Given a Graph API that hangs on every call
    graph = StuckGraph()
    body, headers = notification("41", "42", "43", "44")
    answer: list[list[Any]] = []

    # When Meta notifies four leads at once
    worker = threading.Thread(target=lambda: answer.append(doors.meta_notification(
        body, headers, T, table, meta_settings(), graph)))
    worker.start()
    worker.join(timeout=5)  # one total deadline of 0.2 s; per call, four hung calls would hold it until released
    graph.released.set()

    # Then the answer came, every lead is stored pending by its ids, and all four were asked for at once
    assert not worker.is_alive() and len(answer) == 1
    results = answer[0]
    assert [item.outcome for item in results] == ["created"] * 4
    for item in results:
        lead = stored(table, item.lead_id)
        assert lead.pending_enrichment and lead.email is None and lead.enrich_next_at == "2026-10-05T09:01:00.000Z"
        assert lead.fields["meta_ref"] == {"page_id": "77", "form_id": "88", "created_time": "1790845462"}
    assert sorted(graph.calls) == ["41", "42", "43", "44"]


def test_leads_the_graph_api_gives_in_time_are_filled_in_before_the_answer(table):
    graph = FakeGraph(leads={"51": graph_lead("51", "lee@meta.example")})
    body, headers = notification("51", "52")  # Graph does not know 52 yet: a failed call

    results = doors.meta_notification(body, headers, T, table, meta_settings(), graph)

    filled, waiting = (stored(table, item.lead_id) for item in results)
    assert (filled.email, filled.first_name, filled.pending_enrichment, filled.score_due) == \
        ("lee@meta.example", "Lee", False, 1)
    assert sorted(entry["kind"] for entry in timeline.read(table, filled.id)) == ["enriched", "submission"]
    # the one that failed is left for its first retry, with no attempt counted
    assert waiting.pending_enrichment and waiting.enrich_attempts == 0


def test_a_repeated_notification_is_a_duplicate_before_anything_is_fetched(table):
    graph = FakeGraph(leads={"61": graph_lead("61", "kim@meta.example")})
    body, headers = notification("61")
    first = doors.meta_notification(body, headers, T, table, meta_settings(), graph)

    again = doors.meta_notification(body, headers, T + timedelta(seconds=20), table, meta_settings(), graph)

    assert isinstance(again[0], Accepted) and again[0].outcome == "duplicate"
    assert again[0].lead_id == first[0].lead_id and graph.calls == ["61"]


def assigned_person(table, notifier) -> tuple[str, str]:
    """A person who filled in the website form, whose lead a rep has: the lead and the rep."""
    known = submit(table, email="lee@meta.example", first_name="Lee", company="Park & Co")
    rescore(known, table, notifier, T)
    owner = Assigner(table, notifier, BASE_URL).assign(known, T)
    assert owner
    return known, owner


def test_the_owner_of_a_lead_a_meta_lead_joins_hears_the_person_came_back(table, notifier, team):
    # Given a person who filled in the website form, and the rep who has their lead
    known, owner = assigned_person(table, notifier)
    sent = len(notifier.emails)

    # When their Meta lead arrives and joins it
    graph = FakeGraph(leads={"81": graph_lead("81", "lee@meta.example")})
    body, headers = notification("81")
    doors.meta_notification(body, headers, T + timedelta(hours=1), table, meta_settings(), graph, notifier, BASE_URL)

    # Then the owner is told, once, as for any return, with a link to the lead's page
    [told] = notifier.emails[sent:]
    assert told.to == f"{owner}@team.example" and told.subject == "Lee Park (Park & Co) came back: another submission"
    assert told.headers == {"X-Leadwire-Lead": known} and f"{BASE_URL}/l/" in told.text
    assert [event["lead_id"] for event in notifier.published("lead.returned")] == [known]
    doors.meta_notification(body, headers, T + timedelta(hours=2), table, meta_settings(), graph, notifier, BASE_URL)
    assert len(notifier.emails) == sent + 1


def test_a_meta_lead_the_sweep_fills_in_later_tells_the_owner_too(table, notifier, team):
    # Given a known, assigned person, and their Meta lead stored pending (the Graph API did not answer in time)
    known, owner = assigned_person(table, notifier)
    body, headers = notification("82")
    [pending] = doors.meta_notification(body, headers, T, table, meta_settings(), FakeGraph(), notifier, BASE_URL)
    sent = len(notifier.emails)

    # When the sweep's retry gets the answers
    graph = FakeGraph(leads={"82": graph_lead("82", "lee@meta.example")})
    assert enrichment.enrich(stored(table, pending.lead_id), T + timedelta(minutes=2), table, meta_settings(),
                             default_config(), graph, notifier, RepLinks(BASE_URL, table))

    # Then the pending lead joined the person's, and its owner is told
    assert stored(table, known).merged_from == [pending.lead_id]
    assert [email.to for email in notifier.emails[sent:]] == [f"{owner}@team.example"]


def test_the_config_is_read_once_for_a_notification_of_several_changes(table, monkeypatch):
    reads = []
    real_get = table.get

    def counting_get(key, consistent=True):
        if dict(key) == schema.CONFIG_CURRENT:
            reads.append(key)
        return real_get(key, consistent)

    monkeypatch.setattr(table, "get", counting_get)
    body, headers = notification("71", "72", "73")

    doors.meta_notification(body, headers, T, table, meta_settings(), FakeGraph())

    assert len(reads) == 1


def test_answers_of_a_person_already_known_join_their_lead(table):
    # Given a person who filled in the website form
    known = submit(table, email="lee@meta.example", first_name="Lee", company="Park & Co")

    # When their Meta lead arrives and the Graph API gives the same email
    graph = FakeGraph(leads={"81": graph_lead("81", "lee@meta.example")})
    body, headers = notification("81")
    [result] = doors.meta_notification(body, headers, T + timedelta(hours=1), table, meta_settings(), graph)

    # Then it is one person: the pending lead joined theirs, and a redelivery finds that lead
    assert stored(table, known).merged_from == [result.lead_id] and stored(table, known).touches == 2
    assert table.get(schema.lead(result.lead_id)) is None
    [again] = doors.meta_notification(body, headers, T + timedelta(hours=2), table, meta_settings(), graph)
    assert (again.outcome, again.lead_id) == ("duplicate", known)
