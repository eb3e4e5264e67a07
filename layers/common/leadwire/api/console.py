"""The owner's console: `GET /console` and its files are public (they hold nothing but code); everything the
console shows comes from the API with the owner's key, the lead too (`GET /console/leads/{id}`, an HTML part)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from leadwire.api.request import now
from leadwire.errors import NotFound
from leadwire.owner import leads
from leadwire.pages import console
from leadwire.pages.lead_page import Page
from leadwire.pages.lead_view import person_name
from leadwire.runtime import services
from leadwire.store import timeline
from leadwire.store.config import load_config
from leadwire.store.leads import LeadRepository
from leadwire.store.reps import load_reps

router = Router()
HTML = "text/html; charset=utf-8"


def _answer(page: Page) -> Response[Any]:
    return Response(page.status, HTML, page.html, dict(page.headers))


@router.get("/console")
def get_console() -> Response[Any]:
    return _answer(console.page())


@router.get("/console/<asset>")
def get_console_asset(asset: str) -> Response[Any]:
    found = console.asset(asset)
    if found is None:
        raise NotFound(f"the console has no file {asset}")
    kind, text = found
    return Response(200, kind, text, {**console.headers(), "Cache-Control": "no-cache"})


@router.get("/console/leads/<lead_id>")
def get_console_lead(lead_id: str) -> Response[Any]:
    store = services.store()
    lead = leads.load(store, lead_id)
    repository = LeadRepository(store)
    duplicates = {duplicate.id: person_name(other) for duplicate in lead.possible_duplicates
                  if (other := repository.get(duplicate.id))}
    html = console.lead(lead, load_reps(store), load_config(store)[1], timeline.read(store, lead.id), now(router),
                        leads.messages_of(store, lead), duplicates)
    return Response(200, HTML, html, console.headers())
