"""Reps: what `PUT /reps/{id}` accepts (every refusal names its field) and when a rep is at work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from leadwire.routing import reps
from leadwire.routing.reps import STORED, Rep, RepIn, is_working, local_time, parse_range
from leadwire.runtime.http import validation_details

NINE_TO_FIVE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def rep_body(**overrides: Any) -> dict[str, Any]:
    return {"name": "Anna Berg", "email": "anna@example.com", **overrides}


def rep(timezone: str = "UTC", working_hours: dict[str, list[str]] | None = None, **overrides: Any) -> Rep:
    return Rep.model_validate({"id": "anna", **rep_body(timezone=timezone, working_hours=working_hours), **overrides})


def fields_refused(body: dict[str, Any]) -> dict[str, str]:
    """The `{field: reason}` a 422 answer would carry, as the HTTP layer words it."""
    with pytest.raises(ValidationError) as refused:
        RepIn.model_validate(body)
    return {detail["field"]: detail["reason"] for detail in validation_details(refused.value.errors())}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the body of PUT /reps/{id} -----------------------------------------------------------------------------------

def test_a_minimal_rep_gets_the_documented_defaults() -> None:
    body = RepIn.model_validate(rep_body())

    assert body.model_dump() == {
        "name": "Anna Berg", "email": "anna@example.com", "active": True, "weight": 1, "capacity": None,
        "timezone": "UTC", "working_hours": None, "languages": [],
    }


def test_a_full_rep_is_kept_in_canonical_form() -> None:
    body = RepIn.model_validate(rep_body(
        name="  Anna Berg ", email="Anna.Berg@Example.COM", active=False, weight=3, capacity=12,
        timezone="Europe/Berlin", working_hours={"mon": ["09:00 - 12:00", "13:00-17:30"], "sat": []},
        languages=["DE", "en", "de"],
    ))

    assert body.name == "Anna Berg"
    assert body.email == "anna.berg@example.com"
    assert (body.active, body.weight, body.capacity, body.timezone) == (False, 3, 12, "Europe/Berlin")
    assert body.working_hours == {"mon": ["09:00-12:00", "13:00-17:30"], "sat": []}
    assert body.languages == ["de", "en"]


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "anna@example.com"}, "name"),
    (rep_body(name=""), "name"),
    ({"name": "Anna"}, "email"),
    (rep_body(email="anna.example.com"), "email"),
    (rep_body(email="anna@"), "email"),
    (rep_body(weight=0), "weight"),
    (rep_body(weight=1.5), "weight"),
    (rep_body(capacity=0), "capacity"),
    (rep_body(active="sometimes"), "active"),
    (rep_body(timezone="Mars/Olympus_Mons"), "timezone"),
    (rep_body(timezone="CEST"), "timezone"),
    (rep_body(timezone=""), "timezone"),
    (rep_body(working_hours={"monday": ["09:00-17:00"]}), "working_hours.monday.[key]"),
    (rep_body(working_hours={"mon": "09:00-17:00"}), "working_hours.mon"),
    (rep_body(working_hours={"mon": ["9-5"]}), "working_hours.mon.0"),
    (rep_body(working_hours={"tue": ["09:00-12:00", "25:00-26:00"]}), "working_hours.tue.1"),
    (rep_body(working_hours={"wed": ["09:60-10:00"]}), "working_hours.wed.0"),
    (rep_body(working_hours={"thu": ["17:00-09:00"]}), "working_hours.thu.0"),
    (rep_body(working_hours={"fri": ["10:00-10:00"]}), "working_hours.fri.0"),
    (rep_body(working_hours={"fri": ["23:00-24:30"]}), "working_hours.fri.0"),
    (rep_body(languages=["xx"]), "languages.0"),
    (rep_body(languages=["en", "eng"]), "languages.1"),
    (rep_body(languages="en"), "languages"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_an_invalid_body_is_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    assert list(fields_refused(body)) == [field]


def test_a_range_across_midnight_is_refused_saying_how_to_split_it() -> None:
    reasons = fields_refused(rep_body(working_hours={"fri": ["22:00-06:00"]}))

    assert "crosses midnight" in reasons["working_hours.fri.0"]
    assert "'22:00-24:00'" in reasons["working_hours.fri.0"] and "'00:00-06:00'" in reasons["working_hours.fri.0"]


@pytest.mark.parametrize("field", ["open_leads", "assigned_total", "id", "nickname"])
def test_the_body_cannot_set_what_leadwire_keeps_or_what_does_not_exist(field: str) -> None:
    assert list(fields_refused(rep_body(**{field: 3}))) == [field]


def test_every_invalid_field_is_named_at_once() -> None:
    reasons = fields_refused({"email": "nope", "weight": 0, "timezone": "Nowhere/City"})

    assert set(reasons) == {"name", "email", "weight", "timezone"}
    assert "IANA" in reasons["timezone"]


def test_a_stored_rep_keeps_its_counters_and_drops_the_table_keys() -> None:
    # Given an item as the table holds it
    item = {"pk": "REPS", "sk": "REP#anna", "id": "anna", "updated_at": "2026-10-01T09:00:00.000Z",
            "open_leads": 4, "assigned_total": 17, **rep_body(capacity=5)}

    # When
    stored = Rep.model_validate(item)

    # Then
    assert (stored.id, stored.open_leads, stored.assigned_total, stored.capacity) == ("anna", 4, 17, 5)
    assert "pk" not in stored.model_dump()


def test_a_stored_rep_is_read_without_checking_its_email_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the email check (which loads the email validator, 20-30 ms of a cold start) and a rep as the table has it
    checked: list[str] = []
    monkeypatch.setattr(reps, "normalize_email", lambda value: checked.append(value) or value.lower())
    item = {"pk": "REPS", "sk": "REP#anna", "id": "anna", **rep_body()}

    # When the store reads it, and when the owner sends it
    stored = Rep.model_validate(item, context=STORED)
    sent = RepIn.model_validate(rep_body(email="Anna@Example.com"))

    # Then only what the owner sent was checked (and normalised); the stored email was checked when it was written
    assert checked == ["Anna@Example.com"]
    assert (stored.email, sent.email) == ("anna@example.com", "anna@example.com")


@pytest.mark.parametrize("rep_id", ["Anna", "-anna", "anna berg", "a" * 65, ""])
def test_a_stored_rep_needs_a_valid_id(rep_id: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Rep.model_validate({"id": rep_id, **rep_body()})

    assert [error["loc"] for error in refused.value.errors()] == [("id",)]


def test_parse_range_reads_minutes_and_allows_24_00_as_an_end() -> None:
    assert parse_range("09:15-17:30") == (9 * 60 + 15, 17 * 60 + 30)
    assert parse_range("22:00-24:00") == (22 * 60, 24 * 60)


# --- working hours, on the rep's own clock -------------------------------------------------------------------------

def test_a_rep_without_working_hours_is_always_available() -> None:
    assert is_working(rep(), utc("2026-10-04T03:00:00"))  # a Sunday night


def test_days_left_out_are_days_off() -> None:
    anna = rep(working_hours={"mon": ["00:00-24:00"]})

    assert is_working(anna, utc("2026-10-05T12:00:00"))  # Monday
    assert not is_working(anna, utc("2026-10-06T12:00:00"))  # Tuesday


@pytest.mark.parametrize(("timezone", "instant", "working"), [
    # Thursday 2026-10-01 07:30 UTC: 09:30 in Berlin (CEST), 03:30 in New York (EDT), 16:30 in Tokyo
    ("Europe/Berlin", "2026-10-01T07:30:00", True),
    ("America/New_York", "2026-10-01T07:30:00", False),
    ("Asia/Tokyo", "2026-10-01T07:30:00", True),
    # Thursday 2026-10-01 14:00 UTC: 16:00 in Berlin, 10:00 in New York, 23:00 in Tokyo
    ("Europe/Berlin", "2026-10-01T14:00:00", True),
    ("America/New_York", "2026-10-01T14:00:00", True),
    ("Asia/Tokyo", "2026-10-01T14:00:00", False),
    # Friday 2026-10-02 15:30 UTC is already Saturday 00:30 in Tokyo
    ("Asia/Tokyo", "2026-10-02T15:30:00", False),
    ("America/New_York", "2026-10-02T15:30:00", True),
    # Monday 2026-10-05 00:30 UTC is still Sunday 20:30 in New York, but Monday 09:30 in Tokyo
    ("America/New_York", "2026-10-05T00:30:00", False),
    ("Asia/Tokyo", "2026-10-05T00:30:00", True),
])
def test_working_hours_are_read_in_the_reps_own_timezone(timezone: str, instant: str, working: bool) -> None:
    assert is_working(rep(timezone, NINE_TO_FIVE), utc(instant)) is working


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"])
def test_nobody_with_weekday_hours_works_on_their_weekend(timezone: str) -> None:
    # Given Saturday noon and Sunday noon in the rep's own zone
    zone = ZoneInfo(timezone)
    weekend = [datetime(2026, 10, 3, 12, tzinfo=zone), datetime(2026, 10, 4, 12, tzinfo=zone)]

    # Then
    assert not any(is_working(rep(timezone, NINE_TO_FIVE), moment.astimezone(UTC)) for moment in weekend)


def test_ranges_are_start_inclusive_and_end_exclusive_with_a_lunch_break() -> None:
    anna = rep("Europe/Berlin", {"thu": ["09:00-12:00", "13:00-17:00"]})
    at = {text: is_working(anna, utc(f"2026-10-01T{text}:00")) for text in ("06:59", "07:00", "09:59", "10:00",
                                                                             "11:00", "14:59", "15:00")}

    assert at == {"06:59": False, "07:00": True, "09:59": True, "10:00": False,
                  "11:00": True, "14:59": True, "15:00": False}


def test_the_same_utc_time_moves_in_or_out_of_hours_when_daylight_saving_time_starts() -> None:
    # Berlin moves to CEST on Sunday 2026-03-29, New York to EDT on Sunday 2026-03-08
    berlin, new_york = rep("Europe/Berlin", NINE_TO_FIVE), rep("America/New_York", NINE_TO_FIVE)

    assert not is_working(berlin, utc("2026-03-23T07:30:00"))  # 08:30 CET
    assert is_working(berlin, utc("2026-03-30T07:30:00"))  # 09:30 CEST
    assert not is_working(new_york, utc("2026-03-02T13:30:00"))  # 08:30 EST
    assert is_working(new_york, utc("2026-03-09T13:30:00"))  # 09:30 EDT


def test_the_hour_skipped_in_spring_and_the_hour_repeated_in_autumn() -> None:
    # Given a Berlin rep on call from 02:00 to 03:00 on Sundays
    on_call = rep("Europe/Berlin", {"sun": ["02:00-03:00"]})

    # Then 2026-03-29 jumps from 01:59 CET straight to 03:00 CEST: that Sunday the hour never comes
    spring = utc("2026-03-29T00:00:00")
    assert not any(is_working(on_call, spring + timedelta(minutes=minutes)) for minutes in range(0, 180, 5))
    assert local_time(on_call, utc("2026-03-29T01:00:00")).strftime("%H:%M") == "03:00"

    # And 2026-10-25 lives 02:00-03:00 twice (CEST, then CET): on call for two real hours
    autumn = utc("2026-10-24T23:00:00")
    on_call_minutes = sum(is_working(on_call, autumn + timedelta(minutes=minutes)) for minutes in range(0, 240, 5))
    assert on_call_minutes * 5 == 120


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_working(rep("Europe/Berlin", NINE_TO_FIVE), datetime(2026, 10, 1, 9, 30))


def test_now_in_any_zone_is_the_same_instant() -> None:
    berlin_morning = datetime(2026, 10, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))

    assert is_working(rep("Asia/Tokyo", NINE_TO_FIVE), berlin_morning)  # 16:30 in Tokyo
    assert not is_working(rep("America/New_York", NINE_TO_FIVE), berlin_morning)  # 03:30 in New York
