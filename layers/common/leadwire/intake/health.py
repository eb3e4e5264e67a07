"""Source health: for each Meta Page and its forms, whether our app is subscribed, when the last webhook and the
last poll succeeded, the leads that came by webhook and those a poll recovered over the last 7 and 30 days, and the
last error in words, with what the owner should do about each problem."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.runtime.settings import Settings
from leadwire.store import sources
from leadwire.store.sources import FormState, PageState
from leadwire.store.table import Store

WINDOWS = {"last_7_days": 7, "last_30_days": 30}
UNSUBSCRIBED = ("our app is not subscribed to this Page's leadgen webhook: new leads arrive only by the poll. "
                "Subscribe it again (needs pages_manage_metadata)")


def report(store: Store, settings: Settings, config: Config, now: datetime) -> dict[str, Any]:
    forms = sources.forms(store)
    pages = {page.page_id: page for page in sources.pages(store)}
    page_ids = sorted(set(pages) | set(config.meta.pages) | {form.page_id for form in forms if form.page_id})
    shown_pages = []
    for page_id in page_ids:
        of_page = [_form(store, form, now) for form in forms if form.page_id == page_id]
        shown_pages.append(_page(pages.get(page_id) or PageState(page_id), page_id in config.meta.pages, of_page))
    orphans = [_form(store, form, now) for form in forms if not form.page_id]
    if orphans:
        shown_pages.append(_page(PageState("unknown"), False, orphans))
    return {"as_of": iso(now), "polling": _polling(settings, config), "conversions": _conversions(settings),
            "pages": shown_pages, "problems": _problems(settings, shown_pages)}


def _polling(settings: Settings, config: Config) -> dict[str, Any]:
    return {"every_minutes": config.meta.poll_every_minutes, "pages_listed": config.meta.pages,
            "page_token": bool(settings.meta_page_token.get_secret_value())}


def _conversions(settings: Settings) -> dict[str, Any]:
    return {"dataset_id": settings.meta_dataset_id or None,
            "token": bool(settings.meta_capi_token.get_secret_value())}


def _form(store: Store, form: FormState, now: datetime) -> dict[str, Any]:
    today = now.date()
    counts = sources.day_counts(store, form.form_id, (today - timedelta(days=29)).isoformat(), today.isoformat())
    leads = {}
    for name, days in WINDOWS.items():
        start = (today - timedelta(days=days - 1)).isoformat()
        leads[name] = {via: sum(day[via] for at, day in counts.items() if at >= start) for via in ("webhook", "poll")}
    return {"form_id": form.form_id, "name": form.name, "status": form.status, "first_seen_at": form.first_seen_at,
            "last_webhook_at": form.last_webhook_at, "last_poll_at": form.last_poll_at,
            "next_poll_at": form.next_at, "watermark": form.watermark,
            "last_error": _error(form.last_error, form.last_error_at, form.last_poll_at), "leads": leads}


def _page(page: PageState, listed: bool, forms: list[dict[str, Any]]) -> dict[str, Any]:
    leads = {name: {via: sum(form["leads"][name][via] for form in forms) for via in ("webhook", "poll")}
             for name in WINDOWS}
    return {"page_id": page.page_id, "listed": listed, "subscribed": page.subscribed,
            "subscription_checked_at": page.checked_at, "next_check_at": page.next_at,
            "last_webhook_at": max((form["last_webhook_at"] for form in forms if form["last_webhook_at"]),
                                   default=None),
            "last_poll_at": max((form["last_poll_at"] for form in forms if form["last_poll_at"]), default=None),
            "last_error": _error(page.last_error, page.last_error_at, page.checked_at), "leads": leads,
            "forms": forms}


def _error(message: str | None, at: str | None, last_success_at: str | None) -> dict[str, Any] | None:
    """The last error and whether it still stands (nothing succeeded since)."""
    if not message:
        return None
    return {"message": message, "at": at, "current": not (last_success_at and at and last_success_at > at)}


def _problems(settings: Settings, pages: list[dict[str, Any]]) -> list[str]:
    """What the owner should look at, in words."""
    problems = []
    if not settings.meta_page_token.get_secret_value():
        problems.append("META_PAGE_TOKEN is not set: no Page is checked and no form is polled")
    for page in pages:
        if page["subscribed"] is False:
            problems.append(f"Page {page['page_id']}: {UNSUBSCRIBED}")
        if page["last_error"] and page["last_error"]["current"]:
            problems.append(f"Page {page['page_id']}: {page['last_error']['message']}")
        for form in page["forms"]:
            if form["last_error"] and form["last_error"]["current"]:
                problems.append(f"Form {form['form_id']}: {form['last_error']['message']}")
    return problems
