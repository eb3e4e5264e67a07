"""Secrets are read through Powertools Parameters: a rotated or revoked API key takes effect in warm containers."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from devtools.environment import REGION
from leadwire.runtime import settings
from leadwire.runtime.settings import SECRET_MAX_AGE_S, forget_settings, get_settings


@pytest.fixture
def secret_arn(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)
        arn = client.create_secret(Name="leadwire", SecretString=json.dumps({"LEADWIRE_API_KEYS": "old-key"}))["ARN"]
        monkeypatch.setenv("LEADWIRE_SECRET_ARN", arn)
        parameters.clear_caches()
        forget_settings()
        yield client, arn
        parameters.clear_caches()
        forget_settings()


def test_a_revoked_key_stops_working_once_the_secret_is_read_again(secret_arn):
    client, arn = secret_arn
    assert get_settings().leadwire_api_keys.get_secret_value() == "old-key"

    # When the owner replaces the key in the secret
    client.put_secret_value(SecretId=arn, SecretString=json.dumps({"LEADWIRE_API_KEYS": "new-key"}))

    # Then warm containers keep the cached value at most SECRET_MAX_AGE_S, and read the new one after it
    assert get_settings().leadwire_api_keys.get_secret_value() == "old-key"
    assert 0 < SECRET_MAX_AGE_S <= 300
    settings._secrets().clear_cache()  # what SECRET_MAX_AGE_S seconds do to the provider's cache
    assert get_settings().leadwire_api_keys.get_secret_value() == "new-key"


def test_platform_secrets_may_hold_several_values_while_rotated(secret_arn):
    client, arn = secret_arn
    client.put_secret_value(SecretId=arn, SecretString=json.dumps({"META_APP_SECRET": "new-secret old-secret"}))
    settings._secrets().clear_cache()

    assert get_settings().rotating("meta_app_secret") == ["new-secret", "old-secret"]


def test_assign_reads_only_the_signing_secret_and_links_signed_before_it_stay_valid(secret_arn, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from leadwire.followup.rep_links import RepLinks

    # Given the main secret (as an older stack had it) and the signing secret apart
    client, arn = secret_arn
    client.put_secret_value(SecretId=arn, SecretString=json.dumps({"LEADWIRE_API_KEYS": "key",
                                                                   "UNSUBSCRIBE_SECRET": "root"}))
    signing_arn = client.create_secret(Name="signing", SecretString=json.dumps(
        {"LINK_SIGNING_KEYS": "signing-key"}))["ARN"]
    now = datetime(2026, 10, 5, tzinfo=UTC)
    settings._secrets().clear_cache()
    before = RepLinks("https://x.example", get_settings().rep_link_key_list()).url("a1", "anna", now)
    assert before is not None

    # When assign runs with the signing secret only
    monkeypatch.delenv("LEADWIRE_SECRET_ARN")
    monkeypatch.setenv("LEADWIRE_SIGNING_SECRET_ARN", signing_arn)
    forget_settings()
    assign = get_settings()

    # Then it has the signing key and nothing of the main secret
    assert assign.rep_link_key_list() == ("signing-key",)
    assert assign.leadwire_api_keys.get_secret_value() == "" and assign.unsubscribe_secret.get_secret_value() == ""

    # And where both are read (intake), its links and the ones signed before are accepted
    monkeypatch.setenv("LEADWIRE_SECRET_ARN", arn)
    forget_settings()
    intake = RepLinks("https://x.example", get_settings().rep_link_key_list())
    signed = RepLinks("https://x.example", assign.rep_link_key_list()).url("a1", "anna", now)
    assert signed is not None
    for url in (before, signed):
        assert intake.read(url.rsplit("/", 1)[1], now + timedelta(days=1)).lead_id == "a1"
