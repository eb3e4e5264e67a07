"""Scoring a stored lead: read its inputs, compute, write back only if the inputs are still the ones read."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.config import Config, load_config
from leadwire.followup import plan
from leadwire.lead import OPEN_STATUSES
from leadwire.outbound.notify import Notifier
from leadwire.owner import reports
from leadwire.scoring.score import next_refresh_at, score_lead, stage_rank
from leadwire.store import timeline
from leadwire.store.table import LIST_PK, ConditionFailed, Store, Update, lead_key

logger = Logger(child=True)


def rescore(lead_id: str, store: Store, notifier: Notifier, seen_at: datetime,
            versioned: tuple[int, Config] | None = None) -> bool:
    """Score the lead if its inputs changed since the last scoring; True when this call wrote the score.
    `versioned` is the config in force with its version, when the caller already read it (once per batch)."""
    lead = store.get(lead_key(lead_id))
    if lead is None or "score_due" not in lead:
        return False  # erased, or a redelivered record whose work is already done
    # "now" is the latest instant known for this lead, so a replayed sweep far in the future decays as it should.
    now = max(seen_at, parse_iso(lead["score_as_of"])) if lead.get("score_as_of") else seen_at
    version, config = versioned or load_config(store)
    events = list(store.query_all(f"LEAD#{lead_id}", "EVT#"))
    result = score_lead(lead, events, config.scoring, now, current_stage=lead.get("stage", "lead"))
    refresh = next_refresh_at(events, config.scoring, now)
    reasons = [reason.model_dump() for reason in result.reasons]
    changes = {"score": result.score, "fit": result.fit, "engagement": result.engagement, "stage": result.stage,
               "score_reasons": reasons, "config_version": version, "scored_at": iso(now),
               "score_refresh_at": iso(refresh) if refresh else None}
    due = plan.due_fields({**lead, **changes}, config)
    update = (Update().set(**changes, **due, updated_at=iso(now)).remove("score_due", "score_as_of")
              .when("#inputs_version = :seen", seen=lead["inputs_version"]))
    entry = timeline.entry(lead_id, iso(now), "scored", "score", score=result.score, stage=result.stage,
                           reasons=reasons, config_version=version)
    was, now_rank = stage_rank(lead.get("stage", "lead")), stage_rank(result.stage)
    reached = {stage: 1 for stage in ("mql", "sql") if was < stage_rank(stage) <= now_rank}
    try:
        if reached:  # the funnel counts a stage exactly once, so it moves in the same transaction as the stage
            store.transact([store.update_action(lead_key(lead_id), update), store.put_action(entry),
                            reports.count_action(store, lead, **reached)])
        else:  # most re-scores: a plain conditional write costs half a transaction; the timeline entry follows it
            store.update(lead_key(lead_id), update)
            store.put(entry)
    except ConditionFailed:
        logger.info("inputs changed while scoring; the newer change will be scored", extra={"lead_id": lead_id})
        return False
    if result.rose:
        notifier.publish("lead.qualified", {"lead_id": lead_id, "stage": result.stage, "score": result.score,
                                            "source": lead["source"]})
    logger.info("lead scored", extra={"lead_id": lead_id, "stage": result.stage})
    return True


RESCORE_JOB = {"pk": "JOB", "sk": "RESCORE"}


def queue_rescore(store: Store, config_version: int, at: str) -> bool:
    """Ask the follow-up sweep to re-score every open lead under the new config, in bounded resumable batches."""
    store.put({**RESCORE_JOB, "config_version": config_version, "queued_at": at})
    return True


def continue_rescore(store: Store, now: datetime, batch: int = 100) -> int:
    """One bounded batch of the queued re-scoring; the job item keeps its cursor, so the next sweep resumes."""
    job = store.get(RESCORE_JOB)
    if job is None:
        return 0
    keys, cursor = store.query_index("by_created", "list_pk", LIST_PK, range_name="created_at", limit=batch,
                                     cursor=job.get("cursor"), newest_first=True)
    marked = 0
    for key in keys:
        if key.get("status") not in OPEN_STATUSES:
            continue
        mark = Update().set(score_due=1, score_as_of=iso(now)).add(inputs_version=1).when("attribute_exists(pk)")
        with suppress(ConditionFailed):  # erased meanwhile
            store.update({"pk": key["pk"], "sk": key["sk"]}, mark)
            marked += 1
    if cursor:
        # A newer PUT /config replaces the job; only move the cursor of the job we read.
        with suppress(ConditionFailed):
            store.update(RESCORE_JOB, Update().set(cursor=cursor).when("#queued_at = :seen", seen=job["queued_at"]))
    else:
        with suppress(ConditionFailed):
            store.delete(RESCORE_JOB, "queued_at = :seen", seen=job["queued_at"])
    return marked
