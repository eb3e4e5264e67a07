"""HTTP API: website forms, ad-platform webhooks and the management API. Each route delegates to the domain."""


import gc
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.clock import iso
from leadwire.config import Config
from leadwire.errors import LeadwireError, Malformed, ValidationFailed
from leadwire.followup import unsubscribe
from leadwire.intake import doors
from leadwire.intake.dedupe import Accepted
from leadwire.owner import erase, leads, reports, rules
from leadwire.routing.reps import REP_ID_PATTERN, RepIn
from leadwire.runtime import services
from leadwire.runtime.http import check_api_key, raw_body, received_at, validation_details
from leadwire.store.config import load_config
from leadwire.store.reps import load_reps, save_rep

logger = Logger()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
RepId = Annotated[str, Path(pattern=REP_ID_PATTERN)]


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, "application/json", body, headers)


def _stored(accepted: Accepted) -> Response[Any]:
    metrics.add_metric(name=f"Leads{accepted.outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    if accepted.outcome == "created":
        with single_metric(name="LeadsReceived", unit=MetricUnit.Count, value=1) as by_source:
            by_source.add_dimension(name="source", value=accepted.source)
    return _json(201 if accepted.outcome == "created" else 200, {"id": accepted.lead_id, "status": accepted.outcome})


def require_api_key(router: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    check_api_key(router.current_event.headers.get("authorization"), services.settings().api_key_hashes())
    return next_middleware(router)


def _now() -> datetime:
    """The instant API Gateway received the request: every route's clock."""
    return received_at(app.current_event.raw_event)


def _base_url() -> str:
    """Links in emails: the configured public URL, else the address this request came to."""
    domain = app.current_event.raw_event.get("requestContext", {}).get("domainName", "")
    return services.settings().public_base_url or f"https://{domain}"


def _body() -> bytes:
    return raw_body(app.current_event.raw_event)


def _headers() -> dict[str, str]:
    return {name.lower(): value for name, value in (app.current_event.headers or {}).items()}


def _query() -> dict[str, str]:
    return dict(app.current_event.query_string_parameters or {})


# --- the doors leads come through ------------------------------------------------------------------------------
@app.post("/leads")
def post_website_lead() -> Response[Any]:
    result = doors.website_form(_body(), _headers(), _query(), _now(), services.store(), services.settings())
    if result.accepted is None:
        metrics.add_metric(name="LeadsSpam", unit=MetricUnit.Count, value=1)
    if result.next_url:
        return Response(303, "text/plain", "", {"Location": result.next_url})
    if result.accepted is None:
        return _json(201, {"id": "0" * 20, "status": "created"})
    return _stored(result.accepted)


@app.get("/webhooks/meta")
def meta_handshake() -> Response[Any]:
    return Response(200, "text/plain", doors.meta_handshake(_query(), services.settings()))


@app.post("/webhooks/meta")
def meta_notification() -> Response[Any]:
    results = doors.meta_notification(_body(), _headers(), _now(), services.store(), services.settings())
    return _json(200, {"leads": [{"id": item.lead_id, "status": item.outcome} for item in results]})


@app.post("/webhooks/google")
def google_lead() -> Response[Any]:
    _stored(doors.google_lead(_body(), _now(), services.store(), services.settings()))
    return _json(200, {})


@app.post("/webhooks/typeform")
def typeform_response() -> Response[Any]:
    return _stored(doors.typeform_response(_body(), _headers(), _now(), services.store(), services.settings()))


@app.post("/webhooks/generic")
def generic_webhook() -> Response[Any]:
    return _stored(doors.generic_webhook(_body(), _headers(), _now(), services.store(), services.settings()))


@app.get("/unsubscribe")
def unsubscribe_link(t: Annotated[str, Query(min_length=3, max_length=200)]) -> Response[Any]:
    settings = services.settings()
    unsubscribe.unsubscribe(services.store(), settings.unsubscribe_secret.get_secret_value(), t, _now())
    page = ("<!doctype html><meta charset=utf-8><title>Unsubscribed</title>"
            "<p>You are unsubscribed. You will get no more emails like this.</p>")
    return Response(200, "text/html; charset=utf-8", page)


# --- the management API ----------------------------------------------------------------------------------------
@app.get("/leads/<lead_id>", middlewares=[require_api_key])
def get_lead(lead_id: str) -> Response[Any]:
    return _json(200, leads.show(services.store(), lead_id))


@app.get("/leads", middlewares=[require_api_key])
def list_leads(stage: Annotated[str | None, Query()] = None, status: Annotated[str | None, Query()] = None,
               owner: Annotated[str | None, Query()] = None, source: Annotated[str | None, Query()] = None,
               created_from: Annotated[str | None, Query(alias="from")] = None,
               created_to: Annotated[str | None, Query(alias="to")] = None,
               limit: Annotated[int, Query(ge=1, le=leads.MAX_PAGE)] = 25,
               cursor: Annotated[str | None, Query()] = None) -> Response[Any]:
    filters = leads.LeadFilters.model_validate({"stage": stage, "status": status, "owner": owner, "source": source,
                                                "created_from": created_from, "created_to": created_to})
    return _json(200, leads.list_page(services.store(), filters, limit, cursor))


@app.patch("/leads/<lead_id>", middlewares=[require_api_key])
def patch_lead(lead_id: str, patch: leads.LeadPatch) -> Response[Any]:
    return _json(200, leads.change(services.store(), services.notifier(), lead_id, patch, _now(), _base_url()))


@app.delete("/leads/<lead_id>", middlewares=[require_api_key])
def delete_lead(lead_id: str) -> Response[Any]:
    erase.erase(services.store(), services.notifier(), lead_id)
    return Response(204, None, "")


@app.post("/leads/<lead_id>/events", middlewares=[require_api_key])
def post_engagement(lead_id: str, event: leads.EngagementIn) -> Response[Any]:
    store = services.store()
    event_id, new = leads.record_event(store, lead_id, event, _now())
    return _json(201 if new else 200, {"id": event_id, "status": "recorded" if new else "duplicate"})


@app.get("/leads/<lead_id>/timeline", middlewares=[require_api_key])
def get_timeline(lead_id: str) -> Response[Any]:
    return _json(200, {"items": leads.timeline_of(services.store(), lead_id), "cursor": None})


@app.put("/reps/<rep_id>", middlewares=[require_api_key])
def put_rep(rep_id: RepId, rep: RepIn) -> Response[Any]:
    return _json(200, save_rep(services.store(), rep_id, rep, iso(_now())).model_dump(mode="json"))


@app.get("/reps", middlewares=[require_api_key])
def get_reps() -> Response[Any]:
    return _json(200, {"items": [rep.model_dump(mode="json") for rep in load_reps(services.store())], "cursor": None})


@app.get("/config", middlewares=[require_api_key])
def get_config() -> Response[Any]:
    version, config = load_config(services.store())
    return _json(200, {"version": version, "document": config.model_dump(by_alias=True, mode="json")})


@app.put("/config", middlewares=[require_api_key])
def put_config(document: Config) -> Response[Any]:
    version = rules.replace_config(services.store(), document, _now())
    return _json(200, {"version": version, "rescoring": True,
                       "document": document.model_dump(by_alias=True, mode="json")})


@app.get("/reports/funnel", middlewares=[require_api_key])
def funnel(created_from: Annotated[str, Query(alias="from")], created_to: Annotated[str, Query(alias="to")]
           ) -> Response[Any]:
    return _json(200, reports.funnel(services.store(), created_from, created_to))


@app.get("/openapi.json")
def openapi() -> Response[Any]:
    return Response(200, "application/json", openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(title="leadwire", version="1.0.0",
                                       description="Lead intake, scoring, assignment and follow-up.")


# --- errors, mapped once ---------------------------------------------------------------------------------------
@app.exception_handler(LeadwireError)
def domain_error(error: LeadwireError) -> Response[Any]:
    if error.status >= 400:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.info("request refused", extra={"status": error.status, "error": error.code})
    return _json(error.status, error.body())


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[Any]:
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return domain_error(Malformed("body is not valid JSON"))
    details = validation_details(problems)
    return domain_error(ValidationFailed(details))


# Everything imported above lives as long as the container: keep it out of the first collections.
gc.freeze()
