"""The local stack's CORS: any site may call the public doors, but no foreign page may read the owner's routes with
the well-known dev API key."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example"


def allowed_origin(answer) -> str | None:
    return {name.lower(): value for name, value in answer.headers.items()}.get("access-control-allow-origin")


def test_a_foreign_page_cannot_read_the_owners_routes_with_the_dev_key(stack):
    answer = stack.request("GET", "/leads", headers={"origin": EVIL})
    preflight = stack.request("OPTIONS", "/leads", auth=False, headers={
        "origin": EVIL, "access-control-request-method": "GET", "access-control-request-headers": "authorization"})

    assert answer.status == 200 and allowed_origin(answer) is None
    assert allowed_origin(preflight) is None


def test_the_website_form_may_be_posted_from_any_site_and_the_stacks_own_pages_call_everything(stack):
    form = stack.request("POST", "/leads", {"email": "cors@shop.example"}, auth=False,
                         headers={"origin": "https://shop.example"})
    preflight = stack.request("OPTIONS", "/leads", auth=False, headers={
        "origin": "https://shop.example", "access-control-request-method": "POST"})
    own = stack.request("GET", "/leads", headers={"origin": stack.url})

    assert form.status == 201 and allowed_origin(form) == "https://shop.example"
    assert allowed_origin(preflight) == "https://shop.example"
    assert allowed_origin(own) == stack.url
