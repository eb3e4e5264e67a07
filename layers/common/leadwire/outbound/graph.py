"""Meta's Graph API: a lead's answers by its `leadgen_id`, and for reconciliation a form's leads since an instant, a
Page's forms and app subscriptions, and the Conversions API's events. The token goes in a header or the body, never
in a URL; nothing a lead says is logged."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import Request, urlopen

from aws_lambda_powertools import Logger

from leadwire.intake.sources import meta

logger = Logger(child=True)

MAX_PARALLEL = 8  # a notification batches a few changes; more than this wait for a free worker


class LeadSource(Protocol):
    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        """The Graph API's lead node, or None when the call failed (the sweep tries again later)."""


# Rate limits: LeadGen (80005) and Pages (80001) business use cases; app (4), user (17), Page (32), custom (613).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80005})
PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 leads of one form in one poll: far beyond a small business's hour, and never an endless loop


class GraphError(Exception):
    """The Graph API refused or did not answer: its error code (None when it never answered) and, for a rate limit,
    how long Meta says to wait."""

    def __init__(self, message: str, code: int | None = None, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.status, self.retry_after_s = message, code, status, retry_after_s

    @property
    def rate_limited(self) -> bool:
        return self.code in RATE_LIMIT_CODES


class LeadsSource(Protocol):
    """What the reconciliation poll and the Conversions API sender need of the Graph API."""

    def form_leads(self, form_id: str, since_epoch: int, deadline: float) -> Iterator[list[dict[str, Any]]]:
        """The form's leads created after `since_epoch`, one page at a time (every page, up to `deadline`)."""

    def page_forms(self, page_id: str, deadline: float) -> list[dict[str, Any]]: ...

    def subscribed_apps(self, page_id: str, deadline: float) -> list[dict[str, Any]]: ...

    def send_events(self, dataset_id: str, events: list[dict[str, Any]], deadline: float) -> dict[str, Any]: ...


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

    # --- reconciliation and the Conversions API -----------------------------------------------------------------
    def form_leads(self, form_id: str, since_epoch: int, deadline: float) -> Iterator[list[dict[str, Any]]]:
        """`GET /{form_id}/leads` filtered by `time_created`, following `paging.next` until it is absent (a short
        page is not the end); a `next` pointing anywhere but the Graph API is refused, so the token never leaves."""
        filtering = json.dumps([{"field": "time_created", "operator": "GREATER_THAN", "value": since_epoch}])
        url: str | None = self._url(form_id, "leads", fields=",".join(meta.GRAPH_FIELDS), filtering=filtering,
                                    limit=str(PAGE_SIZE))
        for _ in range(MAX_PAGES):
            if url is None:
                return
            answer = self._call(url, deadline)
            data = answer.get("data")
            yield [node for node in data if isinstance(node, dict)] if isinstance(data, list) else []
            url = self._next(answer)
        raise GraphError(f"more than {MAX_PAGES} pages of leads in one poll")

    def page_forms(self, page_id: str, deadline: float) -> list[dict[str, Any]]:
        """`GET /{page_id}/leadgen_forms`: every form of the Page (id, name, status, leads_count)."""
        url: str | None = self._url(page_id, "leadgen_forms", fields="id,name,status,leads_count", limit="100")
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return found
            answer = self._call(url, deadline)
            found += [form for form in answer.get("data") or [] if isinstance(form, dict)]
            url = self._next(answer)
        raise GraphError(f"more than {MAX_PAGES} pages of forms")

    def subscribed_apps(self, page_id: str, deadline: float) -> list[dict[str, Any]]:
        """`GET /{page_id}/subscribed_apps`: the apps that get the Page's webhooks, with their subscribed fields."""
        answer = self._call(self._url(page_id, "subscribed_apps"), deadline)
        return [app for app in answer.get("data") or [] if isinstance(app, dict)]

    def send_events(self, dataset_id: str, events: list[dict[str, Any]], deadline: float) -> dict[str, Any]:
        """`POST /{dataset_id}/events` with `data` as JSON: Meta's Conversions API."""
        body = urlencode({"data": json.dumps(events, separators=(",", ":"))}).encode()
        return self._call(self._url(dataset_id, "events"), deadline, body)

    def _url(self, node: str, edge: str, **query: str) -> str:
        path = f"{self.base_url.rstrip('/')}/{quote(node, safe='')}/{edge}"
        return f"{path}?{urlencode(query)}" if query else path

    def _next(self, answer: dict[str, Any]) -> str | None:
        paging = answer.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        if not isinstance(following, str) or not following:
            return None
        ours, theirs = urlsplit(self.base_url), urlsplit(following)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise GraphError("the Graph API's next page points to another host")
        return following

    def _call(self, url: str, deadline: float, body: bytes | None = None) -> dict[str, Any]:
        """One request within what is left of `deadline` (time.monotonic); the answer, or GraphError."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise GraphError("the sweep ran out of time before every page was read; the next poll goes on")
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self.page_token}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = Request(url, data=body, method="POST" if body is not None else "GET", headers=headers)
        try:
            with urlopen(request, timeout=min(self.timeout_s, left)) as answer:
                payload = json.load(answer)
        except HTTPError as refused:
            raise _graph_error(refused) from None
        except (URLError, TimeoutError, OSError, ValueError) as error:
            logger.warning("Graph API call failed", extra={"error": type(error).__name__})
            raise GraphError(f"the Graph API did not answer ({type(error).__name__})") from None
        if not isinstance(payload, dict):
            raise GraphError("the Graph API answered something that is not a JSON object")
        return payload


def _graph_error(refused: HTTPError) -> GraphError:
    """Graph's error envelope `{"error": {"message", "type", "code"}}` and, when rate limited, the wait Meta gives
    in `X-Business-Use-Case-Usage` (`estimated_time_to_regain_access`, minutes)."""
    try:
        error = json.loads(refused.read() or b"{}").get("error") or {}
    except (ValueError, AttributeError, OSError):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = error.get("message") if isinstance(error.get("message"), str) else f"HTTP {refused.code}"
    logger.warning("Graph API refused a call", extra={"status": refused.code, "code": code})
    return GraphError(message, code, refused.code, _regain_access_s(refused.headers.get("x-business-use-case-usage")))


def _regain_access_s(usage: str | None) -> float | None:
    try:
        buckets = json.loads(usage) if usage else {}
        minutes = [entry.get("estimated_time_to_regain_access") for entries in buckets.values()
                   for entry in entries if isinstance(entry, dict)]
    except (ValueError, AttributeError, TypeError):
        return None
    waits = [float(minute) * 60 for minute in minutes if isinstance(minute, int | float) and minute > 0]
    return max(waits) if waits else None


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
