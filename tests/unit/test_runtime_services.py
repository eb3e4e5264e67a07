"""`services.prime`: on Lambda a handler builds at import what its first event would; nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic_core import SchemaValidator

from leadwire.config import Config
from leadwire.lead import LeadRecord
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


def test_priming_the_models_builds_their_validators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LAMBDA, "ScoreFunction")

    services.prime("models")

    assert all(isinstance(model.__pydantic_validator__, SchemaValidator) for model in (Config, LeadRecord))


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
