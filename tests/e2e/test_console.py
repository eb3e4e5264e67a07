"""The owner's console in a real browser: Debian's headless Chromium, driven by Selenium, against the local stack."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
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


def screenshot(browser: WebDriver, name: str, showing: Any = None) -> None:
    """The README's picture of a screen (scrolled to `showing`), under `make screenshots`."""
    if os.environ.get("LEADWIRE_SCREENSHOTS"):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        if showing is not None:
            browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", showing)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(SCREENSHOTS / f"console-{name}.png"))


def until(browser: WebDriver, check: Any, what: str) -> Any:
    return WebDriverWait(browser, WAIT_S).until(lambda driver: check(driver), what)


def sign_in(browser: WebDriver, stack: Any, key: str | None = None) -> None:
    browser.get(stack.url + "/console")
    field = until(browser, lambda driver: driver.find_element(By.ID, "api-key").is_displayed() and
                  driver.find_element(By.ID, "api-key"), "no key field")
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


def open_screen(browser: WebDriver, stack: Any, name: str) -> None:
    sign_in(browser, stack)
    until(browser, lambda driver: driver.find_element(By.ID, "nav").is_displayed(), "never signed in")
    browser.find_element(By.CSS_SELECTOR, f'#nav a[data-screen="{name}"]').click()


def test_a_rep_with_an_unknown_time_zone_is_refused_beside_the_field_then_added(stack, open_browser):
    # Given the team screen
    browser = open_browser()
    open_screen(browser, stack, "team")
    until(browser, lambda driver: "Anna Berg" in driver.find_element(By.ID, "team-table").text, "no team listed")
    rep_id = f"cara-{uuid.uuid4().hex[:4]}"

    # When the owner adds a rep with a time zone that does not exist and Monday hours
    browser.find_element(By.ID, "rep-id").send_keys(rep_id)
    browser.find_element(By.ID, "rep-name").send_keys("Cara Lind")
    browser.find_element(By.ID, "rep-email").send_keys("cara@harbor-heating.example")
    zone = browser.find_element(By.ID, "rep-timezone")
    zone.clear()
    zone.send_keys("Europe/Atlantis")
    browser.find_element(By.ID, "rep-always").click()
    browser.find_element(By.ID, "rep-hours-mon").send_keys("08:00-12:00, 13:00-16:00")
    browser.find_element(By.CSS_SELECTOR, "#rep-form button[type=submit]").click()

    # Then the error stands beside the time zone, tied to it, with the focus on it, and no rep was added
    error = until(browser, lambda driver: driver.find_elements(By.ID, "rep-timezone-error"), "no error shown")[0]
    assert "'Europe/Atlantis' is not an IANA time zone" in error.text
    assert error.find_element(By.XPATH, "preceding-sibling::input[1]").get_attribute("id") == "rep-timezone"
    assert zone.get_attribute("aria-invalid") == "true" and "rep-timezone-error" in zone.get_attribute(
        "aria-describedby")
    assert browser.switch_to.active_element == zone
    assert browser.find_elements(By.CSS_SELECTOR, "#rep-form [aria-invalid=true]") == [zone]
    assert rep_id not in [rep["id"] for rep in stack.request("GET", "/reps").json()["items"]]
    screenshot(browser, "team", browser.find_element(By.ID, "rep-form-title"))

    # When they correct it and save
    zone.clear()
    zone.send_keys("Europe/Stockholm")
    browser.find_element(By.CSS_SELECTOR, "#rep-form button[type=submit]").click()

    # Then the rep is listed and stored with the hours given
    until(browser, lambda driver: "Cara Lind saved." in driver.find_element(By.ID, "rep-message").text, "not saved")
    until(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, f'tr[data-rep-id="{rep_id}"]'), "not listed")
    stored = next(rep for rep in stack.request("GET", "/reps").json()["items"] if rep["id"] == rep_id)
    assert stored["timezone"] == "Europe/Stockholm"
    assert stored["working_hours"] == {"mon": ["08:00-12:00", "13:00-16:00"]}

    # When they deactivate the rep
    browser.find_element(By.CSS_SELECTOR, f'button[data-toggle="{rep_id}"]').click()

    # Then the rep gets no new leads
    until(browser, lambda driver: "deactivated" in driver.find_element(By.ID, "team-message").text, "not deactivated")
    assert next(rep for rep in stack.request("GET", "/reps").json()["items"] if rep["id"] == rep_id)["active"] is False


def rule_input(browser: WebDriver, path: str) -> Any:
    """The editor's input of a document path (each input learns its path when the editor is read)."""
    if not browser.execute_script("return Boolean(state.config) && Boolean(document.querySelector('#rules-editor "
                                  "fieldset'))"):
        return None
    browser.execute_script("readRules()")
    found = browser.find_elements(By.CSS_SELECTOR, f'#rules-editor input[data-path="{path}"]')
    return found[0] if found else None


