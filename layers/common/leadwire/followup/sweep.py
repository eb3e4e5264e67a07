"""One scheduled run: the follow-up steps wired to assignment, Meta enrichment and background re-scoring."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadwire.clock import parse_iso
from leadwire.followup import unsubscribe
from leadwire.followup.plan import Sweep
from leadwire.outbound.notify import Notifier
from leadwire.routing.assignment import Assigner
from leadwire.runtime.settings import Settings
from leadwire.scoring import rescore
from leadwire.store.table import Store


def run_sweep(time: str, store: Store, notifier: Notifier, settings: Settings, time_left_ms: Callable[[], int],
              page_size: int = 25) -> dict[str, Any]:
    """Everything due up to `time` (the schedule's instant, never the wall clock), until time runs short."""
    now = parse_iso(time)
    assigner = Assigner(store, notifier, settings.public_base_url)
    secret = settings.unsubscribe_secret.get_secret_value()
    sweep = Sweep(
        store=store, notifier=notifier, config=assigner.config, now=now, base_url=settings.public_base_url,
        unsubscribe_url=lambda lead_id: unsubscribe.link(settings.public_base_url, secret, lead_id),
        reassign=lambda lead, at: assigner.reassign(lead, at),
        enrich=lambda lead, at: _enrich(lead, at, store, settings),
    )
    report = sweep.run(time_left_ms, page_size=page_size)
    rescored = rescore.continue_rescore(store, now)
    return {"at": time, **report.as_dict(), "rescored": rescored}


def _enrich(lead: dict[str, Any], at: datetime, store: Store, settings: Settings) -> bool:
    from leadwire.intake import doors  # the parsers of every source, needed only when a Meta lead awaits its details

    return doors.enrich(lead, at, store, settings)
