"""The owner replaces the scoring, routing and follow-up rules: a new version, and every open lead re-scored."""

from __future__ import annotations

from datetime import datetime

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.errors import Conflict
from leadwire.store import config as configs
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import Store


def replace_config(store: Store, document: Config, now: datetime) -> int:
    """Save the document as the new version in force and queue the background re-scoring; the version."""
    try:
        version = configs.save_config(store, document, iso(now))
    except ChangedMeanwhile as error:
        raise Conflict("another config was saved meanwhile; read it again and retry") from error
    configs.queue_rescore(store, version, iso(now))
    return version
