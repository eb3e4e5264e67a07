"""The public form's limit per client: a few submissions a minute from one source address, counted under a keyed
hash of it (never the address itself, in the table or the logs), in counters that expire."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from leadwire.errors import TooManyRequests
from leadwire.runtime.settings import Settings
from leadwire.store import limits
from leadwire.store.table import Store

logger = Logger(child=True)

WINDOW = timedelta(minutes=1)
KEEP = timedelta(minutes=10)  # a counter expires some minutes after its window (DynamoDB's TTL is not punctual)


def client_of(source_ip: str, key: str) -> str:
    """A keyed hash of the client: an IPv6 client by its /64 (one host holds many addresses), an IPv4 one whole.
    Keyed, because a plain hash of an IPv4 address is undone by hashing all four billion of them."""
    try:
        address = ipaddress.ip_address(source_ip)
        network = ipaddress.ip_network(f"{address}/64", strict=False) if address.version == 6 else address
        text = str(network)
    except ValueError:
        text = source_ip
    return hmac.new(key.encode(), f"form-client:{text}".encode(), hashlib.sha256).hexdigest()[:32]


def admit_form(store: Store, settings: Settings, source_ip: str | None, now: datetime) -> None:
    """TooManyRequests when this client already sent its share of submissions this minute (0 turns it off)."""
    limit = settings.form_limit_per_minute
    if limit <= 0 or not source_ip:
        return
    window = now.replace(second=0, microsecond=0)
    client = client_of(source_ip, settings.client_hash_key())
    sent = limits.count(store, "form", client, window.strftime("%Y-%m-%dT%H:%M"),
                        int((window + WINDOW + KEEP).timestamp()))
    if sent > limit:
        retry_after = max(1, int((window + WINDOW - now).total_seconds()) + 1)
        logger.info("form submissions over the limit for one client", extra={"client": client[:8]})
        raise TooManyRequests(f"too many submissions from one place: try again in {retry_after} seconds",
                              retry_after)
