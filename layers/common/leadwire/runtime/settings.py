"""Environment and secrets, read once into a model. Nothing below the handlers reads os.environ."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from functools import cache

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

GRAPH_API_URL = "https://graph.facebook.com/v22.0"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    table_name: str = "leadwire"
    event_bus_name: str = "leadwire"
    sender_email: str = "leads@example.com"
    public_base_url: str = ""
    default_region: str | None = None
    meta_graph_url: str = GRAPH_API_URL
    meta_graph_timeout_s: float = 3.0

    leadwire_api_keys: SecretStr = SecretStr("")
    meta_app_secret: SecretStr = SecretStr("")
    meta_verify_token: SecretStr = SecretStr("")
    meta_page_token: SecretStr = SecretStr("")
    google_ads_key: SecretStr = SecretStr("")
    typeform_secret: SecretStr = SecretStr("")
    webhook_secrets: SecretStr = SecretStr("")
    unsubscribe_secret: SecretStr = SecretStr("")
    rep_link_keys: SecretStr = SecretStr("")  # space-separated; the first signs, every one is accepted

    def api_key_hashes(self) -> list[bytes]:
        keys = [key.strip() for key in self.leadwire_api_keys.get_secret_value().split(",")]
        return [hashlib.sha256(key.encode()).digest() for key in keys if key]

    def webhook_secret_list(self) -> list[str]:
        return self.webhook_secrets.get_secret_value().split()

    def rep_link_key_list(self) -> tuple[str, ...]:
        """The keys of rep links; until the owner sets REP_LINK_KEYS, one derived from the generated
        UNSUBSCRIBE_SECRET (a secret can generate one value only, and a fresh stack must sign links at once)."""
        keys = tuple(self.rep_link_keys.get_secret_value().split())
        root = self.unsubscribe_secret.get_secret_value()
        if keys or not root:
            return keys
        return (hmac.new(root.encode(), b"leadwire rep-link key v1", hashlib.sha256).hexdigest(),)


def _secret_values(secret_arn: str) -> dict[str, str]:
    """The JSON of the one Secrets Manager secret; its keys have the same names as the environment variables."""
    import boto3  # only deployed functions read the secret; keep it out of the import path of everything else

    answer = boto3.client("secretsmanager").get_secret_value(SecretId=secret_arn)
    values = json.loads(answer["SecretString"] or "{}")
    return {key.lower(): str(value) for key, value in values.items() if value not in (None, "")}


@cache
def get_settings() -> Settings:
    arn = os.environ.get("LEADWIRE_SECRET_ARN", "")
    return Settings(**_secret_values(arn)) if arn else Settings()
