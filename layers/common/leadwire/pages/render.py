"""Templates for people: jinja2 with autoescape for HTML (`.html`), plain for text (`.txt`), loaded from the files
beside this module. Times are shown in the reader's time zone and in words."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadwire.clock import parse_iso

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


@cache
def environment() -> Environment:
    # Imported on first use: a cold start that renders nothing (most stream batches) does not pay for it.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(local_time=local_time, in_words=in_words, clock=clock, iso_instant=parse_iso)
    return env


def render(name: str, **values: Any) -> str:
    return environment().get_template(name).render(**values)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def clock(moment: datetime, timezone: str | None) -> str:
    """`14:35 CET`: the time of day where the reader is, with the zone's abbreviation."""
    local = moment.astimezone(zone(timezone))
    return f"{local:%H:%M} {local.tzname()}"


def local_time(moment: datetime, timezone: str | None, now: datetime | None = None) -> str:
    """`14:35 CET` on the same day as `now`, else `Mon 5 Oct, 14:35 CET`."""
    local = moment.astimezone(zone(timezone))
    if now is not None and now.astimezone(zone(timezone)).date() == local.date():
        return clock(moment, timezone)
    return f"{local:%a} {local.day} {local:%b}, {clock(moment, timezone)}"


def in_words(moment: datetime, now: datetime) -> str:
    """`in 12 minutes`, `3 hours ago`, `now`: how far `moment` is from `now`, rounded to what a person says."""
    seconds = (moment - now).total_seconds()
    minutes = round(abs(seconds) / 60)
    if minutes == 0:
        return "now"
    if minutes < 60:
        amount = _plural(minutes, "minute")
    elif minutes < 48 * 60:
        amount = _plural(round(minutes / 60), "hour")
    else:
        amount = _plural(round(minutes / (24 * 60)), "day")
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