def test_a_lower_threshold_is_tried_in_a_dry_run_that_shows_the_moved_leads_then_saved(stack, open_browser):
    # Given leads scoring 20 (email, phone, company: no title) under the rules in force
    moved = [send_lead(stack, name=f"Lena Moe{n}", company=f"Moe {n}", phone=f"+49 30 55{n:05d}") for n in range(2)]
    assert {lead["score"] for lead in moved} == {20} and {lead["stage"] for lead in moved} == {"lead"}
    before = stack.request("GET", "/config").json()
    before["version"] = stack.request("PUT", "/config", before["document"]).json()["version"]  # one to restore
    version = before["version"]
    browser = open_browser()
    open_screen(browser, stack, "rules")
    mql = until(browser, lambda driver: rule_input(driver, "scoring.mql"), "no editor")

    # When the owner sets the mql threshold to 20 and runs the dry run
    mql.clear()
    mql.send_keys("20")
    browser.find_element(By.ID, "rules-dry-run").click()

    # Then the moved leads are listed with counts, and nothing was saved
    until(browser, lambda driver: driver.find_element(By.ID, "dry-run").is_displayed(), "no dry run shown")
    summary = browser.find_element(By.ID, "dry-run-summary").text
    assert "move from lead to mql" in summary
    changed = {row.get_attribute("data-lead-id"): row.text for row in browser.find_elements(
        By.CSS_SELECTOR, "#dry-run-table tbody tr")}
    for lead in moved:
        assert "lead mql" in changed[lead["id"]].replace("\n", " ") or "lead\nmql" in changed[lead["id"]]
    assert stack.request("GET", "/config").json()["version"] == version
    screenshot(browser, "rules", browser.find_element(By.ID, "rules-dry-run"))

    # When they save
    browser.find_element(By.CSS_SELECTOR, "#rules-form button[type=submit]").click()

    # Then a new version is in force with the threshold, and listed among the versions
    until(browser, lambda driver: f"Saved as version {version + 1}" in driver.find_element(
        By.ID, "rules-message").text, "not saved")
    current = stack.request("GET", "/config").json()
    assert current["version"] == version + 1
    before["document"]["scoring"]["mql"] = 20
    assert current["document"] == before["document"]  # the editor read back everything else as it was

    assert f"Version {version + 1} (in force)" in browser.find_element(By.ID, "versions-table").text

    # When they restore the version before
    browser.find_element(By.CSS_SELECTOR, f'button[data-restore="{version}"]').click()

    # Then its document is in force again, as a new version
    until(browser, lambda driver: f"Version {version} restored as version {version + 2}" in driver.find_element(
        By.ID, "rules-message").text, "not restored")
    restored = stack.request("GET", "/config").json()
    assert restored["version"] == version + 2 and restored["document"]["scoring"]["mql"] == 40


def test_a_refused_rule_is_explained_beside_its_field(stack, open_browser):
    # Given the rules editor
    browser = open_browser()
    open_screen(browser, stack, "rules")
    sql = until(browser, lambda driver: rule_input(driver, "followup.first_contact_sla_minutes"), "no editor")

    # When the owner gives the first-contact deadline as zero minutes and runs the dry run
    sql.clear()
    sql.send_keys("0")
    browser.find_element(By.ID, "rules-dry-run").click()

    # Then the 422's reason stands beside that field
    error = until(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "#rules-editor .field-error"),
                  "no error beside the field")[0]
    assert "greater than 0" in error.text
    assert error.find_element(By.XPATH, "preceding-sibling::input[1]") == sql
    assert sql.get_attribute("aria-invalid") == "true"


