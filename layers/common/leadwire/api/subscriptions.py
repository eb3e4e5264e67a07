"""The owner's outbound subscriptions: signed webhooks and Slack messages, and what became of their deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from leadwire.api.request import json_answer, now
from leadwire.owner import subscriptions
from leadwire.runtime import services

router = Router()
SubscriptionId = Annotated[str, Path(pattern=subscriptions.SUBSCRIPTION_ID_PATTERN)]


@router.put("/subscriptions/<subscription_id>")
def put_subscription(subscription_id: SubscriptionId, change: subscriptions.SubscriptionIn) -> Response[Any]:
    created, shown = subscriptions.put(services.store(), subscription_id, change, now(router),
                                       allow_local=services.settings().allow_local_receivers)
    return json_answer(201 if created else 200, shown, {"Cache-Control": "no-store"})


@router.get("/subscriptions")
def list_subscriptions() -> Response[Any]:
    return json_answer(200, subscriptions.list_all(services.store(), now(router)))


@router.delete("/subscriptions/<subscription_id>")
def delete_subscription(subscription_id: SubscriptionId) -> Response[Any]:
    subscriptions.delete(services.store(), subscription_id)
    return Response(204, None, "")


@router.get("/subscriptions/<subscription_id>/deliveries")
def list_deliveries(subscription_id: SubscriptionId,
                    limit: Annotated[int, Query(ge=1, le=subscriptions.MAX_DELIVERIES_SHOWN)] = 25) -> Response[Any]:
    return json_answer(200, subscriptions.deliveries(services.store(), subscription_id, limit))
