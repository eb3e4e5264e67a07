"""The console's webhooks screen in a real browser: each subscription's state and the deliveries that failed after
every retry, as the owner sees them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from leadwire.clock import iso
from tests.e2e import test_browser
from tests.e2e.receiver import Receiver
from tests.e2e.test_console import open_screen, screenshot, until

pytestmark = pytest.mark.e2e
open_browser = test_browser.open_browser  # the same Chromium, started the same way


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def outbound_rows(browser: WebDriver) -> dict[str, list[str]]:
    read = browser.execute_script("""
        return Array.from(document.querySelectorAll('#outbound-table tbody tr'))
            .map(row => [row.dataset.subscriptionId, Array.from(row.cells).map(cell => cell.innerText)]);""")
    return {subscription_id: cells for subscription_id, cells in read}


def test_a_delivery_that_failed_after_every_retry_and_a_subscription_turned_off_are_shown(stack, open_browser,
                                                                                        receiver: Receiver):
    # Given a receiver that always answers 500, and one that answers 410
    assert stack.request("PUT", "/reps/anna", {"name": "Anna Berg", "email": "anna@team.example"}).status == 200
    receiver.answer("/down", *[500] * 20)
    receiver.answer("/gone", 410)
    for subscription_id in ("down", "gone"):
        answer = stack.request("PUT", f"/subscriptions/{subscription_id}", {
            "kind": "webhook", "url": receiver.url(f"/{subscription_id}"), "events": ["lead.assigned"]})
        assert answer.status == 201
    started = datetime.now(UTC)

    # When a lead is assigned and the schedule retries for a day
    assert stack.request("POST", "/leads", {"name": "Dana Fox", "email": "dana@fox-builders.example"},
                         auth=False).status == 201
    stack.drain()
    for later in (timedelta(hours=23), timedelta(hours=24, minutes=5)):
        stack.sweep(iso(started + later))

    # Then the console's webhooks screen shows both
    browser = open_browser()
    open_screen(browser, stack, "outbound")
    shown: dict[str, Any] = until(browser, lambda driver: len(outbound_rows(driver)) == 2 and outbound_rows(driver),
                                  "the subscriptions never showed")
    assert shown["down"][3] == "On" and shown["down"][4] == "1 failed"
    assert "lead.assigned" in shown["down"][5] and "the receiver answered 500" in shown["down"][5]
    assert shown["gone"][3] == "Off: the receiver answered 410 Gone"
    assert shown["gone"][4] == "1 refused for good (410)"
    screenshot(browser, "webhooks")
