"""Reconciliation: the Meta leads a webhook never brought, found by polling each form and stored through the same
path as a webhook lead, marked `recovered: "poll"`.

Every form a lead came from, and every form of the Pages the owner lists (`meta.pages`), is polled when due (hourly
by default) for the leads created since its watermark, less an hour of overlap; the platform id makes each lead
exactly once whichever comes first, the webhook or the poll, and whatever runs twice. Each Page's app subscription
is checked as often. A rate-limited call backs off (doubling); every failure is kept, in words, for the source
health, and the next poll tries again."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from leadwire.clock import iso, parse_iso
from leadwire.config import Config
from leadwire.errors import LeadwireError
from leadwire.followup.rep_links import RepLinks
from leadwire.intake.dedupe import accept
from leadwire.intake.normalize import keep_what_is_valid
from leadwire.intake.sources import meta
from leadwire.outbound.graph import GraphClient, GraphError, LeadsSource
from leadwire.outbound.notify import Notifier
from leadwire.runtime.settings import Settings
from leadwire.store import sources
from leadwire.store.leads import LeadRepository, ref_keys
from leadwire.store.sources import FormState, PageState
from leadwire.store.table import Store

logger = Logger(child=True)

OVERLAP = timedelta(hours=1)  # leads can reach the API a little after their created time: ask again for the last hour
RATE_LIMIT_BACKOFF = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=6)
RESERVE_MS = 30_000  # what the sweep keeps for its other work
POLL_BUDGET_S = 90.0  # at most this much of a sweep: reminders and escalations must not wait on a backlog


@dataclass
class PollReport:
    pages_checked: int = 0
    forms_polled: int = 0
    leads_seen: int = 0
    recovered: int = 0
    unsubscribed: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"pages_checked": self.pages_checked, "forms_polled": self.forms_polled,
                "leads_seen": self.leads_seen, "recovered": self.recovered, "unsubscribed": self.unsubscribed,
                "errors": dict(self.errors)}


def graph_client(settings: Settings) -> GraphClient | None:
    token = settings.meta_page_token.get_secret_value()
    return GraphClient(settings.meta_graph_url, token, settings.meta_graph_timeout_s) if token else None


@dataclass
class Poll:
    """One reconciliation run at the sweep's instant `now`."""

    store: Store
    graph: LeadsSource
    config: Config
    now: datetime
    default_region: str | None = None
    app_id: str = ""
    notifier: Notifier | None = None
    links: RepLinks | None = None
    time_left_ms: Callable[[], int] = lambda: 120_000
    report: PollReport = field(default_factory=PollReport)
    deadline: float = 0.0  # time.monotonic() by which this run stops asking Meta

    @property
    def every(self) -> timedelta:
        return timedelta(minutes=self.config.meta.poll_every_minutes)

    def run(self, reserve_ms: int = RESERVE_MS) -> PollReport:
        """Every due Page check and form poll within the poll's share of the sweep; what is cut short (a form's
        later pages) is read again by the next poll, from the same watermark."""
        self.deadline = time.monotonic() + max(1.0, min(POLL_BUDGET_S, (self.time_left_ms() - reserve_ms) / 1000))
        known_forms = sources.forms(self.store)
        listed = set(self.config.meta.pages)
        pages = {page.page_id: page for page in sources.pages(self.store)}
        for page_id in sorted(listed | {form.page_id for form in known_forms if form.page_id}):
            if time.monotonic() >= self.deadline:
                return self.report
            page = pages.get(page_id) or PageState(page_id)
            if page.next_at is None or parse_iso(page.next_at) <= self.now:
                self._check_page(page, page_id in listed)
        for form in sources.forms(self.store):
            if time.monotonic() >= self.deadline:
                return self.report
            if form.next_at is None or parse_iso(form.next_at) <= self.now:
                self._poll_form(form)
        return self.report

    # --- a Page: is our app still subscribed; which forms does it have ------------------------------------------
    def _check_page(self, page: PageState, listed: bool) -> None:
        if not sources.claim_page(self.store, page.page_id, page.next_at, iso(self.now + self.every)):
            return  # another sweep is checking it
        self.report.pages_checked += 1
        asking = "subscription"
        try:
            apps = self.graph.subscribed_apps(page.page_id, self.deadline)
            subscribed = any(_gets_leads(app, self.app_id) for app in apps)
            asking = "forms"
            if listed:
                for form in self.graph.page_forms(page.page_id, self.deadline):
                    if isinstance(form.get("id"), str) and form["id"].isdigit():
                        sources.register_form(self.store, form["id"], page.page_id, iso(self.now),
                                              _text(form.get("name")), _text(form.get("status")))
        except GraphError as refused:
            self._failed(refused, page.rate_limited, asking, {"page_id": page.page_id},
                         lambda error, retry, limited: sources.page_failed(self.store, page.page_id, iso(self.now),
                                                                           error, retry, limited))
            return
        sources.page_checked(self.store, page.page_id, iso(self.now), subscribed, listed)
        if not subscribed:
            self.report.unsubscribed.append(page.page_id)
            # the template counts this line into its NeedsAttention metric and alarm
            logger.warning("Meta Page not subscribed to leadgen", extra={"page_id": page.page_id,
                                                                       "subscription": "missing"})

    # --- a form: every lead since the watermark, each stored once ---------------------------------------------
    def _poll_form(self, form: FormState) -> None:
        if not sources.claim_form(self.store, form, iso(self.now + self.every)):
            return  # another sweep is polling it
        self.report.forms_polled += 1
        since = self._since(form)
        recovered = 0
        try:
            for page in self.graph.form_leads(form.form_id, int(since.timestamp()), self.deadline):
                for node in page:
                    recovered += self._store(node, form)
        except GraphError as refused:
            self._failed(refused, form.rate_limited, "leads", {"form_id": form.form_id},
                         lambda error, retry, limited: sources.form_failed(self.store, form.form_id, iso(self.now),
                                                                           error, retry, limited))
            return
        finally:
            self.report.recovered += recovered
            if recovered:  # the template counts this line into NeedsAttention (by `recovered`)
                logger.warning("Meta leads recovered by poll", extra={"form_id": form.form_id,
                                                                      "recovered": recovered})
        sources.form_polled(self.store, form.form_id, iso(self.now), iso(self.now))

    def _since(self, form: FormState) -> datetime:
        if form.watermark:
            return parse_iso(form.watermark) - OVERLAP
        first_seen = parse_iso(form.first_seen_at) if form.first_seen_at else self.now
        return first_seen - timedelta(hours=self.config.meta.first_poll_hours) - OVERLAP

    def _store(self, node: dict[str, Any], form: FormState) -> int:
        """1 when this poll stored the lead, 0 when it was known (by its platform id) or could not be read."""
        leadgen_id = meta.lead_id_of(node)
        if leadgen_id is None:
            self.report.errors["unreadable lead"] += 1
            return 0
        self.report.leads_seen += 1
        leads = LeadRepository(self.store)
        if any(leads.owner_if_there(key) for key in ref_keys("meta", [leadgen_id])):
            return 0  # the webhook brought it (or an earlier poll did)
        ref = meta.MetaLeadRef(leadgen_id=leadgen_id, page_id=form.page_id, form_id=form.form_id)
        try:
            lead = keep_what_is_valid(meta.map_graph_lead(node, ref), self.default_region)
        except LeadwireError as unreadable:
            self.report.errors["unreadable lead"] += 1
            logger.warning("polled Meta lead not stored", extra={"form_id": form.form_id,
                                                                 "reason": unreadable.message})
            return 0
        accepted = accept(lead.model_copy(update={"recovered": "poll"}), self.store, self.now, self.notifier,
                          self.links)
        return 1 if accepted.outcome != "duplicate" else 0

    def _failed(self, refused: GraphError, limited_before: int, what: str, ids: dict[str, str],
                record: Callable[[str, str, bool], None]) -> None:
        words = explain(refused, what)
        if refused.rate_limited:
            wait = max(RATE_LIMIT_BACKOFF * 2 ** limited_before, timedelta(seconds=refused.retry_after_s or 0))
            retry_at = self.now + min(wait, MAX_BACKOFF)
        else:
            retry_at = self.now + self.every
        record(words, iso(retry_at), refused.rate_limited)
        self.report.errors["rate limited" if refused.rate_limited else f"{what} refused"] += 1
        logger.warning("Meta reconciliation call failed", extra={**ids, "asking": what, "code": refused.code,
                                                                  "rate_limited": refused.rate_limited})


