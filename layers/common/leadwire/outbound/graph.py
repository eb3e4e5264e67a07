"""Meta's Graph API: the one outbound call that fetches a lead's answers by its `leadgen_id`."""

from __future__ import annotations

import json
from typing import Any, Protocol
from urllib.error import URLError
from urllib.request import Request, urlopen

from aws_lambda_powertools import Logger

from leadwire.intake.sources import meta

logger = Logger(child=True)


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
