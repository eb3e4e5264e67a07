"""Environment and secrets, read once into a model. Nothing below the handlers reads os.environ."""

from __future__ import annotations

import hashlib
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
    redirect_origins: str = ""  # comma-separated origins `_next` may lead to besides the form's own (CorsOrigins)

    leadwire_api_keys: SecretStr = SecretStr("")
    meta_app_secret: SecretStr = SecretStr("")
    meta_verify_token: SecretStr = SecretStr("")
    meta_page_token: SecretStr = SecretStr("")
    google_ads_key: SecretStr = SecretStr("")
    typeform_secret: SecretStr = SecretStr("")
    webhook_secrets: SecretStr = SecretStr("")
    unsubscribe_secret: SecretStr = SecretStr("")

    def api_key_hashes(self) -> list[bytes]:
        keys = [key.strip() for key in self.leadwire_api_keys.get_secret_value().split(",")]
        return [hashlib.sha256(key.encode()).digest() for key in keys if key]

    def redirect_origin_list(self) -> list[str]:
        origins = (origin.strip().rstrip("/").lower() for origin in self.redirect_origins.split(","))
        return [origin for origin in origins if origin and origin != "*"]

    def webhook_secret_list(self) -> list[str]:
        return self.webhook_secrets.get_secret_value().split()


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
