"""Which resolver answers which route: a lead's doors from their own (a cold start imports nothing else), every other
route from the whole API, and the owner's routes only with the API key."""

import json
import re

from devtools.template import load_template
from leadwire.api.app import DOOR_ROUTES, PUBLIC_ROUTES, doors_app, whole_api


def routes(resolver) -> set[str]:
    document = json.loads(resolver.get_openapi_json_schema())
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}


def unnamed(route: str) -> str:
    """The template names path parameters `{id}`, the routes `{lead_id}`: compare them without names."""
    return re.sub(r"\{[^}]*\}", "{}", route)


def test_the_doors_resolver_answers_exactly_the_door_routes():
    assert routes(doors_app) == DOOR_ROUTES


def test_the_whole_api_answers_every_route_the_template_gives_the_intake():
    deployed = {unnamed(f"{route.method} {route.path}") for route in load_template().routes()} - {"ANY $default"}
    assert {unnamed(route) for route in routes(whole_api())} == deployed
    assert {unnamed(route) for route in PUBLIC_ROUTES} < deployed
