"""The doors leads come through: the website form, the four ad-platform webhooks; and the links in emails to people:
confirming their consent (double opt-in) and unsubscribing."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadwire.api.request import base_url, body, headers, json_answer, now, query, source_ip
from leadwire.followup import opt_in, unsubscribe
from leadwire.intake import doors
from leadwire.intake.dedupe import Accepted
from leadwire.runtime import metrics, services
from leadwire.store.config import load_config

router = Router()
THANKS_PAGE = ("<!doctype html><meta charset=utf-8><title>Thank you</title>"
               "<p>Thank you. Your message has been received, and someone will be in touch soon.</p>")


def stored(accepted: Accepted) -> Response[Any]:
    """201 for a new lead, 200 when the person was already known; counted by outcome and, when new, by source."""
    metrics.count(f"Leads{accepted.outcome.capitalize()}")
    if accepted.outcome == "created":
        metrics.count_by("LeadsReceived", "source", accepted.source)
    status = 201 if accepted.outcome == "created" else 200
    return json_answer(status, {"id": accepted.lead_id, "status": accepted.outcome})


@router.post("/leads")
def post_website_lead() -> Response[Any]:
    result = doors.website_form(body(router), headers(router), query(router), now(router), services.store(),
                                services.settings(), services.notifier(), base_url(router), source_ip(router))
    if result.accepted is None:
        metrics.count("LeadsSpam")
    if result.next_url:
        return Response(303, "text/plain", "", {"Location": result.next_url})
    if result.accepted is None:  # the honeypot was filled: answer as if accepted
        return json_answer(201, {"id": "0" * 20, "status": "created"})
    return stored(result.accepted)


@router.get("/webhooks/meta")
def meta_handshake() -> Response[Any]:
    return Response(200, "text/plain", doors.meta_handshake(query(router), services.settings()))


@router.get("/thanks")
def thanks_page() -> Response[Any]:
    """Where a form's `_next` leads when it points anywhere the owner did not allow."""
    return Response(200, "text/html; charset=utf-8", THANKS_PAGE)


@router.post("/webhooks/meta")
def meta_notification() -> Response[Any]:
    results = doors.meta_notification(body(router), headers(router), now(router), services.store(),
                                      services.settings(), notifier=services.notifier(), base_url=base_url(router))
    return json_answer(200, {
        "leads": [{"id": item.lead_id, "status": item.outcome} for item in results if isinstance(item, Accepted)],
        "unreadable": [{"change": item.index, "reason": item.reason} for item in results
                       if isinstance(item, doors.Unreadable)]})


@router.post("/webhooks/google")
def google_lead() -> Response[Any]:
    stored(doors.google_lead(body(router), now(router), services.store(), services.settings(), services.notifier(),
                             base_url(router)))
    return json_answer(200, {})


@router.post("/webhooks/typeform")
def typeform_response() -> Response[Any]:
    return stored(doors.typeform_response(body(router), headers(router), now(router), services.store(),
                                          services.settings(), services.notifier(), base_url(router)))


@router.post("/webhooks/generic")
def generic_webhook() -> Response[Any]:
    return stored(doors.generic_webhook(body(router), headers(router), now(router), services.store(),
                                        services.settings(), services.notifier(), base_url(router)))


@router.get("/unsubscribe")
def unsubscribe_page(t: Annotated[str, Query(min_length=3, max_length=200)]) -> Response[Any]:
    """The link in a nurture email asks first: mail scanners open every link, and a GET changes nothing."""
    unsubscribe.lead_of(services.settings().unsubscribe_secret.get_secret_value(), t)
    return unsubscribe_answer(unsubscribe.confirmation_page(t))


@router.post("/unsubscribe")
def unsubscribe_for_good() -> Response[Any]:
    """The page's button, or a mail client's one-click unsubscribe (RFC 8058: the token in the query)."""
    given = unsubscribe.token_in(body(router), query(router))
    unsubscribe.unsubscribe(services.store(), services.settings().unsubscribe_secret.get_secret_value(), given,
                            now(router))
    return unsubscribe_answer(unsubscribe.DONE_PAGE)


@router.get("/opt-in")
def opt_in_page(t: Annotated[str, Query(min_length=3, max_length=200)]) -> Response[Any]:
    """The link in the double opt-in email asks first: mail scanners open every link, and a GET changes nothing."""
    opt_in.lead_of(services.settings().unsubscribe_secret.get_secret_value(), t)
    business = load_config(services.store())[1].business_name
    return Response(200, "text/html; charset=utf-8", opt_in.confirmation_page(t, business), opt_in.PAGE_HEADERS)


@router.post("/opt-in")
def opt_in_confirmed() -> Response[Any]:
    """The page's button: the person confirms their consent, and nurture email may start."""
    given = opt_in.token_in(body(router), query(router))
    opt_in.confirm(services.store(), services.settings().unsubscribe_secret.get_secret_value(), given, now(router))
    return Response(200, "text/html; charset=utf-8", opt_in.DONE_PAGE, opt_in.PAGE_HEADERS)


def unsubscribe_answer(page: str) -> Response[Any]:
    return Response(200, "text/html; charset=utf-8", page, unsubscribe.PAGE_HEADERS)
