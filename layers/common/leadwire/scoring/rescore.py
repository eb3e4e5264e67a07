"""Scoring a stored lead: read its inputs, compute, write back only if the inputs are still the ones read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.config import Config
from leadwire.followup.plan import planner
from leadwire.outbound import conversions
from leadwire.outbound.delivery import Delivery
from leadwire.outbound.notify import Event, Notifier
from leadwire.scoring.score import next_refresh_at, score_lead, stage_rank
from leadwire.store import config as configs
from leadwire.store import outbox, timeline
from leadwire.store.leads import LeadRepository
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import Store

logger = Logger(child=True)


def rescore(lead_id: str, store: Store, notifier: Notifier, seen_at: datetime,
            versioned: tuple[int, Config] | None = None, delivery: Delivery | None = None) -> bool:
    """Score the lead if its inputs changed since the last scoring; True when this call wrote the score.
    `versioned` is the config in force with its version, and `delivery` the outbox's for the batch, when the caller
    has them (once per batch)."""
    version, config = versioned or configs.load_config(store)
    leads = LeadRepository(store, planner(config))
    lead = leads.get(lead_id)
    if lead is None:
        return False  # erased
    if lead.score_due is None:  # a redelivered record whose work is done: its entry too, should writing it have failed
        if lead.scored_at is not None:
            store.put(scored_entry(lead.id, lead.inputs_version, lead.scored_at, lead.score, lead.stage,
                                   [reason.model_dump() for reason in lead.score_reasons], lead.config_version))
        return False
    # "now" is the latest instant known for this lead, so a replayed sweep far in the future decays as it should.
    now = max(seen_at, parse_iso(lead.score_as_of)) if lead.score_as_of else seen_at
    events = timeline.events(store, lead_id)
    result = score_lead(lead, events, config.scoring, now, current_stage=lead.stage)
    refresh = next_refresh_at(events, config.scoring, now)
    reasons = [reason.model_dump() for reason in result.reasons]
    changes = {"score": result.score, "fit": result.fit, "engagement": result.engagement, "stage": result.stage,
               "score_reasons": reasons, "config_version": version, "scored_at": iso(now),
               "score_refresh_at": iso(refresh) if refresh else None, "updated_at": iso(now)}
    entry = scored_entry(lead_id, lead.inputs_version, iso(now), result.score, result.stage, reasons, version)
    was, now_rank = stage_rank(lead.stage), stage_rank(result.stage)
    reached = {stage: 1 for stage in ("mql", "sql") if was < stage_rank(stage) <= now_rank}
    facts = {"lead_id": lead_id, "stage": result.stage, "score": result.score, "source": lead.source}
    created = [Event("lead.created", {**facts, "created_at": lead.created_at})] if lead.scored_at is None else []
    qualified = [Event("lead.qualified", facts)] if result.rose else []  # a rise is always a reached stage
    told = outbox.intents(lead_id, now, *created, *qualified)  # the first score tells the bus the lead exists
    told += conversions.intents(lead, reached, config, now)  # each stage reached, back to Meta when mapped
    try:
        leads.score(lead, changes, entry, reached, told)
    except ChangedMeanwhile:
        logger.info("inputs changed while scoring; the newer change will be scored", extra={"lead_id": lead_id})
        return False
    (delivery or Delivery(store, notifier)).now(told)
    logger.info("lead scored", extra={"lead_id": lead_id, "stage": result.stage})
    return True


def scored_entry(lead_id: str, inputs_version: int, at: str, score: float, stage: str,
                 reasons: list[dict[str, Any]], config_version: int | None) -> dict[str, Any]:
    """The timeline entry of the scoring of these inputs, the same however often it is written."""
    return timeline.named_entry(lead_id, at, f"scored.{inputs_version}", "scored", "score", score=score, stage=stage,
                                reasons=reasons, config_version=config_version)


def continue_rescore(store: Store, now: datetime, batch: int = 100) -> int:
    """One bounded batch of the queued re-scoring; the job keeps its place, so the next sweep resumes."""
    job = configs.rescore_job(store)
    if job is None:
        return 0
    leads = LeadRepository(store)
    lead_ids, cursor = leads.open_page(job.get("cursor"), batch)
    marked = sum(leads.mark_score_due(lead_id, iso(now)) for lead_id in lead_ids)
    configs.advance_rescore_job(store, job, cursor)
    return marked