def test_the_owner_writes_a_nurture_template_previews_it_and_an_unknown_placeholder_is_refused(stack, open_browser):
    # Given the templates screen
    browser = open_browser()
    open_screen(browser, stack, "templates")
    pick = until(browser, lambda driver: Select(driver.find_element(By.ID, "template-pick")), "no templates")
    until(browser, lambda _: len(pick.options) >= 3, "the built-in templates are not listed")
    assert [option.text for option in pick.options][:2] == ["welcome", "check-in"]

    # When the owner writes a new template with a placeholder that does not exist and previews it
    pick.select_by_value("")
    browser.find_element(By.ID, "template-name").send_keys("spring")
    browser.find_element(By.ID, "template-subject").send_keys("Spring service for {{ company }}")
    body = browser.find_element(By.ID, "template-body")
    body.send_keys("Hi {{ first_name }},\n\n{{ business }} services heat pumps in {{ season }}.")
    browser.find_element(By.ID, "template-preview-button").click()

    # Then the unknown placeholder is named beside the body
    error = until(browser, lambda driver: driver.find_elements(By.ID, "template-body-error"), "no error")[0]
    assert error.text.startswith("unknown placeholder season")
    assert body.get_attribute("aria-invalid") == "true"

    # When they fix it and preview again
    body.clear()
    body.send_keys("Hi {{ first_name }},\n\n{{ business }} services heat pumps in {{ city }} this spring.")
    browser.find_element(By.ID, "template-preview-button").click()

    # Then the preview is written to the sample lead
    until(browser, lambda driver: driver.find_elements(By.ID, "preview-subject"), "no preview")
    assert browser.find_element(By.ID, "preview-subject").text == "Spring service for Fox Builders"
    assert browser.find_element(By.ID, "preview-body").text == (
        "Hi Dana,\n\nOur team services heat pumps in Berlin this spring.")
    assert body.get_attribute("aria-invalid") is None
    screenshot(browser, "templates", browser.find_element(By.ID, "template-form"))

    # When they save it
    browser.find_element(By.CSS_SELECTOR, "#template-form button[type=submit]").click()

    # Then the rules in force carry it
    until(browser, lambda driver: "Template spring saved" in driver.find_element(By.ID, "template-message").text,
          "not saved")
    saved = stack.request("GET", "/config").json()["document"]["followup"]["templates"]["spring"]
    assert saved["subject"] == "Spring service for {{ company }}" and "{{ city }}" in saved["body"]


def test_the_funnel_chart_shows_leads_per_day_by_source_for_the_range_chosen(stack, open_browser):
    # Given leads today, one contacted and won, one lost
    leads = [send_lead(stack, name=f"Una Day{n}") for n in range(3)]
    for lead, statuses in zip(leads, (["contacted", "won"], ["contacted", "lost"]), strict=False):
        for status in statuses:
            assert stack.request("PATCH", f"/leads/{lead['id']}", {"status": status}).status == 200
    report_day = leads[-1]["created_at"][:10]
    start = (datetime.fromisoformat(report_day) - timedelta(days=6)).date().isoformat()
    browser = open_browser()
    open_screen(browser, stack, "funnel")

    # When the owner chooses a range of that day and the six before it
    until(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "#chart-days svg"), "no default chart")
    for field, day in (("funnel-from", start), ("funnel-to", report_day)):
        browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, field), day)
    browser.find_element(By.CSS_SELECTOR, "#funnel-range button[type=submit]").click()

    # Then the chart has a column for that day's website leads with the count the report gives, and every picture
    expected = stack.request("GET", f"/reports/funnel?from={start}&to={report_day}").json()
    website = expected["by_source"]["website"]["leads"]
    assert expected["total"]["won"] >= 1 and expected["total"]["first_contact_minutes"]["median"] is not None
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-days rect")) >= 1
    until(browser, lambda driver: f"{expected['total']['leads']} lead" in driver.find_element(
        By.ID, "funnel-message").text, "the range was not shown")
    bar = browser.find_element(By.CSS_SELECTOR, f'#chart-days rect[data-day="{report_day}"][data-source="website"]')
    assert bar.find_element(By.TAG_NAME, "title").get_attribute("textContent") == f"{report_day}, website: {website}"
    for chart in ("chart-rates", "chart-outcomes", "chart-speed", "chart-sla"):
        assert browser.find_element(By.CSS_SELECTOR, f"#{chart} svg[role=img]").get_attribute("aria-labelledby")
    screenshot(browser, "funnel")


