"""The services a handler uses, built once per Lambda container from the settings."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

from pydantic import BaseModel

from leadwire.config import Config
from leadwire.followup.rep_links import RepLinks
from leadwire.lead import LeadRecord
from leadwire.outbound.notify import AwsNotifier
from leadwire.runtime.settings import Settings, forget_settings, get_settings
from leadwire.store.table import Store


@cache
def store() -> Store:
    return Store(get_settings().table_name)


@cache
def notifier() -> AwsNotifier:
    settings = get_settings()
    return AwsNotifier(settings.sender_email, settings.event_bus_name)


def settings() -> Settings:
    return get_settings()


def rep_links(base_url: str | None = None, kept_in: Store | None = None) -> RepLinks:
    """Lead-page links at `base_url` (default: the configured public URL), kept in the stack's table (or `kept_in`)."""
    return RepLinks(get_settings().public_base_url if base_url is None else base_url, kept_in or store())


def _validators(*models: type[BaseModel]) -> None:
    """Build the models' validators now (they are deferred to first use: `leadwire.model`)."""
    for model in models:
        model.model_rebuild(force=True)


def _forms() -> None:
    """What a lead's doors check on every submission: its address and phone, and the shapes it goes through."""
    from leadwire.intake import normalize
    from leadwire.lead import LeadInput, RawLead

    normalize.load_checkers()
    _validators(RawLead, LeadInput)


def _templates() -> None:
    from leadwire.pages import render

    render.environment()  # jinja2, for the emails


# What a handler may build at import, by name (`prime`); each imports only what its part needs, so a handler that
# does not ask for a part does not load it.
_PRIMERS: dict[str, Callable[[], object]] = {
    "table": lambda: store(),
    "email": lambda: notifier().ses,
    "events": lambda: notifier().events,
    "models": lambda: _validators(Config, LeadRecord),
    "forms": _forms,
    "templates": _templates,
}


def prime(*parts: str) -> None:
    """On Lambda, build at import what every first event builds anyway: boto3's clients ("table", "email",
    "events"; the table's reads the stack's secret when the function has one), the validators of the models every
    event reads ("models"), what checks a submission ("forms") and jinja2 for the emails ("templates").

    Lambda runs the init phase, the import, on a full vCPU and an event on the memory's share of one (at 256 MB a
    seventh), so work moved from the first event into init takes a seventh of the time. Elsewhere (tests, the local
    stack, the bench's in-process runs) nothing is built early: clients made before moto starts would talk to AWS."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        for part in parts:
            _PRIMERS[part]()


def reset() -> None:
    """Forget the cached services (the local stack and tests call this after changing the environment)."""
    for getter in (store, notifier):
        getter.cache_clear()
    forget_settings()
