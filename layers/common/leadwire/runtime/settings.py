"""Environment and secrets, read into one frozen record (the secret again every few minutes). Nothing below the
handlers reads os.environ.

A dataclass fed with the environment's variables named like its fields (any case), each value turned into its
field's type: neither pydantic-settings (its sources, dotenv and asyncio took 15-50 ms of every cold start) nor a
pydantic model (building its validator took another 15 ms, for a dozen strings and three numbers)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

GRAPH_API_URL = "https://graph.facebook.com/v22.0"


class Secret:
    """A secret value that never shows in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str = "") -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)


NO_SECRET = Secret()  # immutable, so every field may share it
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})


def _coerced(name: str, kind: str, value: Any) -> Any:
    """`value` (from the environment, a secret or a test) as the field's type (`kind`, the annotation as written);
    an error names the variable and says what to give."""
    if kind == "Secret":
        return value if isinstance(value, Secret) else Secret(str(value))
    if not isinstance(value, str) or kind not in ("bool", "int", "float"):
        return value
    if kind == "bool":
        if value.strip().lower() not in _TRUE | _FALSE:
            raise ValueError(f"{name.upper()}: give true or false, not {value!r}")
        return value.strip().lower() in _TRUE
    try:
        return int(value) if kind == "int" else float(value)
    except ValueError:
        raise ValueError(f"{name.upper()}: give a number, not {value!r}") from None


@dataclasses.dataclass(frozen=True)
class Settings:
    table_name: str = "leadwire"
    event_bus_name: str = "leadwire"
    sender_email: str = "leads@example.com"
    public_base_url: str = ""
    default_region: str | None = None
    meta_graph_url: str = GRAPH_API_URL
    meta_graph_timeout_s: float = 3.0
    form_limit_per_minute: int = 5  # website submissions one client may send a minute; 0 turns the limit off
    meta_dataset_id: str = ""  # the Conversions API dataset (pixel) lead stages go back to; empty sends none
    meta_app_id: str = ""  # our Meta app: the subscription check looks for it among a Page's subscribed apps
    redirect_origins: str = ""  # comma-separated origins `_next` may lead to besides the form's own (CorsOrigins)
    allow_local_receivers: bool = False  # the local stack only: subscriptions may call http://127.0.0.1

    leadwire_api_keys: Secret = NO_SECRET
    meta_app_secret: Secret = NO_SECRET
    meta_verify_token: Secret = NO_SECRET
    meta_page_token: Secret = NO_SECRET
    meta_capi_token: Secret = NO_SECRET  # the Conversions API's access token (Events Manager)
    google_ads_key: Secret = NO_SECRET
    typeform_secret: Secret = NO_SECRET
    webhook_secrets: Secret = NO_SECRET
    unsubscribe_secret: Secret = NO_SECRET

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None:
                object.__setattr__(self, field.name, _coerced(field.name, str(field.type), value))

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from values named like the fields (any case); names that are not fields are left out."""
        return cls(**{name.lower(): value for name, value in values.items() if name.lower() in _FIELD_NAMES})

    def api_key_hashes(self) -> list[bytes]:
        keys = [key.strip() for key in self.leadwire_api_keys.get_secret_value().split(",")]
        return [hashlib.sha256(key.encode()).digest() for key in keys if key]

    def client_hash_key(self) -> str:
        """The key that hashes a client's address for the form limit (derived: one secret fewer to keep)."""
        root = self.unsubscribe_secret.get_secret_value() or "leadwire without a secret"
        return hmac.new(root.encode(), b"leadwire client-hash key v1", hashlib.sha256).hexdigest()

    def redirect_origin_list(self) -> list[str]:
        origins = (origin.strip().rstrip("/").lower() for origin in self.redirect_origins.split(","))
        return [origin for origin in origins if origin and origin != "*"]

    def webhook_secret_list(self) -> list[str]:
        return self.webhook_secrets.get_secret_value().split()

    def rotating(self, name: str) -> list[str]:
        """A platform secret that may hold several values (space-separated) while it is being rotated."""
        value = getattr(self, name)
        return value.get_secret_value().split() if isinstance(value, Secret) else []


_FIELD_NAMES = frozenset(field.name for field in dataclasses.fields(Settings))
SECRET_MAX_AGE_S = 300  # a rotated or revoked secret takes effect within five minutes in every warm container


def _secret_values(secret_arn: str) -> dict[str, str]:
    """The JSON of the one Secrets Manager secret (its keys named like the environment variables), read through
    Powertools Parameters, which keeps it for SECRET_MAX_AGE_S and then reads it again."""
    values = _secrets().get(secret_arn, transform="json", max_age=SECRET_MAX_AGE_S) or {}
    return {key.lower(): str(value) for key, value in values.items() if value not in (None, "")}


@cache
def _secrets() -> Any:
    """Powertools' provider on a client of boto3's default session: its own session would load botocore's service
    models a second time on every cold start (deployed functions only; not on anyone's import path)."""
    import boto3
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=boto3.client("secretsmanager"))


def _environment() -> dict[str, str]:
    """The variables named like a field (TABLE_NAME for table_name, in any case)."""
    return {name.lower(): value for name, value in os.environ.items() if name.lower() in _FIELD_NAMES}


@cache
def _environment_settings() -> Settings:
    return Settings.from_values(_environment())


@lru_cache(maxsize=4)
def _settings_with(values: tuple[tuple[str, str], ...]) -> Settings:
    """The secret's values over the environment's."""
    return Settings.from_values({**_environment(), **dict(values)})


# Only the functions that check what comes in (intake) and send what the person may answer (follow-up) are given the
# secret (API keys, platform and webhook secrets, the unsubscribe secret); the others read none.
SECRET_ARN_VARIABLE = "LEADWIRE_SECRET_ARN"


def get_settings() -> Settings:
    """Settings from the environment, and from the stack's secret when this function may read it (re-read every few
    minutes)."""
    arn = os.environ.get(SECRET_ARN_VARIABLE, "")
    if not arn:
        return _environment_settings()
    return _settings_with(tuple(sorted(_secret_values(arn).items())))


def forget_settings() -> None:
    """Read the environment and the secret afresh (the local stack and tests call this after changing them)."""
    for cached in (_environment_settings, _settings_with, _secrets):
        cached.cache_clear()