def test_a_possible_duplicate_is_merged_and_the_lead_erased_after_a_dialog_naming_the_person(stack, open_browser):
    # Given two leads sharing a phone with different emails: possible duplicates of each other
    phone = f"+49 40 {uuid.uuid4().int % 10_000_000:07d}"
    first = send_lead(stack, name="Ida Paar", phone=phone)
    second = send_lead(stack, name="Ida Paar", phone=phone, company="Paar GmbH")
    kept = stack.request("GET", f"/leads/{second['id']}").json()
    assert [duplicate["id"] for duplicate in kept["possible_duplicates"]] == [first["id"]]
    browser = open_browser()
    sign_in(browser, stack)
    until(browser, lambda driver: driver.find_element(By.ID, "nav").is_displayed(), "never signed in")
    browser.get(f"{stack.url}/console#/leads/{second['id']}")

    # When the owner merges the listed duplicate into this lead
    duplicates = until(browser, lambda driver: driver.find_element(By.ID, "duplicates"), "no duplicates listed")
    assert "Ida Paar" in duplicates.text
    duplicates.find_element(By.CSS_SELECTOR, "form[data-action=merge] button").click()

    # Then the other lead is part of this one
    until(browser, lambda driver: "Merged" in driver.find_element(By.ID, "lead-message").text, "no confirmation")
    assert stack.request("GET", f"/leads/{first['id']}").status == 404
    assert stack.request("GET", f"/leads/{second['id']}").json()["merged_from"] == [first["id"]]

    # When they ask to erase the person, the dialog names them, and they keep the lead first
    browser.find_element(By.CSS_SELECTOR, "form[data-action=erase] button").click()
    dialog = until(browser, lambda driver: driver.find_element(By.ID, "erase-dialog").is_displayed() and
                   driver.find_element(By.ID, "erase-dialog"), "no confirmation asked")
    assert dialog.find_element(By.ID, "erase-title").text == "Erase Ida Paar?"
    assert browser.switch_to.active_element.text == "Keep"
    browser.switch_to.active_element.click()
    assert stack.request("GET", f"/leads/{second['id']}").status == 200

    # When they confirm the erasure
    browser.find_element(By.CSS_SELECTOR, "form[data-action=erase] button").click()
    until(browser, lambda driver: driver.find_element(By.ID, "erase-dialog").is_displayed(), "no confirmation asked")
    confirm = browser.find_element(By.ID, "erase-confirm")
    assert confirm.text == "Erase Ida Paar"
    confirm.click()

    # Then the person is gone and the list says so
    until(browser, lambda driver: "Ida Paar was erased." in driver.find_element(By.ID, "leads-message").text,
          "no word of the erasure")
    assert stack.request("GET", f"/leads/{second['id']}").status == 404


UNLABELLED = """
    return Array.from(document.querySelectorAll('input, select, textarea'))
        .filter(input => input.type !== 'hidden' && input.offsetParent !== null && input.labels.length === 0)
        .map(input => input.id || input.name);"""


# WCAG 2 contrast of each visible text's colour against the background behind it (the first opaque one up the tree).
LOW_CONTRAST = """
    const rgb = text => (text.match(/[\\d.]+/g) || []).map(Number);
    const linear = v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    const light = ([r, g, b]) => 0.2126 * linear(r / 255) + 0.7152 * linear(g / 255) + 0.0722 * linear(b / 255);
    const behind = node => {
        for (; node; node = node.parentElement) {
            const colour = rgb(getComputedStyle(node).backgroundColor);
            if (colour.length === 3 || colour[3] === 1) return colour.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const low = [];
    for (const node of document.querySelectorAll('main *, header *')) {
        if (!node.offsetParent || ![...node.childNodes].some(child => child.nodeType === 3 && child.textContent.trim()))
            continue;
        const fore = light(rgb(getComputedStyle(node).color).slice(0, 3)), back = light(behind(node));
        const ratio = (Math.max(fore, back) + 0.05) / (Math.min(fore, back) + 0.05);
        if (ratio < 4.5) low.push(`${node.tagName}.${node.className}: ${ratio.toFixed(2)}`);
    }
    return low;"""


def test_every_screen_is_labelled_legible_and_usable_by_keyboard_with_a_visible_focus(stack, open_browser):
    # Given the console, signed in with the keyboard alone
    send_lead(stack, name="Kai Keys")
    browser = open_browser()
    browser.get(stack.url + "/console")
    key = until(browser, lambda driver: driver.find_element(By.ID, "api-key").is_displayed() and
                driver.find_element(By.ID, "api-key"), "no key field")
    assert browser.switch_to.active_element == key
    key.send_keys(stack.api_key + Keys.ENTER)
    until(browser, lambda driver: driver.find_element(By.ID, "nav").is_displayed(), "Enter did not sign in")

    for screen in ("leads", "team", "rules", "templates", "funnel"):
        # When the owner tabs from the top of the page (its skip link) to the screen's link and presses Enter
        browser.execute_script("document.querySelector('a.skip').focus()")
        link = browser.find_element(By.CSS_SELECTOR, f'#nav a[data-screen="{screen}"]')
        for _ in range(12):
            browser.switch_to.active_element.send_keys(Keys.TAB)
            if browser.switch_to.active_element == link:
                break
        assert browser.switch_to.active_element == link, f"Tab never reached {screen}"
        outline = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", f"the focused link to {screen} shows no outline ({outline})"
        link.send_keys(Keys.ENTER)

        # Then the screen opens, and every input on it has a label
        until(browser, lambda driver, name=screen: driver.find_element(By.ID, f"screen-{name}").is_displayed(),
              f"{screen} never opened")
        if screen == "rules":
            until(browser, lambda driver: driver.execute_script(
                "return document.querySelectorAll('#rules-editor input').length > 0"), "no editor")
        assert browser.execute_script(UNLABELLED) == [], screen
        assert browser.execute_script(LOW_CONTRAST) == [], screen
