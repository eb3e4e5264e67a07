"""The condition engine, op by op: missing fields and wrong types never match and never raise."""

from __future__ import annotations

import pydantic
import pytest

from leadwire.config import DEFAULT_DOCUMENT, Condition, Config
from leadwire.rules import field_value, matches

LEAD = {"email": "Ops@Acme.example", "job_title": "Head of Sales", "country": "DE", "employees": "120",
        "revenue": 5_000_000, "tags": ["hvac", "Solar"], "utm": {"source": "google", "campaign": "autumn"},
        "fields": {"service": ["heat pump", "boiler"], "budget": "12000"}, "empty": ""}

CASES = [
    # field, op, value, expected
    ("phone", "exists", None, False), ("email", "exists", None, True), ("empty", "exists", None, False),
    ("phone", "exists", False, True), ("email", "exists", False, False),
    ("country", "equals", "de", True), ("country", "equals", "AT", False), ("missing", "equals", "x", False),
    ("revenue", "equals", 5_000_000, True), ("tags", "equals", "solar", True),
    ("country", "in", ["AT", "DE", "CH"], True), ("country", "in", ["FR"], False), ("tags", "in", ["HVAC"], True),
    ("missing", "in", ["x"], False), ("utm", "in", ["google"], False),
    ("job_title", "contains", "sales", True), ("job_title", "contains", "cto", False),
    ("tags", "contains", "solar", True), ("revenue", "contains", "5", False),
    ("job_title", "matches", "(?i)head|vp", True), ("job_title", "matches", "^CEO$", False),
    ("revenue", "matches", "5", False), ("fields.service", "matches", "pump", True),
    ("employees", "gte", 100, True), ("employees", "lte", 100, False), ("revenue", "gte", 1e6, True),
    ("job_title", "gte", 1, False), ("missing", "lte", 1, False), ("tags", "gte", 1, False),
    ("email_domain", "equals", "acme.example", True), ("utm.source", "equals", "google", True),
    ("utm.medium", "exists", None, False), ("fields.budget", "gte", 10000, True), ("fields.nope", "equals", 1, False),
]


@pytest.mark.parametrize(("field", "op", "value", "expected"), CASES)
def test_each_op(field, op, value, expected):
    assert matches(Condition(field=field, op=op, value=value), LEAD) is expected


def test_email_domain_is_derived_and_absent_without_an_at_sign():
    assert field_value({"email": "a@B.example"}, "email_domain") == "b.example"
    assert field_value({"email": "not-an-email"}, "email_domain") is None
    assert field_value({}, "utm.source") is None


@pytest.mark.parametrize(("condition", "reason"), [
    ({"field": "job_title", "op": "matches", "value": "(unclosed"}, "bad regular expression"),
    ({"field": "country", "op": "in", "value": "DE"}, "non-empty list"),
    ({"field": "employees", "op": "gte", "value": "ten"}, "number"),
    ({"field": "country", "op": "equals"}, "needs a value"),
    ({"field": "country", "op": "like", "value": "x"}, "Input should be"),
])
def test_a_bad_condition_is_refused_when_the_config_is_saved_naming_the_field(condition, reason):
    document = {**DEFAULT_DOCUMENT, "scoring": {**DEFAULT_DOCUMENT["scoring"],
                                                "fit": [{"id": "x", "if": condition, "points": 1}]}}
    with pytest.raises(pydantic.ValidationError) as refused:
        Config.model_validate(document)
    error = refused.value.errors()[0]
    assert error["loc"][:4] == ("scoring", "fit", 0, "if")
    assert reason in error["msg"]
