"""Abuse limits on fakes: a few form submissions a minute per client, under a keyed hash of its address; at most a
few emails a day to one person's address, each counted once however often it is delivered."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from leadwire.errors import TooManyRequests
from leadwire.intake import doors, limits
from leadwire.runtime.settings import Settings
from leadwire.store import schema
from tests.unit.services.conftest import BASE_URL, T

FORM = {"content-type": "application/json"}


def limited_settings(per_minute: int = 3) -> Settings:
    return Settings(public_base_url=BASE_URL, unsubscribe_secret="unit-unsubscribe-secret",
                    form_limit_per_minute=per_minute)


def everything(table) -> list[dict]:
    """Every item of the in-memory table (a test's look behind the product, which never scans)."""
    return [table.get({"pk": pk, "sk": sk}) for pk, sk in list(table._items)]


def post(table, settings, source_ip: str, n: int, when=T) -> doors.WebsiteResult:
    body = json.dumps({"email": f"p{n}-{source_ip.replace(':', '_')}@shop.example"}).encode()
    return doors.website_form(body, FORM, {}, when, table, settings, source_ip=source_ip)


def test_one_client_gets_a_few_submissions_a_minute_and_then_429_with_retry_after(table):
    settings = limited_settings(3)
    for n in range(3):
        assert post(table, settings, "198.51.100.7", n, T + timedelta(seconds=n)).accepted is not None

    with pytest.raises(TooManyRequests) as refused:
        post(table, settings, "198.51.100.7", 9, T + timedelta(seconds=20))

    assert refused.value.status == 429 and refused.value.headers() == {"Retry-After": "41"}
    assert refused.value.body()["error"] == "too_many_requests"
    # another client is not held up, and the same client is welcome again the next minute
    assert post(table, settings, "198.51.100.8", 1, T + timedelta(seconds=21)).accepted is not None
    assert post(table, settings, "198.51.100.7", 10, T + timedelta(seconds=61)).accepted is not None


def test_the_refused_submission_stores_nothing(table):
    settings = limited_settings(1)
    post(table, settings, "198.51.100.7", 1)
    before = {(item["pk"], item["sk"]) for item in everything(table)}

    with pytest.raises(TooManyRequests):
        post(table, settings, "198.51.100.7", 2)

    assert {(item["pk"], item["sk"]) for item in everything(table)} == before  # only the counter moved


def test_an_ipv6_client_is_one_client_across_its_64(table):
    settings = limited_settings(2)
    post(table, settings, "2001:db8:1:2::10", 1)
    post(table, settings, "2001:db8:1:2::11", 2)

    with pytest.raises(TooManyRequests):
        post(table, settings, "2001:db8:1:2:ffff::1", 3)


def test_the_address_is_never_stored_and_the_counter_expires(table):
    settings = limited_settings(3)
    post(table, settings, "198.51.100.7", 1)

    [counter] = [item for item in everything(table) if item["pk"].startswith("RATE#form#")]
    assert "198.51.100.7" not in json.dumps(counter)
    assert counter["pk"] == schema.rate_counter("form", limits.client_of("198.51.100.7", settings.client_hash_key()),
                                                "2026-10-05T09:00")["pk"]
    # DynamoDB's TTL deletes it a few minutes after its minute is over
    assert counter[schema.TTL_ATTRIBUTE] == int((T + timedelta(minutes=11)).timestamp())


def test_a_limit_of_zero_is_no_limit(table):
    settings = limited_settings(0)
    for n in range(8):
        assert post(table, settings, "198.51.100.7", n).accepted is not None
