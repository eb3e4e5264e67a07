"""Meta's Graph API: the one outbound call that fetches a lead's answers by its `leadgen_id`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Protocol
from urllib.error import URLError
from urllib.request import Request, urlopen

from aws_lambda_powertools import Logger

from leadwire.intake.sources import meta

logger = Logger(child=True)

MAX_PARALLEL = 8  # a notification batches a few changes; more than this wait for a free worker


class LeadSource(Protocol):
    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        """The Graph API's lead node, or None when the call failed (the sweep tries again later)."""


class GraphClient:
    def __init__(self, base_url: str, page_token: str, timeout_s: float) -> None:
        self.base_url = base_url
        self.page_token = page_token
        self.timeout_s = timeout_s

    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        url = meta.graph_lead_url(self.base_url, leadgen_id, self.page_token)
        try:
            with urlopen(Request(url, headers={"Accept": "application/json"}), timeout=self.timeout_s) as answer:
                payload = json.load(answer)
        except (URLError, TimeoutError, OSError, ValueError) as error:
            logger.warning("Graph API fetch failed", extra={"error": type(error).__name__})
            return None
        return payload if isinstance(payload, dict) else None


def leads_within(source: LeadSource, leadgen_ids: Sequence[str], budget_s: float) -> dict[str, dict[str, Any] | None]:
    """Fetch every lead at once and wait at most `budget_s` in total (a socket timeout bounds each read, not the
    whole answer: a Graph API that trickles could hold a call far longer). The answer maps each id that was answered
    in time to its node, or None for a failed call; an id missing from it was not answered in time."""
    wanted = list(dict.fromkeys(leadgen_ids))
    if not wanted:
        return {}
    pool = ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(wanted)), thread_name_prefix="graph")
    try:
        futures = {pool.submit(source.lead, leadgen_id): leadgen_id for leadgen_id in wanted}
        _, late = wait(futures, timeout=budget_s)
        answered: dict[str, dict[str, Any] | None] = {}
        for future, leadgen_id in futures.items():
            if future.done():
                answered[leadgen_id] = None if future.exception() else future.result()
        if late:
            logger.warning("Graph API too slow; the sweep fetches the rest", extra={"late": len(late)})
        return answered
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a late call is left to finish on its own; nobody reads it
