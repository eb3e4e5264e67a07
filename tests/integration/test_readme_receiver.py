"""The README's receiver example, run as written (its secret and port swapped for a test's): it accepts what
leadwire signs, and answers 401 to a body that was changed on the way."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from http.server import HTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

import pytest

from leadwire.outbound import webhooks

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver(secret: str) -> type:
    """The example's handler class, defined by the README's own code with the secret filled in."""
    block = re.search(r"```python\n(from http\.server import.*?)```", README.read_text(), re.S)
    assert block, "the README has no receiver example"
    code = block.group(1).replace('"whsec_…"', repr(secret))
    code = code.replace('HTTPServer(("", 8000), Receiver).serve_forever()', "")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["Receiver"]  # type: ignore[return-value]


@pytest.fixture
def secret() -> str:
    return webhooks.new_secret()


@pytest.fixture
def url(secret: str):
    server = HTTPServer(("127.0.0.1", 0), readme_receiver(secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def send(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = Request(url, data=body, method="POST", headers={"content-type": "application/json", **headers})
    try:
        with build_opener(ProxyHandler({})).open(request, timeout=10) as answer:
            return answer.status
    except HTTPError as error:
        return error.code


def test_the_readme_receiver_accepts_a_signed_delivery_and_refuses_a_changed_one(url: str, secret: str):
    body = webhooks.body("lead.assigned", "2026-12-02T00:00:00.000Z", {"lead_id": "ab12", "owner": "anna"})
    headers = webhooks.headers("evt1.crm", body, [secret], datetime.now(UTC))

    assert send(url, body, headers) == 204
    assert send(url, body.replace(b"anna", b"mallory"), headers) == 401
