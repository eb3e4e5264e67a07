"""Salespeople: what `PUT /reps/{id}` accepts, what the table keeps, and whether a rep is at work right now."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from leadwire.errors import ValidationFailed
from leadwire.intake.normalize import normalize_email
from leadwire.model import Model
from leadwire.reference import language_codes

REP_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# What the store hands back was checked when it was written: `Rep.model_validate(item, context=STORED)` does not
# check the email again (the email validator compiles its grammar on first use, 20-30 ms of a cold start that
# assigns or reminds and has no address to check).
STORED = {"stored": True}

_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MINUTES_PER_DAY = 24 * 60


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def parse_range(text: str) -> tuple[int, int]:
    """`"09:00-17:30"` as minutes since midnight, end exclusive; `24:00` may end a day."""
    found = _RANGE.match(text)
    if not found:
        raise ValueError(f"'{text}' is not a range like 09:00-17:30")
    start_h, start_m, end_h, end_m = found.groups()
    if int(start_h) > 23 or int(end_h) > 24 or int(start_m) > 59 or int(end_m) > 59:
        raise ValueError(f"'{text}' has a time that does not exist (hours 00-23, minutes 00-59, or 24:00 as end)")
    start, end = _minutes(start_h, start_m), _minutes(end_h, end_m)
    if end > _MINUTES_PER_DAY:
        raise ValueError(f"'{text}' ends after 24:00")
    if start == end:
        raise ValueError(f"'{text}' is empty: start must be before end")
    if start > end:
        raise ValueError(f"'{text}' crosses midnight, which a range may not do: "
                         f"split it into '{text[:5]}-24:00' today and '00:00-{text[6:]}' on the next day")
    return start, end


def _hours_range(value: str) -> str:
    canonical = "".join(value.split())  # "09:00 - 17:00" reads the same as "09:00-17:00"
    parse_range(canonical)
    return canonical


def _language(value: str) -> str:
    if value not in language_codes():
        raise ValueError(f"'{value}' is not a lower-case ISO 639-1 language code such as 'en' or 'de'")
    return value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


HoursRange = Annotated[str, AfterValidator(_hours_range)]
Language = Annotated[str, BeforeValidator(_lower), AfterValidator(_language)]


class RepIn(Model):
    """The body of `PUT /reps/{id}`: everything the owner controls. The id comes from the path."""

    # Unknown keys are refused, and so are the counters leadwire keeps (open_leads, assigned_total).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    active: bool = True
    weight: int = Field(default=1, ge=1, le=1000, description="share of leads under the weighted strategy")
    capacity: int | None = Field(default=None, ge=1, description="most open leads at once; empty for no cap")
    timezone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/Berlin")
    working_hours: dict[Weekday, list[HoursRange]] | None = Field(
        default=None, description='per weekday, e.g. {"mon": ["09:00-12:00", "13:00-17:00"]}; '
                                  "days left out are days off; absent or null: always available")
    languages: list[Language] = Field(default_factory=list, description="ISO 639-1 codes, e.g. ['de', 'en']")

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str, info: ValidationInfo) -> str:
        if (info.context or {}).get("stored"):
            return value
        try:
            return normalize_email(value)
        except ValidationFailed as error:
            raise ValueError(error.details[0]["reason"]) from error

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"'{value}' is not an IANA time zone such as 'Europe/Berlin'") from error
        return value

    @field_validator("languages")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class Rep(RepIn):
    """A rep as stored and listed, with the counters assignment keeps."""

    # Stored items carry table keys (pk, sk) that are not part of the rep.
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=REP_ID_PATTERN)
    open_leads: int = 0
    assigned_total: int = 0
    updated_at: str | None = None


def local_time(rep: RepIn, now: datetime) -> datetime:
    """`now` on the rep's own clock; `now` must be timezone-aware so the wall clock never sneaks in."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(rep.timezone))


def is_working(rep: RepIn, now: datetime) -> bool:
    """Whether `now` falls in one of the rep's working-hour ranges for that weekday, in the rep's own time zone."""
    if rep.working_hours is None:
        return True
    local = local_time(rep, now)
    minute = local.hour * 60 + local.minute
    ranges = rep.working_hours.get(WEEKDAYS[local.weekday()], [])
    return any(start <= minute < end for start, end in map(parse_range, ranges))
