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
