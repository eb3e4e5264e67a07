"""Domain errors and failed request validation become the JSON error body with the right status, here only."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from leadwire.api.request import json_answer
from leadwire.errors import LeadwireError, Malformed, NotFound, ValidationFailed
from leadwire.runtime import metrics
from leadwire.runtime.http import validation_details

logger = Logger(child=True)


def domain_error(error: LeadwireError) -> Response[Any]:
    if error.status >= 400:
        metrics.count("RequestsRejected")
    logger.info("request refused", extra={"status": error.status, "error": error.code})
    return json_answer(error.status, error.body(), error.headers() or None)


def invalid_request(error: RequestValidationError) -> Response[Any]:
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return domain_error(Malformed("body is not valid JSON"))
    return domain_error(ValidationFailed(validation_details(problems)))


def not_found(error: Exception) -> Response[Any]:
    return domain_error(NotFound("no such route"))


def refusal(error: LeadwireError) -> dict[str, Any]:
    """The error as API Gateway's answer, for a request refused before it reaches the resolver."""
    domain_error(error)
    return {"statusCode": error.status, "headers": {"Content-Type": "application/json", **error.headers()},
            "body": json.dumps(error.body()), "isBase64Encoded": False}


def map_errors(app: APIGatewayHttpResolver) -> None:
    app.exception_handler(LeadwireError)(domain_error)
    app.exception_handler(RequestValidationError)(invalid_request)
    app.not_found(not_found)
