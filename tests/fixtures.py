"""The documented platform samples (made-up data, valid signatures, secrets inside), kept in `tests/samples/`
byte for byte as documented: the signatures are over their bodies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent / "samples"


@cache
def _sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def platform_sample(name: str) -> dict[str, Any]:
    """One sample file, e.g. `platform_sample("meta_leadgen.json")`; a fresh copy each call, safe to change."""
    return json.loads(_sample_text(name))


def sample_names() -> list[str]:
    return sorted(path.name for path in SAMPLES.glob("*.json"))
