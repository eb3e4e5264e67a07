"""`services.prime`: on Lambda a handler builds at import what its first event would; nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from leadwire.config import Config
from leadwire.intake import normalize
from leadwire.lead import LeadInput, LeadRecord, RawLead
from leadwire.pages import render
from leadwire.runtime import services

LAMBDA = "AWS_LAMBDA_FUNCTION_NAME"  # set by Lambda in every function's environment


@pytest.fixture
def primed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    built: list[str] = []
    for name in services._PRIMERS:
        monkeypatch.setitem(services._PRIMERS, name, lambda name=name: built.append(name))
    return built


def test_on_lambda_the_named_parts_are_built_at_once(primed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LAMBDA, "AssignFunction")

    services.prime("table", "email", "events")

    assert primed == ["table", "email", "events"]


def test_elsewhere_nothing_is_built_before_it_is_needed(primed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LAMBDA, raising=False)

    services.prime("table", "email", "events", "models")

    assert primed == []


def test_the_models_the_forms_and_the_templates_are_built_by_what_builds_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given every builder the primers call, recording instead of building
    monkeypatch.setenv(LAMBDA, "IntakeFunction")
    built: list[str] = []
    for model in (Config, LeadRecord, RawLead, LeadInput):
        monkeypatch.setattr(model, "model_rebuild", lambda force, name=model.__name__: built.append(f"{name}:{force}"))
    monkeypatch.setattr(normalize, "load_checkers", lambda: built.append("checkers"))
    monkeypatch.setattr(render, "environment", lambda: built.append("jinja2"))

    # When the models, the forms and the templates are primed
    services.prime("models", "forms", "templates")

    # Then each validator is built now (force: not deferred again), and so are the checkers and jinja2
    assert built == ["Config:True", "LeadRecord:True", "checkers", "RawLead:True", "LeadInput:True", "jinja2"]


def test_an_unknown_part_is_a_mistake_said_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LAMBDA, "IntakeFunction")

    with pytest.raises(KeyError):
        services.prime("tabel")


def test_every_handler_primes_only_parts_that_exist() -> None:
    # A name prime does not know raises on Lambda only, at import: every function would fail its cold start
    functions = Path(__file__).resolve().parents[2] / "functions"
    asked = {}
    for app in sorted(functions.glob("*/app.py")):
        calls = [node for node in ast.walk(ast.parse(app.read_text())) if isinstance(node, ast.Call)
                 and ast.unparse(node.func) == "services.prime"]
        asked[app.parent.name] = [str(arg.value) for call in calls for arg in call.args
                                  if isinstance(arg, ast.Constant)]

    assert set(asked) == {"intake", "score", "assign", "followup", "outbound", "imports"}
    assert all(names and set(names) <= set(services._PRIMERS) for names in asked.values()), asked
