"""Meta Lead Ads sources as the table keeps them: each Page (its subscription, when it was last checked), each form
(its page, its poll watermark and schedule, the last poll and webhook, the last error) and, per form and UTC day,
how many leads came by webhook and how many a poll recovered. Claims are conditional writes, so two sweeps never
poll one form at once; the counters move in the same transaction as the lead they count."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from leadwire.store import schema
from leadwire.store.table import ConditionFailed, Store, Update

Via = Literal["webhook", "poll"]
_FREE = "attribute_not_exists(#next_at) OR #next_at = :seen"


@dataclass(frozen=True)
class PageState:
    page_id: str
    subscribed: bool | None = None  # None until checked
    checked_at: str | None = None
    next_at: str | None = None  # when the next check (subscription, forms) is due
    forms_listed_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    rate_limited: int = 0  # rate-limit answers in a row: the backoff doubles with each


@dataclass(frozen=True)
class FormState:
    form_id: str
    page_id: str | None = None
    name: str | None = None
    status: str | None = None
    first_seen_at: str | None = None
    next_at: str | None = None  # when the next poll is due
    watermark: str | None = None  # the instant the last complete poll started; the next asks from an hour before
    last_poll_at: str | None = None
    last_webhook_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    rate_limited: int = 0


def _state(kind: type[Any], item: dict[str, Any], id_name: str, prefix: str) -> Any:
    known = {field.name for field in fields(kind)}
    values = {name: value for name, value in item.items() if name in known}
    return kind(**{**values, id_name: str(item["sk"]).removeprefix(prefix)})


def pages(store: Store) -> list[PageState]:
    items = store.query_all(schema.META_SOURCES, schema.META_PAGE_PREFIX)
    return [_state(PageState, item, "page_id", schema.META_PAGE_PREFIX) for item in items]


def forms(store: Store) -> list[FormState]:
    items = store.query_all(schema.META_SOURCES, schema.META_FORM_PREFIX)
    return [_state(FormState, item, "form_id", schema.META_FORM_PREFIX) for item in items]


def counted(store: Store, form_id: str, page_id: str | None, at: str, via: Via, first_poll_at: str,
            day: str) -> list[dict[str, Any]]:
    """Transaction actions for a lead stored from `form_id` at `at`: the form is known from now on (its first poll
    due at `first_poll_at`), its last webhook is `at` when the lead came by webhook, and the counter of `day` (the
    UTC day the person filled in the form) moves."""
    form = Update().set_if_absent(first_seen_at=at, next_at=first_poll_at)
    if page_id:
        form.set_if_absent(page_id=page_id)
    if via == "webhook":
        form.set(last_webhook_at=at)
    counter = Update().add(**{via: 1})
    return [store.update_action(schema.meta_form(form_id), form),
            store.update_action(schema.meta_form_day(form_id, day[:10]), counter)]


def register_form(store: Store, form_id: str, page_id: str, at: str, name: str | None, status: str | None) -> None:
    """A form of a Page the owner listed: known from now on, its first poll due at once."""
    update = Update().set_if_absent(first_seen_at=at, next_at=at).set(page_id=page_id, name=name, status=status)
    store.update(schema.meta_form(form_id), update)


def claim_form(store: Store, form: FormState, until: str) -> bool:
    """Take the form's due poll (the next one falls due at `until`); False when another sweep took it."""
    return _claim(store, schema.meta_form(form.form_id), form.next_at, until)


def claim_page(store: Store, page_id: str, seen_next_at: str | None, until: str) -> bool:
    return _claim(store, schema.meta_page(page_id), seen_next_at, until)


def _claim(store: Store, key: dict[str, str], seen: str | None, until: str) -> bool:
    try:
        store.update(key, Update().set(next_at=until).when(_FREE, seen=seen or ""))
    except ConditionFailed:
        return False
    return True


def form_polled(store: Store, form_id: str, at: str, watermark: str) -> None:
    store.update(schema.meta_form(form_id), Update().set(last_poll_at=at, watermark=watermark, rate_limited=0))


def form_failed(store: Store, form_id: str, at: str, error: str, retry_at: str, rate_limited: bool) -> None:
    store.update(schema.meta_form(form_id), _failure(at, error, retry_at, rate_limited))


def page_checked(store: Store, page_id: str, at: str, subscribed: bool, forms_listed: bool) -> None:
    update = Update().set(subscribed=subscribed, checked_at=at, rate_limited=0)
    if forms_listed:
        update.set(forms_listed_at=at)
    store.update(schema.meta_page(page_id), update)


def page_failed(store: Store, page_id: str, at: str, error: str, retry_at: str, rate_limited: bool) -> None:
    store.update(schema.meta_page(page_id), _failure(at, error, retry_at, rate_limited))


def _failure(at: str, error: str, retry_at: str, rate_limited: bool) -> Update:
    """A failed Graph call on a Page or form: the error, when to try again, and how many rate limits in a row."""
    update = Update().set(last_error=error, last_error_at=at, next_at=retry_at)
    if rate_limited:
        update.add(rate_limited=1)
    else:
        update.set(rate_limited=0)
    return update


def day_counts(store: Store, form_id: str, start_day: str, end_day: str) -> dict[str, dict[str, int]]:
    """{day: {"webhook": n, "poll": n}} for every day from `start_day` to `end_day` with a lead of the form."""
    items = store.query_all(schema.META_SOURCES, sk_between=schema.meta_form_days(form_id, start_day, end_day))
    return {schema.day_of_counter(str(item["sk"])): {"webhook": int(item.get("webhook", 0)),
                                                     "poll": int(item.get("poll", 0))} for item in items}
