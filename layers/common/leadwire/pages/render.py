"""Templates for people: jinja2 with autoescape for HTML (`.html`), plain for text (`.txt`), from the files beside
this module. Times are shown in the reader's time zone and in words.

The layer build compiles the templates into Python modules (`python -m leadwire.pages.render <folder>`, run by
layers/common/Makefile into `compiled/`), which the runtime's bytecode step then compiles too: a cold start that
sends an email loads its templates instead of lexing, parsing and compiling them (20-45 ms of the first event of
assign and follow-up). A checkout has no `compiled/` and reads the templates themselves, so an edit shows at once."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadwire.clock import parse_iso

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
COMPILED = Path(__file__).resolve().parent / "compiled"
STATIC = Path(__file__).resolve().parent / "static"


@cache
def environment() -> Environment:
    # Imported on first use: a cold start that renders nothing (most stream batches) does not pay for it.
    from jinja2 import FileSystemLoader, ModuleLoader

    return _environment(ModuleLoader(COMPILED) if COMPILED.is_dir() else FileSystemLoader(TEMPLATES))


def _environment(loader: BaseLoader) -> Environment:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    env = Environment(loader=loader, autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(local_time=local_time, in_words=in_words, clock=clock, iso_instant=parse_iso)
    return env


def compile_templates(target: Path) -> int:
    """Every template as a Python module in `target`, compiled as `environment()` would; how many there are."""
    from jinja2 import FileSystemLoader

    env = _environment(FileSystemLoader(TEMPLATES))
    env.compile_templates(target, zip=None, ignore_errors=False)
    return len(env.list_templates())


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


if __name__ == "__main__":
    import sys

    compiled = compile_templates(Path(sys.argv[1]))
    print(f"templates: {compiled} compiled into {sys.argv[1]}")
