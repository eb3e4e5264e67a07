"""The owner's console in a real browser: Debian's headless Chromium, driven by Selenium, against the local stack."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.e2e import test_browser
from tests.e2e.test_browser import SCREENSHOTS, WAIT_S, wait_for

pytestmark = pytest.mark.e2e
open_browser = test_browser.open_browser  # the same Chromium, started the same way

TEAM = {"anna": {"name": "Anna Berg", "email": "anna@harbor-heating.example", "timezone": "Europe/Berlin"},
        "ben": {"name": "Ben Ode", "email": "ben@harbor-heating.example", "timezone": "Europe/London"}}


@pytest.fixture(scope="module", autouse=True)
def team(stack: Any) -> None:
    for rep_id, rep in TEAM.items():
        assert stack.request("PUT", f"/reps/{rep_id}", rep).status == 200


def send_lead(stack: Any, **fields: str) -> dict[str, Any]:
    """A website lead, once it is scored and assigned, as the API shows it."""
    unique = uuid.uuid4().hex[:8]
    body = {"name": "Dana Fox", "email": f"dana.{unique}@fox-builders.example", **fields}
    answer = stack.request("POST", "/leads", body, auth=False)
    assert answer.status in (200, 201), answer.body
    lead_id = answer.json()["id"]

    def ready() -> dict[str, Any] | None:
        lead = stack.request("GET", f"/leads/{lead_id}").json()
        return lead if lead.get("owner") and lead.get("score_reasons") else None

    return wait_for(ready, f"lead {lead_id} was not scored and assigned")


def screenshot(browser: WebDriver, name: str) -> None:
    """The README's picture of a screen, under `make screenshots`."""
    if os.environ.get("LEADWIRE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(SCREENSHOTS / f"console-{name}.png"))


def until(browser: WebDriver, check: Any, what: str) -> Any:
    return WebDriverWait(browser, WAIT_S).until(lambda driver: check(driver), what)


def sign_in(browser: WebDriver, stack: Any, key: str | None = None) -> None:
    browser.get(stack.url + "/console")
    field = until(browser, lambda driver: driver.find_element(By.ID, "api-key"), "no key field")
    field.send_keys(key or stack.api_key)
    browser.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()


def rows(browser: WebDriver) -> dict[str, dict[str, str]]:
    """The leads table: lead id → cells by column (read in one go: the table is redrawn as it loads)."""
    names = ("came_in", "name", "company", "source", "score", "stage", "status", "owner")
    read = browser.execute_script("""
        return Array.from(document.querySelectorAll('#leads-table tbody tr'))
            .map(row => [row.dataset.leadId, Array.from(row.cells).map(cell => cell.innerText)]);""")
    return {lead_id: dict(zip(names, cells, strict=True)) for lead_id, cells in read}


def test_the_owner_signs_in_with_the_key_kept_out_of_the_url_and_signs_out(stack, open_browser):
    # Given the console, and a lead
    lead = send_lead(stack, name="Sina Key")
    browser = open_browser()

    # When the owner signs in with a wrong key
    sign_in(browser, stack, key="not-the-key")

    # Then the error stands beside the key field and nothing is kept
    error = until(browser, lambda driver: driver.find_element(By.ID, "api-key-error").text and
                  driver.find_element(By.ID, "api-key-error"), "no error for a wrong key")
    assert error.text == "That key was not accepted."
    assert browser.find_element(By.ID, "api-key").get_attribute("aria-invalid") == "true"
    assert browser.execute_script("return sessionStorage.length") == 0

    # When they sign in with the right key
    field = browser.find_element(By.ID, "api-key")
    field.clear()
    sign_in(browser, stack)

    # Then the leads are listed, the key is only in this tab's session storage, never in the address
    until(browser, lambda driver: lead["id"] in rows(driver), "the list never showed the lead")
    assert stack.api_key not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('leadwire.key')") == stack.api_key
    assert browser.execute_script("return localStorage.length") == 0
    assert browser.get_cookies() == []

    # When they sign out
    browser.find_element(By.ID, "sign-out").click()

    # Then the key is gone, the sign-in form is back, and a reload stays signed out
    until(browser, lambda driver: driver.find_element(By.ID, "api-key").is_displayed(), "no sign-in form")
    assert browser.execute_script("return sessionStorage.getItem('leadwire.key')") is None
    browser.refresh()
    until(browser, lambda driver: driver.find_element(By.ID, "api-key").is_displayed(), "signed in after reload")
    assert not browser.find_element(By.ID, "nav").is_displayed()


def test_the_console_is_served_with_a_strict_content_security_policy(stack):
    answer = stack.request("GET", "/console", auth=False)

    policy = answer.headers["Content-Security-Policy"]
    assert answer.status == 200 and "script-src 'self';" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
    assert b"<script>" not in answer.body and b" style=" not in answer.body and b"http" not in answer.body.replace(
        b"http-equiv", b"")
    assert stack.request("GET", "/console/leads/anything", auth=False).status == 401


def test_the_owner_filters_the_list_by_stage_and_finds_a_lead_by_email(stack, open_browser):
    # Given a senior lead with a phone and company (an mql by the default rules) and a plain one
    senior = send_lead(stack, name="Maria Lopez", company="Lopez Bakery", job_title="Owner", phone="+34 612 345 678")
    plain = send_lead(stack, name="Tom Becker")
    assert (senior["stage"], plain["stage"]) == ("mql", "lead")
    browser = open_browser()
    sign_in(browser, stack)
    until(browser, lambda driver: {senior["id"], plain["id"]} <= set(rows(driver)), "the list lacks the leads")

    # When the owner filters on stage MQL
    Select(browser.find_element(By.ID, "filter-stage")).select_by_value("mql")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()

    # Then only mql leads are listed, the senior one among them
    until(browser, lambda driver: plain["id"] not in rows(driver), "the plain lead is still listed")
    listed = rows(browser)
    assert senior["id"] in listed and {row["stage"] for row in listed.values()} == {"mql"}
    assert listed[senior["id"]]["name"] == "Maria Lopez"
    screenshot(browser, "leads")

    # When they look for the plain lead's exact email
    browser.find_element(By.ID, "find-email").send_keys(plain["email"].upper())
    browser.find_element(By.CSS_SELECTOR, "#find button[type=submit]").click()

    # Then that lead alone is listed
    until(browser, lambda driver: list(rows(driver)) == [plain["id"]], "the search did not find the lead alone")


def test_the_owner_opens_a_lead_and_reassigns_it(stack, open_browser):
    # Given a lead of one rep
    lead = send_lead(stack, name="Aisha Khan", company="Khan Dental", job_title="Director", phone="+44 20 7946 0018",
                     message="Our boiler is 20 years old.")
    other = next(rep_id for rep_id in TEAM if rep_id != lead["owner"])
    browser = open_browser()
    sign_in(browser, stack)

    # When the owner opens it from the list
    link = until(browser, lambda driver: driver.find_elements(
        By.CSS_SELECTOR, f'tr[data-lead-id="{lead["id"]}"] a'), "the lead is not listed")[0]
    link.click()

    # Then it shows what the rep's page shows: who, how to reach them, what they wrote, the score, the timeline
    heading = until(browser, lambda driver: driver.find_element(By.CSS_SELECTOR, "#lead h1"), "the lead never opened")
    assert heading.text == "Aisha Khan"
    assert browser.current_url.endswith(f"#/leads/{lead['id']}")
    page = browser.find_element(By.ID, "lead").text
    assert "Our boiler is 20 years old." in page and "Director, Khan Dental" in page
    call = browser.find_element(By.CSS_SELECTOR, "#lead a[href^='tel:']")
    assert call.get_attribute("href") == f"tel:{lead['phone']}"
    assert "Assigned to " + lead["owner"] in browser.find_element(By.ID, "timeline").text
    screenshot(browser, "lead")

    # When they reassign it to the other rep
    Select(browser.find_element(By.ID, "reassign-to")).select_by_value(other)
    browser.find_element(By.CSS_SELECTOR, "form[data-action=reassign] button").click()

    # Then the console confirms it and the lead has its new owner
    until(browser, lambda driver: "Reassigned to" in driver.find_element(By.ID, "lead-message").text, "no confirmation")
    assert browser.find_element(By.ID, "lead-message").text == f"Reassigned to {TEAM[other]['name']}."
    assert stack.request("GET", f"/leads/{lead['id']}").json()["owner"] == other
    assert Select(browser.find_element(By.ID, "reassign-to")).first_selected_option.get_attribute("value") == other
