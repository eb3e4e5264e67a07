"""The settings every local run shares (local stack, moto tests, benchmark): fake credentials, one region."""

from __future__ import annotations

REGION = "us-east-1"
DEV_KEY = "dev-key"
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
    # boto3 1.44+ sends DynamoDB Streams calls to an account-id endpoint moto does not route.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "TABLE_NAME": "leadwire-local", "EVENT_BUS_NAME": "leadwire-local", "SENDER_EMAIL": "leads@example.com",
    "UNSUBSCRIBE_SECRET": "local-unsubscribe-secret",
    # Every local client is 127.0.0.1 (tests, the bench): the form's per-client limit is off unless asked for.
    "FORM_LIMIT_PER_MINUTE": "0",
    # Subscriptions may call a receiver on this machine (http://127.0.0.1); a deployed stack never sets this.
    "ALLOW_LOCAL_RECEIVERS": "true",
    "POWERTOOLS_SERVICE_NAME": "leadwire", "POWERTOOLS_METRICS_NAMESPACE": "leadwire",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",  # as template.yaml deploys it
}