def _gets_leads(app: dict[str, Any], app_id: str) -> bool:
    """An app subscribed to the Page's `leadgen` field (ours, when the stack knows its app id)."""
    fields = app.get("subscribed_fields")
    has_leadgen = isinstance(fields, list) and "leadgen" in fields
    return has_leadgen and (not app_id or str(app.get("id")) == app_id)


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) else None


# Graph error codes that mean a missing permission, and what each call needs.
PERMISSION_CODES = frozenset({10}) | frozenset(range(200, 300))
NEEDS = {"leads": "the Page token lacks leads_retrieval (or Leads Access Manager does not let this app read leads)",
         "subscription": "the Page token lacks pages_manage_metadata (needed to see the Page's app subscription)",
         "forms": "the Page token lacks pages_manage_ads or pages_show_list (needed to list the Page's forms)"}
WHAT = {"leads": "form", "subscription": "Page", "forms": "Page"}


def explain(refused: GraphError, what: str) -> str:
    """What went wrong, in words an owner can act on."""
    if refused.rate_limited:
        return f"Meta rate-limited the call (code {refused.code}); leadwire waits and tries again"
    if refused.code == 190:
        return "the token is invalid or has expired: renew META_PAGE_TOKEN"
    if refused.code in PERMISSION_CODES:
        return NEEDS[what]
    if refused.code == 100:
        return f"Meta does not know this {WHAT[what]} or the token cannot see it ({refused.message})"
    return f"the Graph API failed: {refused.message}"


def poll_due(store: Store, settings: Settings, config: Config, now: datetime, time_left_ms: Callable[[], int],
             notifier: Notifier | None = None, links: RepLinks | None = None,
             graph: LeadsSource | None = None) -> dict[str, Any]:
    """The sweep's part: every Page check and form poll due at `now` (nothing without a Page token)."""
    graph = graph or graph_client(settings)
    if graph is None:
        return {"skipped": "META_PAGE_TOKEN is not set"}
    poll = Poll(store, graph, config, now, settings.default_region, settings.meta_app_id, notifier, links,
                time_left_ms)
    return poll.run().as_dict()
