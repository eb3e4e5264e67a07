"""The management API of leads: show, list, change, erase, record engagement, read the timeline."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadwire.api.request import base_url, json_answer, now
from leadwire.lead import Stage, Status
from leadwire.owner import erase, join, leads, rep_actions
from leadwire.runtime import services

router = Router()


@router.get("/leads/<lead_id>")
def get_lead(lead_id: str) -> Response[Any]:
    return json_answer(200, leads.show(services.store(), lead_id))


@router.get("/leads")
def list_leads(stage: Annotated[Stage | None, Query()] = None, status: Annotated[Status | None, Query()] = None,
               owner: Annotated[str | None, Query()] = None, source: Annotated[str | None, Query()] = None,
               created_from: Annotated[str | None, Query(alias="from")] = None,
               created_to: Annotated[str | None, Query(alias="to")] = None,
               stuck: Annotated[bool | None, Query()] = None, needs_review: Annotated[bool | None, Query()] = None,
               email: Annotated[str | None, Query(description="exact email: the one lead of that person")] = None,
               phone: Annotated[str | None, Query(description="exact phone: the one lead holding it")] = None,
               limit: Annotated[int, Query(ge=1, le=leads.MAX_PAGE)] = 25,
               cursor: Annotated[str | None, Query()] = None) -> Response[Any]:
    if email or phone:
        return json_answer(200, leads.find(services.store(), email, phone, services.settings().default_region))
    filters = leads.LeadFilters.model_validate({"stage": stage, "status": status, "owner": owner, "source": source,
                                                "created_from": created_from, "created_to": created_to,
                                                "stuck": stuck, "needs_review": needs_review})
    return json_answer(200, leads.list_page(services.store(), filters, limit, cursor))


@router.patch("/leads/<lead_id>")
def patch_lead(lead_id: str, patch: leads.LeadPatch) -> Response[Any]:
    changed = leads.change(services.store(), services.notifier(), lead_id, patch, now(router), base_url(router))
    return json_answer(200, changed)


@router.delete("/leads/<lead_id>")
def delete_lead(lead_id: str) -> Response[Any]:
    erase.erase(services.store(), services.notifier(), lead_id, now(router))
    return Response(204, None, "")


@router.post("/leads/<lead_id>/events")
def post_engagement(lead_id: str, event: leads.EngagementIn) -> Response[Any]:
    event_id, new = leads.record_event(services.store(), lead_id, event, now(router))
    return json_answer(201 if new else 200, {"id": event_id, "status": "recorded" if new else "duplicate"})


@router.get("/leads/<lead_id>/timeline")
def get_timeline(lead_id: str) -> Response[Any]:
    return json_answer(200, {"items": leads.timeline_of(services.store(), lead_id), "cursor": None})


@router.post("/leads/<lead_id>/actions")
def post_action(lead_id: str, request: rep_actions.RepAction) -> Response[Any]:
    """The lead page's actions for owners who script (the `leadwire leads <action>` verbs), as the owner."""
    links = services.rep_links(base_url(router))
    done = rep_actions.act(services.store(), services.notifier(), links, leads.load(services.store(), lead_id),
                           rep_actions.OWNER, request, now(router))
    return json_answer(200, {"done": done, "lead": leads.show(services.store(), lead_id)})


@router.get("/leads/<lead_id>/submissions")
def get_submissions(lead_id: str, limit: Annotated[int, Query(ge=1, le=leads.MAX_PAGE)] = 50,
                    cursor: Annotated[str | None, Query()] = None) -> Response[Any]:
    return json_answer(200, leads.submissions_of(services.store(), lead_id, limit, cursor))


@router.post("/leads/<lead_id>/merge")
def post_merge(lead_id: str, merge: leads.MergeIn) -> Response[Any]:
    return json_answer(200, join.join(services.store(), services.notifier(), lead_id, merge.from_, now(router)))
