"""The rep's lead page behind a link from an email: `GET /l/{token}` shows it, `POST /l/{token}` records an action and
answers 303 back to it. Every answer is an HTML page (never the JSON error body): a person reads it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import ValidationError

from leadwire.api.request import base_url, body, headers, now, query
from leadwire.errors import Conflict, LeadNotFound, ValidationFailed
from leadwire.followup.rep_links import LinkExpired, LinkInvalid, LinkRetired, RepLinks
from leadwire.owner import leads, rep_actions
from leadwire.pages import lead_page
from leadwire.pages.lead_page import Page
from leadwire.runtime import services
from leadwire.store import timeline
from leadwire.store.config import load_config
from leadwire.store.reps import load_rep

router = Router()


def _answer(page: Page) -> Response[Any]:
    return Response(page.status, "text/html; charset=utf-8", page.html, dict(page.headers))


def _links() -> RepLinks:
    return services.rep_links(base_url(router))


def _refused(error: Exception) -> Page:
    """The plain page for a link that cannot be used, and nothing personal on it."""
    if isinstance(error, LinkRetired):
        return lead_page.notice(403, "This link no longer works", "It is from an earlier version of leadwire.",
                                new_link=True)
    if isinstance(error, LinkExpired):
        return lead_page.notice(403, "This link has expired", "Lead links work for a limited time.", new_link=True)
    if isinstance(error, LeadNotFound):
        return lead_page.notice(404, "This lead is gone", "It was removed, so there is nothing to show.")
    return lead_page.notice(403, "This link is not valid", "Check that you opened the whole link from the email.")


def _show(token: str, done: str | None = None, problem: str | None = None, status: int = 200) -> Page:
    store, at = services.store(), now(router)
    try:
        link, lead = rep_actions.open_link(store, _links(), token, at)
    except (LinkInvalid, LinkExpired, LeadNotFound) as error:
        return _refused(error)
    if lead.owner != link.rep_id:
        return lead_page.elsewhere()
    rep = load_rep(store, link.rep_id)
    return lead_page.lead_page(lead, rep.timezone if rep else None, load_config(store)[1],
                               timeline.read(store, lead.id), at, done, problem, status,
                               messages=leads.messages_of(store, lead))


@router.get("/l/<token>")
def get_lead_page(token: str) -> Response[Any]:
    return _answer(_show(token, done=query(router).get("done")))


def same_site(sent: dict[str, str], page_url: str) -> bool:
    """A browser says where a post comes from: refuse any other site (Sec-Fetch-Site, else Origin)."""
    site = sent.get("sec-fetch-site")
    if site:
        return site in ("same-origin", "none")
    origin = sent.get("origin")
    if not origin or origin == "null":
        return origin is None  # a client that is not a browser sends neither header
    page = urlsplit(page_url)
    host = sent.get("host") or page.netloc
    return origin.rstrip("/") in (f"{page.scheme}://{page.netloc}", f"https://{host}", f"http://{host}")


@router.post("/l/<token>")
def post_lead_action(token: str) -> Response[Any]:
    store, at, links = services.store(), now(router), _links()
    if not same_site(headers(router), links.base_url):
        return _answer(lead_page.notice(403, "Refused", "This form can only be sent from the lead's own page."))
    form = dict(parse_qsl(body(router).decode("utf-8", "replace")))
    if form.get("action") == lead_page.NEW_LINK:
        rep_actions.send_new_link(store, services.notifier(), links, token, at)
        return _answer(lead_page.notice(200, "A new link is on its way",
                                        "If this link was sent to you, a new one is on its way to the email address "
                                        "leadwire has for you. Nothing else was changed."))
    try:
        link, lead = rep_actions.open_link(store, links, token, at)
    except (LinkInvalid, LinkExpired, LeadNotFound) as error:
        return _answer(_refused(error))
    try:
        request = rep_actions.RepAction.model_validate(form)
        done = rep_actions.act(store, services.notifier(), links, lead, rep_actions.rep_actor(link), request, at)
    except ValidationError:
        return _answer(_show(token, problem="That action is not one this page knows.", status=422))
    except ValidationFailed as error:
        return _answer(_show(token, problem=error.details[0]["reason"].capitalize() + ".", status=422))
    except rep_actions.NowElsewhere:
        return _answer(lead_page.elsewhere(403))
    except Conflict as error:
        return _answer(_show(token, problem=error.message[:1].upper() + error.message[1:] + ".", status=409))
    return Response(303, "text/html; charset=utf-8", "", {**lead_page.headers(), "Location": f"/l/{token}?done={done}"})
