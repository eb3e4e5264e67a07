"""Every service on fakes: the in-memory table, a recording notifier, a fake Graph API. No moto, no sockets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadwire.config import default_config
from leadwire.intake.dedupe import accept
from leadwire.lead import Consent, LeadInput, LeadRecord
from leadwire.routing.reps import RepIn
from leadwire.runtime.settings import Settings
from leadwire.store.leads import LeadRepository
from leadwire.store.memory import MemoryTable
from leadwire.store.reps import save_rep
from tests.fakes import FakeGraph, RecordingNotifier

T = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
BASE_URL = "https://leads.example.test"


@pytest.fixture
def table() -> MemoryTable:
    return MemoryTable()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
def settings() -> Settings:
    return Settings(public_base_url=BASE_URL, unsubscribe_secret="unit-unsubscribe-secret",
                    meta_page_token="page-token", default_region="DE")


@pytest.fixture
def team(table: MemoryTable) -> list[str]:
    for rep_id in ("anna", "ben"):
        save_rep(table, rep_id, RepIn(name=rep_id.title(), email=f"{rep_id}@team.example"), "2026-10-01T00:00:00Z")
    return ["anna", "ben"]


def submit(table: MemoryTable, when: datetime = T, **fields: object) -> str:
    """A website submission, stored as the intake stores it; the lead id."""
    fields.setdefault("email", "dana@fox-builders.example")
    consent = fields.pop("consent", None)
    lead = LeadInput(source="website", consent=Consent(marketing=True) if consent else None, **fields)  # type: ignore[arg-type]
    return accept(lead, table, when).lead_id


def stored(table: MemoryTable, lead_id: str) -> LeadRecord:
    lead = LeadRepository(table).get(lead_id)
    assert lead is not None
    return lead


__all__ = ["BASE_URL", "T", "default_config", "stored", "submit"]
