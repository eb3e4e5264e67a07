"""The services a handler uses, built once per Lambda container from the settings."""

from __future__ import annotations

from functools import cache

from leadwire.followup.rep_links import RepLinks
from leadwire.outbound.notify import AwsNotifier, Notifier
from leadwire.runtime.settings import Settings, forget_settings, get_settings
from leadwire.store.table import Store


@cache
def store() -> Store:
    return Store(get_settings().table_name)


@cache
def notifier() -> Notifier:
    settings = get_settings()
    return AwsNotifier(settings.sender_email, settings.event_bus_name)


def settings() -> Settings:
    return get_settings()


def rep_links(base_url: str | None = None, kept_in: Store | None = None) -> RepLinks:
    """Lead-page links at `base_url` (default: the configured public URL), kept in the stack's table (or `kept_in`)."""
    return RepLinks(get_settings().public_base_url if base_url is None else base_url, kept_in or store())


def reset() -> None:
    """Forget the cached services (the local stack and tests call this after changing the environment)."""
    for getter in (store, notifier):
        getter.cache_clear()
    forget_settings()
