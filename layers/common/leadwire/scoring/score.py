"""The score as a ledger: fit from the rules, engagement from events that fade with a half-life, and one reason
per rule or event type whose points add up exactly to the score."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadwire.clock import parse_iso
from leadwire.conditions import LeadFields, matches
from leadwire.config import Scoring
from leadwire.lead import STAGES, ScoreReason

# Re-score when decayed engagement has drifted by this many points, and at least this often while any remains.
REFRESH_DRIFT_POINTS = 1.0
REFRESH_AT_LEAST_EVERY = timedelta(days=1)
REFRESH_STEP = timedelta(hours=1)


@dataclass(frozen=True)
class ScoreResult:
    fit: float
    engagement: float
    score: float
    stage: str
    reasons: list[ScoreReason]
    rose: bool


@dataclass(frozen=True)
class _Engagement:
    """One scorable event: its type, its full points and when it happened."""

    kind: str
    points: float
    at: datetime


def stage_rank(stage: str) -> int:
    """lead 0, mql 1, sql 2; anything unknown ranks as lead."""
    return STAGES.index(stage) if stage in STAGES else 0  # type: ignore[arg-type]


def decay(points: float, at: datetime, now: datetime, half_life_days: float) -> float:
    """Points of an event `at`, as they count at `now`: halved every half-life; future events count in full."""
    age_days = max(0.0, (now - at).total_seconds() / 86400)
    return points * 0.5 ** (age_days / half_life_days)


def score_lead(lead: LeadFields, events: Sequence[Mapping[str, Any]], scoring: Scoring, now: datetime,
               current_stage: str = "lead") -> ScoreResult:
    """Fit plus decayed, capped engagement at `now`; the stage reached, never below `current_stage`."""
    fit_reasons = [ScoreReason(rule=rule.id, points=round(rule.points, 2))
                   for rule in scoring.fit if matches(rule.if_, lead)]
    by_type = _engagement_by_type(_scorable(events, scoring), scoring, _utc(now))
    engagement_reasons = [ScoreReason(rule=f"engagement:{kind}", points=points)
                          for kind, points in sorted(by_type.items()) if points != 0]
    fit = round(sum(reason.points for reason in fit_reasons), 2)
    engagement = round(sum(reason.points for reason in engagement_reasons), 2)
    score = round(fit + engagement, 2)
    stage = max(_stage_reached(score, scoring), current_stage, key=stage_rank)
    return ScoreResult(fit=fit, engagement=engagement, score=score, stage=stage,
                       reasons=fit_reasons + engagement_reasons, rose=stage_rank(stage) > stage_rank(current_stage))


def next_refresh_at(events: Sequence[Mapping[str, Any]], scoring: Scoring, now: datetime) -> datetime | None:
    """When decay will have moved the engagement by a point (at most a day away); None without engagement."""
    scorable, start = _scorable(events, scoring), _utc(now)
    current = _engagement_by_type(scorable, scoring, start)
    if not any(current.values()):
        return None
    moment = start
    while moment - start < REFRESH_AT_LEAST_EVERY:
        moment += REFRESH_STEP
        later = _engagement_by_type(scorable, scoring, moment)
        if _drift(current, later) >= REFRESH_DRIFT_POINTS:
            return moment
    return start + REFRESH_AT_LEAST_EVERY


def _stage_reached(score: float, scoring: Scoring) -> str:
    if score >= scoring.sql:
        return "sql"
    return "mql" if score >= scoring.mql else "lead"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scorable(events: Sequence[Mapping[str, Any]], scoring: Scoring) -> list[_Engagement]:
    """Events of a type the config scores, with a readable time; the others score nothing."""
    scorable: list[_Engagement] = []
    for event in events:
        kind, at = str(event.get("type")), event.get("at")
        rule = scoring.engagement.get(kind)
        if rule is None or not isinstance(at, str):
            continue
        try:
            scorable.append(_Engagement(kind, rule.points, parse_iso(at)))
        except ValueError:
            continue  # intake validates times; an unreadable one must not make the lead unscorable
    return scorable


def _engagement_by_type(scorable: Sequence[_Engagement], scoring: Scoring, now: datetime) -> dict[str, float]:
    """Per event type: decayed points summed, capped, rounded to cents (what the reasons show)."""
    decayed: dict[str, list[float]] = defaultdict(list)
    for event in scorable:
        decayed[event.kind].append(decay(event.points, event.at, now, scoring.half_life_days))
    # fsum is exact whatever the order of the events, so the same inputs always give the same cents.
    return {kind: round(_capped(math.fsum(points), scoring.engagement[kind].max), 2)
            for kind, points in decayed.items()}


def _capped(total: float, cap: float | None) -> float:
    """The cap bounds the magnitude: positive totals from above, negative ones from below."""
    if cap is None:
        return total
    cents = _cents_within(cap)
    return max(-cents, min(cents, total))


def _cents_within(cap: float) -> float:
    """The largest whole-cent amount not above the cap, so a capped reason rounded to cents never exceeds it."""
    cents = round(cap, 2)
    return cents if cents <= cap else round(cents - 0.01, 2)


def _drift(before: Mapping[str, float], after: Mapping[str, float]) -> float:
    return sum(abs(after.get(kind, 0.0) - points) for kind, points in before.items())
