"""The templates the layer build compiles into Python modules render exactly what the templates themselves do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import FileSystemLoader, ModuleLoader

from leadwire.config import Config
from leadwire.lead import LeadRecord
from leadwire.outbound import emails
from leadwire.pages import lead_page, render
from leadwire.routing.reps import Rep

NOW = datetime(2026, 10, 5, 9, 20, tzinfo=UTC)
LEAD = LeadRecord(id="a1", created_at="2026-10-05T09:00:00.000Z", updated_at="2026-10-05T09:05:00.000Z",
                  source="website", email="dana@fox.example", phone="+4915112345678", first_name="Dana",
                  last_name="Fox", company="Fox Builders", message="Can you call me <after 5>?\nThanks",
                  status="assigned", owner="anna", inputs_version=1, score=42, stage="mql",
                  sla_due_at="2026-10-05T09:15:00.000Z")
ANNA = Rep(id="anna", name="Anna", email="anna@team.example", timezone="Europe/Berlin")
BEN = Rep(id="ben", name="Ben", email="ben@team.example")
PAGE = "https://leads.example.test/l/tok"
CONFIG = Config()
ENTRIES = [{"kind": "submission", "at": "2026-10-05T09:00:00.000Z", "detail": {}},
           {"kind": "assigned", "at": "2026-10-05T09:00:01.000Z", "detail": {"owner": "anna"}}]

RENDERINGS: dict[str, Callable[[], object]] = {
    "new owner": lambda: emails.new_owner(LEAD, ANNA, CONFIG, NOW, PAGE, messages=["first", "second <b>"]),
    "reminder": lambda: emails.reminder(LEAD, ANNA, CONFIG, NOW, PAGE),
    "taken away": lambda: emails.taken_away(LEAD, ANNA, BEN, CONFIG, NOW, PAGE),
    "returned": lambda: emails.returned(LEAD, ANNA, ["back again & keen"], CONFIG, NOW, PAGE),
    "new link": lambda: emails.new_link(LEAD, ANNA, CONFIG, NOW, PAGE),
    "opt in": lambda: emails.opt_in_request(LEAD, "Fox & Sons", "https://leads.example.test/confirm?t=x"),
    "lead page": lambda: lead_page.lead_page(LEAD, "Europe/Berlin", CONFIG, ENTRIES, NOW, "contacted").html,
    "notice": lambda: lead_page.notice(410, "This link has expired", "Ask for <a new one>.", new_link=True).html,
}


@pytest.fixture
def compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    """Switch `render.environment()` between the template files and modules compiled from them into tmp_path."""
    render.compile_templates(tmp_path)

    def use(modules: bool) -> None:
        monkeypatch.setattr(render, "COMPILED", tmp_path if modules else tmp_path / "absent")
        render.environment.cache_clear()

    yield use
    render.environment.cache_clear()


@pytest.mark.parametrize("name", RENDERINGS)
def test_a_compiled_template_renders_the_same_text_as_its_source(name: str, compiled: Callable[[bool], None],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Given what rendering from the template files gives (autoescape, includes, filters and all)
    monkeypatch.setattr(lead_page.secrets, "token_urlsafe", lambda size: "once")  # the lead page's form nonce
    compiled(False)
    assert isinstance(render.environment().loader, FileSystemLoader)
    from_source = RENDERINGS[name]()

    # When the same is rendered from the compiled modules
    compiled(True)
    assert isinstance(render.environment().loader, ModuleLoader)
    from_modules = RENDERINGS[name]()

    # Then it is the same, to the byte
    assert from_modules == from_source


def test_every_template_is_compiled_into_its_own_module(tmp_path: Path) -> None:
    sources = sorted(str(path.relative_to(render.TEMPLATES)) for path in render.TEMPLATES.rglob("*.*"))

    count = render.compile_templates(tmp_path)

    assert count == len(sources) > 20
    assert sorted(path.name for path in tmp_path.glob("tmpl_*.py")) == sorted(
        ModuleLoader.get_module_filename(name) for name in sources)


def test_a_checkout_without_compiled_templates_reads_the_template_files() -> None:
    render.environment.cache_clear()
    assert not render.COMPILED.exists()
    assert isinstance(render.environment().loader, FileSystemLoader)
