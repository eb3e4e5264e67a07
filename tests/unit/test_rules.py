"""The condition engine, op by op: missing fields and wrong types never match and never raise."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadwire.conditions import field_value, matches
from leadwire.config import DEFAULT_DOCUMENT, Condition, Config

LEAD: dict[str, Any] = {
    "email": "Ops@Acme.example", "job_title": "Head of Sales", "country": "DE", "employees": "120",
    "revenue": 5_000_000, "share": Decimal("0.25"), "is_test": False, "touches": 0, "blank": "  ", "empty": "",
    "tags": ["hvac", "Solar", 7], "no_tags": [], "consent": {"marketing": True}, "huge": 10**400,
    "utm": {"source": "google", "campaign": "Autumn"},
    "fields": {"service": ["heat pump", "boiler"], "budget": " 12000 ", "a.b": "dotted", "note": "NaN"},
}

CASES: list[tuple[str, str, Any, bool]] = [
    # field, op, value, expected
    # exists: None/true = present and non-empty; false = absent
    ("email", "exists", None, True), ("email", "exists", True, True), ("email", "exists", False, False),
    ("phone", "exists", None, False), ("phone", "exists", False, True),
    ("empty", "exists", None, False), ("blank", "exists", None, False), ("blank", "exists", False, True),
    ("no_tags", "exists", None, False), ("tags", "exists", None, True), ("consent", "exists", None, True),
    ("touches", "exists", None, True), ("is_test", "exists", None, True),
    # equals: strings ignore case, numbers by value, bools only with bools, a list matches through any element
    ("country", "equals", "de", True), ("country", "equals", "AT", False), ("missing", "equals", "x", False),
    ("revenue", "equals", 5_000_000, True), ("revenue", "equals", 5e6, True), ("share", "equals", 0.25, True),
    ("employees", "equals", 120, False), ("touches", "equals", False, False), ("is_test", "equals", False, True),
    ("is_test", "equals", 0, False), ("tags", "equals", "solar", True), ("tags", "equals", 7, True),
    ("consent", "equals", "x", False), ("empty", "equals", "", False),
    # in: any of the choices, same comparison as equals
    ("country", "in", ["AT", "de", "CH"], True), ("country", "in", ["FR"], False), ("tags", "in", ["HVAC"], True),
    ("tags", "in", ["wind", 7.0], True), ("tags", "in", ["wind"], False), ("revenue", "in", [1, 5_000_000], True),
    ("is_test", "in", [0], False), ("missing", "in", ["x"], False), ("utm", "in", ["google"], False),
    ("consent", "in", [{"marketing": True}], False),
    # contains: a substring (ignoring case) of a string, an element of a list
    ("job_title", "contains", "SALES", True), ("job_title", "contains", "cto", False),
    ("tags", "contains", "solar", True), ("tags", "contains", "sol", False), ("revenue", "contains", "5", False),
    ("job_title", "contains", 5, False), ("fields.service", "contains", "Boiler", True),
    ("missing", "contains", "x", False),
    # matches: a regular expression searched anywhere, case-sensitive unless it says (?i)
    ("job_title", "matches", "(?i)head|vp", True), ("job_title", "matches", "sales", False),
    ("job_title", "matches", "Sales$", True), ("job_title", "matches", "^CEO$", False),
    ("revenue", "matches", "5", False), ("fields.service", "matches", "pump", True),
    ("consent", "matches", "marketing", False), ("missing", "matches", ".*", False),
    # gte / lte: numbers and numeric strings; anything else does not match
    ("employees", "gte", 100, True), ("employees", "lte", 100, False), ("employees", "gte", 120, True),
    ("employees", "lte", 120, True), ("revenue", "gte", 1e6, True), ("share", "lte", 0.5, True),
    ("fields.budget", "gte", 10_000, True), ("job_title", "gte", 1, False), ("missing", "lte", 1, False),
    ("tags", "gte", 1, False), ("is_test", "lte", 1, False), ("consent", "gte", 0, False),
    ("fields.note", "lte", 1, False), ("huge", "gte", 0, False), ("blank", "lte", 0, False),
    # paths: derived email_domain, utm.<key>, fields.<name>
    ("email_domain", "equals", "acme.example", True), ("email_domain", "in", ["ACME.example"], True),
    ("utm.source", "equals", "GOOGLE", True), ("utm.medium", "exists", None, False),
    ("utm.campaign", "matches", "^Autumn$", True), ("fields.a.b", "equals", "dotted", True),
    ("fields.nope", "equals", 1, False), ("fields", "exists", None, True), ("utm.", "exists", None, False),
]


@pytest.mark.parametrize(("field", "op", "value", "expected"), CASES,
                         ids=[f"{field}-{op}-{value!r}" for field, op, value, _ in CASES])
def test_each_op(field: str, op: str, value: Any, expected: bool) -> None:
    assert matches(Condition(field=field, op=op, value=value), LEAD) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("lead", "expected"), [
    ({"email": "a@B.Example"}, "b.example"),
    ({"email": " a@b.example "}, "b.example"),
    ({"email": "first@last@c.example"}, "c.example"),
    ({"email": "not-an-email"}, None),
    ({"email": "a@"}, None),
    ({"email": "@b.example"}, None),
    ({"email": 42}, None),
    ({}, None),
])
def test_email_domain_is_derived_from_the_email(lead: dict[str, Any], expected: str | None) -> None:
    assert field_value(lead, "email_domain") == expected


@pytest.mark.parametrize(("lead", "field", "expected"), [
    ({"utm": {"source": "google"}}, "utm.source", "google"),
    ({"utm": "google"}, "utm.source", None),
    ({}, "utm.source", None),
    ({"fields": {"size": "L"}}, "fields.size", "L"),
    ({"fields": None}, "fields.size", None),
    ({"company": "Acme"}, "company", "Acme"),
    ({"other.key": "x"}, "other.key", "x"),
])
def test_field_paths(lead: dict[str, Any], field: str, expected: Any) -> None:
    assert field_value(lead, field) == expected


def test_a_regex_that_slipped_past_validation_does_not_match_and_does_not_raise() -> None:
    unvalidated = Condition.model_construct(field="job_title", op="matches", value="(unclosed")
    assert matches(unvalidated, LEAD) is False


def _with_fit_condition(condition: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_DOCUMENT, "scoring": {**DEFAULT_DOCUMENT["scoring"],
                                            "fit": [{"id": "x", "if": condition, "points": 1}]}}


def _with_routing_condition(condition: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_DOCUMENT, "routing": {**DEFAULT_DOCUMENT["routing"],
                                            "rules": [{"id": "x", "if": condition, "reps": ["anna"]}]}}


BAD_CONDITIONS = [
    ({"field": "job_title", "op": "matches", "value": "(unclosed"}, "bad regular expression"),
    ({"field": "job_title", "op": "matches", "value": "*senior"}, "bad regular expression"),
    ({"field": "job_title", "op": "matches", "value": 5}, "regular expression string"),
    ({"field": "country", "op": "in", "value": "DE"}, "non-empty list"),
    ({"field": "country", "op": "in", "value": []}, "non-empty list"),
    ({"field": "employees", "op": "gte", "value": "ten"}, "number"),
    ({"field": "employees", "op": "lte", "value": True}, "number"),
    ({"field": "phone", "op": "exists", "value": "yes"}, "true/false"),
    ({"field": "country", "op": "equals"}, "needs a value"),
    ({"field": "country", "op": "like", "value": "x"}, "Input should be"),
    ({"field": "", "op": "exists"}, "at least 1 character"),
]


@pytest.mark.parametrize(("document", "where"), [(_with_fit_condition, ("scoring", "fit", 0, "if")),
                                                  (_with_routing_condition, ("routing", "rules", 0, "if"))],
                         ids=["fit", "routing"])
@pytest.mark.parametrize(("condition", "reason"), BAD_CONDITIONS, ids=[reason for _, reason in BAD_CONDITIONS])
def test_a_bad_condition_is_refused_when_the_config_is_validated_naming_the_field(
        document: Any, where: tuple[Any, ...], condition: dict[str, Any], reason: str) -> None:
    with pytest.raises(pydantic.ValidationError) as refused:
        Config.model_validate(document(condition))
    error = refused.value.errors()[0]
    assert error["loc"][:4] == where
    assert reason in error["msg"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.decimals() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=10)
fields = st.sampled_from(["email", "email_domain", "country", "utm.source", "fields.size", "utm", "fields"])
conditions = st.one_of(
    st.builds(Condition, field=fields, op=st.just("exists"), value=st.none() | st.booleans()),
    st.builds(Condition, field=fields, op=st.sampled_from(["equals", "contains"]),
              value=json_values.filter(lambda value: value is not None)),
    st.builds(Condition, field=fields, op=st.just("in"), value=st.lists(json_values, min_size=1, max_size=3)),
    st.builds(Condition, field=fields, op=st.just("matches"), value=st.sampled_from(["a", "^x$", "(?i)B.*"])),
    st.builds(Condition, field=fields, op=st.sampled_from(["gte", "lte"]),
              value=st.integers() | st.floats(allow_nan=False)),
)
leads = st.dictionaries(st.sampled_from(["email", "country", "utm", "fields"]), json_values, max_size=4)


@given(condition=conditions, lead=leads)
def test_any_valid_condition_over_any_lead_gives_a_bool_and_never_raises(condition: Condition,
                                                                          lead: dict[str, Any]) -> None:
    assert matches(condition, lead) in (True, False)


def test_owner_patterns_run_in_linear_time_on_re2():
    # A pattern that backtracks exponentially in Python's `re` on a crafted answer: RE2 answers at once
    crafted = {"message": "a" * 5_000 + "!"}
    rule = Condition(field="message", op="matches", value=r"(\w+\s?)+$")

    assert matches(rule, crafted) is False
    assert matches(rule, {"message": "just words here"}) is True


def test_a_pattern_re2_cannot_run_is_refused_naming_why():
    with pytest.raises(ValueError, match=r"bad regular expression \(RE2, linear time\): invalid escape sequence"):
        Condition(field="job_title", op="matches", value=r"(\w+)\1")
