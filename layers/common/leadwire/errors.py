"""Named domain errors. The API handler maps each to its status and JSON error body, in one place."""

from __future__ import annotations

from typing import Any


class LeadwireError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the JSON body."""
        return {}


class Malformed(LeadwireError):
    status, code = 400, "malformed"


class Unauthorized(LeadwireError):
    status, code = 401, "unauthorized"


class SignatureMismatch(Unauthorized):
    code = "bad_signature"


class Forbidden(LeadwireError):
    status, code = 403, "forbidden"


class NotFound(LeadwireError):
    status, code = 404, "not_found"


class LeadNotFound(NotFound):
    def __init__(self, lead_id: str) -> None:
        super().__init__(f"no lead with id {lead_id}")


class Conflict(LeadwireError):
    status, code = 409, "conflict"


class PayloadTooLarge(LeadwireError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(LeadwireError):
    status, code = 415, "unsupported_media_type"


class TooManyRequests(LeadwireError):
    """429, with the seconds to wait in `Retry-After`."""

    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, [{"field": "source", "reason": "rate limited", "retry_after": retry_after}])
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ValidationFailed(LeadwireError):
    """422: `details` holds one `{"field": ..., "reason": ...}` per invalid field."""

    status, code = 422, "validation_failed"

    def __init__(self, details: list[dict[str, Any]], message: str | None = None) -> None:
        fields = ", ".join(str(detail.get("field")) for detail in details)
        super().__init__(message or f"invalid fields: {fields}", details)
