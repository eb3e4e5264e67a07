"""The score as a ledger: fit from the rules, engagement from events that fade with a half-life, and one reason
per rule or event type whose points add up exactly to the score."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadwire.clock import parse_iso
from leadwire.config import Scoring
from leadwire.models import STAGES, ScoreReason
from leadwire.rules import matches

# Re-score when decayed engagement has drifted by this many points, and at least this often while any remains.
REFRESH_DRIFT_POINTS = 1.0
REFRESH_AT_LEAST_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class ScoreResult:
    fit: float
    engagement: float
    score: float
    stage: str
    reasons: list[ScoreReason]
    rose: bool


def stage_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else 0  # type: ignore[arg-type]


def decay(points: float, at: datetime, now: datetime, half_life_days: float) -> float:
    """Points of an event `at`, as they count at `now`: halved every half-life; future events count in full."""
    age_days = max(0.0, (now - at).total_seconds() / 86400)
    return points * 0.5 ** (age_days / half_life_days)


def _capped(total: float, cap: float | None) -> float:
    if cap is None:
        return total
    return max(-cap, min(cap, total))


def engagement_by_type(events: Sequence[Mapping[str, Any]], scoring: Scoring, now: datetime) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for event in events:
        rule = scoring.engagement.get(str(event.get("type")))
        if rule is None:
            continue
        totals[event["type"]] += decay(rule.points, parse_iso(event["at"]), now, scoring.half_life_days)
    return {kind: _capped(total, scoring.engagement[kind].max) for kind, total in totals.items()}


def score_lead(lead: Mapping[str, Any], events: Sequence[Mapping[str, Any]], scoring: Scoring, now: datetime,
               current_stage: str = "lead") -> ScoreResult:
    fit_reasons = [ScoreReason(rule=rule.id, points=round(rule.points, 2))
                   for rule in scoring.fit if matches(rule.if_, lead)]
    engagement_reasons = [ScoreReason(rule=f"engagement:{kind}", points=round(points, 2))
                          for kind, points in sorted(engagement_by_type(events, scoring, now).items())
                          if round(points, 2) != 0]
    fit = round(sum(reason.points for reason in fit_reasons), 2)
    engagement = round(sum(reason.points for reason in engagement_reasons), 2)
    score = round(fit + engagement, 2)
    reached = "sql" if score >= scoring.sql else "mql" if score >= scoring.mql else "lead"
    stage = max(reached, current_stage, key=stage_rank)
    return ScoreResult(fit=fit, engagement=engagement, score=score, stage=stage,
                       reasons=fit_reasons + engagement_reasons, rose=stage_rank(stage) > stage_rank(current_stage))


def next_refresh_at(events: Sequence[Mapping[str, Any]], scoring: Scoring, now: datetime) -> datetime | None:
    """When decay will have moved the engagement by a point (at most a day away); None without engagement."""
    current = sum(engagement_by_type(events, scoring, now).values())
    if round(current, 2) == 0:
        return None
    step = timedelta(hours=1)
    moment = now
    while moment - now < REFRESH_AT_LEAST_EVERY:
        moment += step
        if abs(sum(engagement_by_type(events, scoring, moment).values()) - current) >= REFRESH_DRIFT_POINTS:
            return moment
    return now + REFRESH_AT_LEAST_EVERY
