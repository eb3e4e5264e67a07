"""A dry run of a candidate rules document (`POST /config/preview`): for the most recent leads, the score, stage and
owner each has under the rules in force and would have under the candidate, as saving and re-scoring would make
them. Nothing is written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.lead import OPEN_STATUSES, LeadRecord
from leadwire.owner import rules
from leadwire.pages.lead_view import person_name
from leadwire.routing.reps import Rep
from leadwire.routing.strategies import pick_pool
from leadwire.scoring.score import score_lead, stage_rank
from leadwire.store import timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_reps
from leadwire.store.table import Store

MAX_LEADS = 500
PAGE = 100
READERS = 8


@dataclass(frozen=True)
class Outcome:
    """Where a lead stands under one rules document: `pool` lists who could get an unowned lead it would route."""

    score: float
    stage: str
    owner: str | None
    pool: tuple[str, ...] | None = None


def outcome(lead: LeadRecord, events: Sequence[Mapping[str, Any]], config: Config, reps: Sequence[Rep],
            now: datetime) -> Outcome:
    """What re-scoring under `config` at `now` gives the lead (a closed lead is not re-scored), and whom the
    assignment that follows would choose from."""
    if lead.status not in OPEN_STATUSES:
        return Outcome(lead.score, lead.stage, lead.owner)
    result = score_lead(lead, events, config.scoring, now, current_stage=lead.stage)
    routed = lead.owner is None and lead.status == "new" and \
        stage_rank(result.stage) >= stage_rank(config.routing.assign_at)
    pool = tuple(rep.id for rep in pick_pool(lead, [rep for rep in reps if rep.active], config.routing)[1]) \
        if routed else None
    return Outcome(result.score, result.stage, lead.owner, pool)


def compare(leads: Sequence[tuple[LeadRecord, Sequence[Mapping[str, Any]]]], current: Config, candidate: Config,
            reps: Sequence[Rep], now: datetime) -> dict[str, Any]:
    """Each lead under both documents; the ones that change, and the counts of each kind of change."""
    changes, moves = [], Counter[tuple[str, str]]()
    scores_changed = routed_changed = 0
    for lead, events in leads:
        before, after = outcome(lead, events, current, reps, now), outcome(lead, events, candidate, reps, now)
        if before == after:
            continue
        if before.stage != after.stage:
            moves[(before.stage, after.stage)] += 1
        scores_changed += before.score != after.score
        routed_changed += before.pool != after.pool
        changes.append({"id": lead.id, "name": person_name(lead), "status": lead.status,
                        "now": _shown(before), "candidate": _shown(after)})
    return {"compared": len(leads), "changed": len(changes), "score_changes": scores_changed,
            "routing_changes": routed_changed,
            "moves": [{"from": was, "to": becomes, "count": count}
                      for (was, becomes), count in sorted(moves.items(), key=lambda move: -move[1])],
            "changes": changes}


def _shown(outcome: Outcome) -> dict[str, Any]:
    shown = asdict(outcome)
    shown["pool"] = list(outcome.pool) if outcome.pool is not None else None
    return shown


def preview(store: Store, candidate: Config, now: datetime, limit: int = MAX_LEADS) -> dict[str, Any]:
    """The dry run over the `limit` most recent leads; the candidate is checked as saving would check it."""
    rules.check(candidate)
    version, current = load_config(store)
    repository, leads, cursor = LeadRepository(store), [], None
    while len(leads) < limit:
        page = repository.page(min(PAGE, limit - len(leads)), cursor)
        leads += page.leads
        cursor = page.cursor
        if cursor is None:
            break
    # One query per open lead for its events: a few at once, so 500 leads fit the API's time limit on DynamoDB.
    with ThreadPoolExecutor(max_workers=READERS) as readers:
        events = list(readers.map(lambda lead: timeline.events(store, lead.id) if lead.status in OPEN_STATUSES
                                  else [], leads))
    read = list(zip(leads, events, strict=True))
    return {"as_of": iso(now), "config_version": version, "saved": False,
            **compare(read, current, candidate, load_reps(store), now)}
