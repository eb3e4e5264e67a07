"""The website form in a real browser: Debian's headless Chromium, driven by Selenium, against the local stack."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from leadwire.outbound.emails import LEAD_HEADER

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# `make screenshots` writes them into docs/ for the README; every other run keeps them out of the working tree.
SCREENSHOTS = Path(os.environ.get("LEADWIRE_SCREENSHOTS", ROOT / "tests" / "e2e" / "artifacts"))
SCREENSHOT = SCREENSHOTS / "screenshot.png"
CHROMIUM = os.environ.get("LEADWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LEADWIRE_CHROMEDRIVER", "/usr/bin/chromedriver")
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this network refuses.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US")
WAIT_S = 10.0
TEAM = {"anna": {"name": "Anna Berg", "email": "anna@harbor-heating.example"},
        "ben": {"name": "Ben Ode", "email": "ben@harbor-heating.example"}}
FORM_INPUTS = ("lw-name", "lw-email", "lw-phone", "lw-company", "lw-message", "lw-consent")


@pytest.fixture(scope="module", autouse=True)
def team(stack: Any) -> None:
    for rep_id, rep in TEAM.items():
        assert stack.request("PUT", f"/reps/{rep_id}", rep).status == 200


@pytest.fixture
def open_browser() -> Iterator[Callable[..., WebDriver]]:
    """Start Chromium on demand (`open_browser(javascript=False)` for one with scripts off); all quit at the end."""
    for program in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(program):
            pytest.fail(f"{program} is missing: run 'apt-get install chromium chromium-driver' (make test does)")
    started: list[tuple[WebDriver, tempfile.TemporaryDirectory[str]]] = []

    def start(javascript: bool = True) -> WebDriver:
        profile = tempfile.TemporaryDirectory(prefix="leadwire-chromium-")
        options = Options()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile.name}")
        if not javascript:
            # The content setting a person flips in Chrome's settings: the page's own scripts never run.
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        started.append((driver, profile))
        return driver

    yield start
    for driver, profile in started:
        driver.quit()
        profile.cleanup()


def person(**overrides: str) -> dict[str, str]:
    """Someone filling in the form; a fresh email and phone each time, so tests never merge into each other's leads."""
    unique = uuid.uuid4()
    return {"name": "Dana Fox", "email": f"dana.{unique.hex[:8]}@fox-builders.example",
            "phone": f"+49 30 {unique.int % 10_000_000:07d}",
            "company": "Fox Builders", "message": "We need a quote for\na heat pump.", **overrides}


def fill(browser: WebDriver, who: dict[str, str], consent: bool = True) -> None:
    for name, value in who.items():
        field = browser.find_element(By.ID, f"lw-{name}")
        field.clear()
        field.send_keys(value)
    if consent:
        browser.find_element(By.ID, "lw-consent").click()


def submit(browser: WebDriver) -> None:
    browser.find_element(By.CSS_SELECTOR, "form.leadwire-form button[type=submit]").click()


def status_text(browser: WebDriver, contains: str) -> str:
    """The form's live region once it says `contains`."""
    status = browser.find_element(By.CSS_SELECTOR, "form.leadwire-form .lw-status")
    WebDriverWait(browser, WAIT_S).until(lambda _: contains in status.text, f"status never said {contains!r}")
    return status.text


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll `check` until it gives something truthy; fail saying `what` did not happen in time."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:g} s")
        time.sleep(0.1)


def leads_by_email(stack: Any, email: str) -> list[dict[str, Any]]:
    answer = stack.request("GET", "/leads?limit=100")
    assert answer.status == 200, answer.body
    return [lead for lead in answer.json()["items"] if lead.get("email") == email]


def stored_lead(stack: Any, email: str) -> dict[str, Any]:
    """The lead as the API shows it once it has been scored and assigned."""
    found = wait_for(lambda: leads_by_email(stack, email), f"no lead for {email} was stored")
    assert len(found) == 1
    lead_id = found[0]["id"]

    def assigned() -> dict[str, Any] | None:
        lead = stack.request("GET", f"/leads/{lead_id}").json()
        return lead if lead.get("owner") and lead.get("score_reasons") else None

    return wait_for(assigned, f"lead {lead_id} was not scored and assigned")


def board_row(browser: WebDriver, lead_id: str) -> dict[str, str]:
    """The board's row for a lead, once it shows an owner (the board refreshes every 2 s)."""
    selector = f'tr[data-lead-id="{lead_id}"]'

    def shown_with_owner(driver: WebDriver) -> WebElement | None:
        rows = driver.find_elements(By.CSS_SELECTOR, selector)
        return rows[0] if rows and rows[0].find_element(By.CSS_SELECTOR, "td.owner").text not in ("", "—") else None

    try:
        row = WebDriverWait(browser, WAIT_S).until(shown_with_owner)
    except TimeoutException:
        pytest.fail(f"the board never showed lead {lead_id} with an owner")
    cells = row.find_elements(By.TAG_NAME, "td")
    return dict(zip(("created", "name", "source", "score", "stage", "owner", "status"), (c.text for c in cells),
                    strict=True))


def open_board_in_demo_page(browser: WebDriver) -> None:
    browser.switch_to.frame(browser.find_element(By.ID, "leadwire-board"))


def record_button_states(browser: WebDriver) -> None:
    """Note every change of the submit button's `disabled`, so a fast server cannot hide it."""
    browser.execute_script("""
        const button = document.querySelector('form.leadwire-form button[type=submit]');
        window.buttonStates = [];
        new MutationObserver(() => window.buttonStates.push(button.disabled))
            .observe(button, {attributes: true, attributeFilter: ['disabled']});""")


def test_a_lead_sent_with_javascript_shows_thanks_and_appears_on_the_board_scored_and_assigned(stack, open_browser):
    # Given the demo page with the snippet, in a browser that runs scripts
    browser = open_browser()
    browser.get(stack.url + "/")
    form = browser.find_element(By.CSS_SELECTOR, "form.leadwire-form")
    assert form.get_attribute("data-leadwire") == "ready"
    assert browser.find_element(By.NAME, "landing_page").get_attribute("value") == stack.url + "/"
    who = person(name="Dana Fox")
    record_button_states(browser)

    # When the person fills the form and sends it
    fill(browser, who)
    submit(browser)

    # Then the page thanks them without leaving, after disabling the button while it was sending
    status_text(browser, "Thank you")
    assert browser.current_url == stack.url + "/"
    assert browser.execute_script("return window.buttonStates") == [True, False]
    assert browser.switch_to.active_element.get_attribute("class").startswith("lw-status")
    assert browser.find_element(By.ID, "lw-email").get_attribute("value") == ""

    # And the lead is stored with its consent, scored and assigned
    lead = stored_lead(stack, who["email"])
    assert (lead["source"], lead["first_name"], lead["last_name"]) == ("website", "Dana", "Fox")
    assert lead["consent"]["marketing"] is True
    assert lead["consent"]["text"].startswith("Yes, you may email me")
    assert lead["landing_page"] == stack.url + "/"
    assert lead["owner"] in TEAM and lead["status"] == "assigned"

    # And the board beside the form shows it with its score, stage and owner
    open_board_in_demo_page(browser)
    row = board_row(browser, lead["id"])
    assert row["name"] == "Dana Fox" and row["source"] == "website"
    assert row["score"] == str(math.floor(lead["score"] + 0.5)) and row["stage"] == lead["stage"]
    assert (row["owner"], row["status"]) == (lead["owner"], "assigned")


def test_a_lead_sent_with_javascript_off_lands_on_the_thank_you_page_and_on_the_board(stack, open_browser):
    # Given the demo page, reached through a campaign link, in a browser that runs no scripts
    browser = open_browser(javascript=False)
    browser.get(stack.url + "/?" + urlencode({"utm_source": "flyer", "utm_campaign": "autumn"}))
    assert browser.find_element(By.CSS_SELECTOR, "form.leadwire-form").get_attribute("data-leadwire") is None
    who = person(name="Noah Script", email=f"noah.{uuid.uuid4().hex[:8]}@example.org")

    # When the person fills the form and sends it
    fill(browser, who)
    submit(browser)

    # Then the plain POST is answered with a redirect to the thank-you page
    WebDriverWait(browser, WAIT_S).until(lambda driver: driver.current_url == stack.url + "/thanks",
                                         "the browser never reached /thanks")
    assert "we got your message" in browser.find_element(By.TAG_NAME, "h1").text

    # And the lead is stored, with the UTM parameters of the page it was sent from, scored and assigned
    lead = stored_lead(stack, who["email"])
    assert (lead["first_name"], lead["last_name"], lead["company"]) == ("Noah", "Script", "Fox Builders")
    assert lead["consent"]["marketing"] is True
    assert lead["utm"].get("source") == "flyer" and lead["utm"].get("campaign") == "autumn"

    # And the board shows it
    board = open_browser()
    board.get(stack.url + "/board")
    row = board_row(board, lead["id"])
    assert (row["name"], row["owner"], row["status"]) == ("Noah Script", lead["owner"], "assigned")


def test_an_invalid_email_is_explained_beside_the_field_and_keeps_what_was_typed(stack, open_browser):
    # Given the demo page and someone who mistypes their email
    browser = open_browser()
    browser.get(stack.url + "/")
    who = person(email="dana@@fox-builders")
    fill(browser, who)

    # When they send the form
    submit(browser)

    # Then the error stands beside the email field, is tied to it for screen readers, and has the focus
    summary = status_text(browser, "Email")
    email = browser.find_element(By.ID, "lw-email")
    error = browser.find_element(By.ID, "lw-email-error")
    assert error.is_displayed() and error.text
    assert email.get_attribute("aria-invalid") == "true"
    assert email.get_attribute("aria-describedby") == "lw-email-error"
    assert error.find_element(By.XPATH, "..") == email.find_element(By.XPATH, "..")
    assert browser.switch_to.active_element == email
    assert "Please fix" in summary
    assert browser.find_element(By.CSS_SELECTOR, ".lw-status").get_attribute("aria-live") == "polite"

    # And everything they typed is still there, and no other field is marked
    for name, value in who.items():
        assert browser.find_element(By.ID, f"lw-{name}").get_attribute("value") == value
    assert browser.find_element(By.ID, "lw-consent").is_selected()
    assert browser.find_elements(By.CSS_SELECTOR, "form.leadwire-form [aria-invalid=true]") == [email]
    assert leads_by_email(stack, who["email"]) == []

    # When they correct the email and send again
    email.clear()
    email.send_keys("dana.fixed@fox-builders.example")
    assert email.get_attribute("aria-invalid") is None
    submit(browser)

    # Then it goes through
    status_text(browser, "Thank you")
    assert stored_lead(stack, "dana.fixed@fox-builders.example")["company"] == "Fox Builders"


def test_sending_again_after_a_500_that_had_stored_the_form_stores_it_once(stack, open_browser):
    # Given a person whose form was stored but answered 500, and still shows what they typed
    browser, who = refused_after_storing(stack, open_browser, "Rae Retry")
    assert browser.find_element(By.ID, "lw-email").get_attribute("value") == who["email"]

    # When they press Send again without changing a thing
    submit(browser)

    # Then the page thanks them, and one lead holds one submission: the resend was known for the same form
    status_text(browser, "Thank you")
    assert injected_and_off(stack) == {"dynamodb.InternalServerError (applied)": 1}
    lead = stored_lead(stack, who["email"])
    assert lead["touches"] == 1 and lead["message"] == who["message"]
    assert len(stack.request("GET", f"/leads/{lead['id']}/submissions").json()["items"]) == 1


def test_a_form_changed_before_it_is_sent_again_keeps_both_messages(stack, open_browser):
    # Given a person whose form was stored but answered 500
    browser, who = refused_after_storing(stack, open_browser, "Rae Edit")

    # When they add to the message before sending again
    browser.find_element(By.ID, "lw-message").send_keys(" Before March, please.")
    submit(browser)

    # Then the second is another filling-in, not a repeat: the lead keeps both messages, the latest shown
    status_text(browser, "Thank you")
    assert injected_and_off(stack) == {"dynamodb.InternalServerError (applied)": 1}
    lead = stored_lead(stack, who["email"])
    submissions = stack.request("GET", f"/leads/{lead['id']}/submissions").json()["items"]
    assert lead["touches"] == 2 and lead["message"].endswith("Before March, please.")
    assert len(submissions) == 2


def refused_after_storing(stack: Any, open_browser: Callable[..., WebDriver], name: str
                          ) -> tuple[WebDriver, dict[str, str]]:
    """The demo page once a person sent the form and the intake's write was done but answered 500 (the stream
    drained first, so that the next transaction is the form's): the page says it did not go through."""
    browser = open_browser()
    browser.get(stack.url + "/")
    who = person(name=name, email=f"rae.{uuid.uuid4().hex[:8]}@example.org")
    fill(browser, who)
    stack.drain()
    fault = {"kind": "dynamodb", "failure": "InternalServerError (applied)", "operation": "TransactWriteItems"}
    assert stack.request("POST", "/_local/faults", {"next": [fault]}).status == 200
    submit(browser)
    status_text(browser, "did not go through")
    return browser, who


def injected_and_off(stack: Any) -> dict[str, int]:
    """The faults injected so far; none from now on."""
    injected = stack.request("GET", "/_local/faults").json()["injected"]
    assert stack.request("POST", "/_local/faults", {}).status == 200
    return injected


def test_a_filled_honeypot_looks_accepted_but_stores_nothing(stack, open_browser):
    # Given a bot that fills every field it finds, the hidden honeypot included
    browser = open_browser()
    browser.get(stack.url + "/")
    who = person(name="Spam Bot", email=f"bot.{uuid.uuid4().hex[:8]}@spam.example")
    fill(browser, who)
    honeypot = browser.find_element(By.NAME, "_gotcha")
    browser.execute_script("arguments[0].value = 'http://cheap-pills.example'", honeypot)

    # When it sends the form
    submit(browser)

    # Then it is thanked like anyone else, and nothing is stored
    status_text(browser, "Thank you")
    stack.drain()
    assert leads_by_email(stack, who["email"]) == []


def test_the_honeypot_is_out_of_reach_for_people_and_screen_readers(stack, open_browser):
    # Given the demo page
    browser = open_browser()
    browser.get(stack.url + "/")

    # When we look at the honeypot
    honeypot = browser.find_element(By.NAME, "_gotcha")
    wrapper = honeypot.find_element(By.XPATH, "..")

    # Then it is not visible, not focusable by Tab, not autofilled and hidden from assistive technology
    assert not honeypot.is_displayed()
    assert honeypot.get_attribute("tabindex") == "-1"
    assert honeypot.get_attribute("autocomplete") == "off"
    assert wrapper.get_attribute("aria-hidden") == "true"


def test_utm_parameters_of_the_landing_page_reach_the_stored_lead(stack, open_browser):
    # Given a visitor who lands from a newsletter link and then browses on before sending the form
    browser = open_browser()
    utm = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring-sale", "utm_term": "heat pump",
           "utm_content": "hero"}
    landing = stack.url + "/?" + urlencode(utm)
    browser.get(landing)
    browser.get(stack.url + "/thanks")
    browser.get(stack.url + "/")
    who = person(name="Uma Tam")
    fill(browser, who)

    # When they send it
    submit(browser)
    status_text(browser, "Thank you")

    # Then the stored lead carries the campaign and the landing page of the visit
    found = wait_for(lambda: leads_by_email(stack, who["email"]), "no lead was stored")
    lead = stack.request("GET", f"/leads/{found[0]['id']}").json()
    assert {key: lead["utm"].get(key) for key in ("source", "medium", "campaign", "term", "content")} == {
        "source": "newsletter", "medium": "email", "campaign": "spring-sale", "term": "heat pump", "content": "hero"}
    assert lead["landing_page"] == landing


def test_the_form_works_with_the_keyboard_alone_and_every_input_has_a_label(stack, open_browser):
    # Given the demo page, every field of the form labelled
    browser = open_browser()
    browser.get(stack.url + "/")
    unlabelled = browser.execute_script("""
        return Array.from(document.querySelectorAll('form.leadwire-form input, form.leadwire-form textarea'))
            .filter(input => input.type !== 'hidden' && input.name !== '_gotcha' && input.labels.length === 0)
            .map(input => input.name);""")
    assert unlabelled == []
    who = person(name="Kim Board", email=f"kim.{uuid.uuid4().hex[:8]}@keys.example")
    typed = [who["name"], who["email"], who["phone"], who["company"], "Please call me."]

    # When someone tabs into the form, types into each field in turn, ticks consent with Space and presses Enter
    browser.find_element(By.ID, "contact-title").click()
    order = []
    for text in [*typed, Keys.SPACE]:
        browser.switch_to.active_element.send_keys(Keys.TAB)
        order.append(browser.switch_to.active_element.get_attribute("id"))
        browser.switch_to.active_element.send_keys(text)
    browser.switch_to.active_element.send_keys(Keys.TAB)
    button = browser.switch_to.active_element
    assert button.get_attribute("type") == "submit"
    button.send_keys(Keys.ENTER)

    # Then Tab visited the fields in order, skipping the honeypot, and the lead went through
    assert order == list(FORM_INPUTS)
    status_text(browser, "Thank you")
    lead = stored_lead(stack, who["email"])
    assert (lead["first_name"], lead["message"], lead["consent"]["marketing"]) == ("Kim", "Please call me.", True)


DEMO_LEADS = (
    {"name": "Maria Lopez", "email": "maria@lopez-bakery.example", "company": "Lopez Bakery", "job_title": "Owner",
     "phone": "+34 612 345 678", "utm_source": "google", "utm_campaign": "heat-pumps"},
    {"name": "Tom Becker", "email": "tom.becker@gmail.com", "message": "Boiler service, please"},
    {"name": "Aisha Khan", "email": "aisha@khan-dental.example", "company": "Khan Dental", "job_title": "Director",
     "phone": "+44 20 7946 0018"},
    {"name": "Jonas Weber", "email": "jonas@weber-haus.example", "company": "Weber Haus", "phone": "+49 89 1234567"},
)


def test_the_demo_page_with_leads_on_the_board_is_saved_for_the_readme(stack, open_browser):
    # Given a few leads from the website, like a morning at a small shop
    ids = []
    for lead in DEMO_LEADS:
        answer = stack.request("POST", "/leads", lead, auth=False, headers={"referer": stack.url + "/"})
        assert answer.status in (200, 201), answer.body
        ids.append(answer.json()["id"])

    # When the demo page shows them on its board (at the size the README shows it)
    browser = open_browser()
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    browser.get(stack.url + "/")
    fill(browser, person(name="Dana Fox", email="dana@fox-builders.example", phone="+49 30 1234567"))
    open_board_in_demo_page(browser)
    for lead_id in ids:
        board_row(browser, lead_id)
    browser.switch_to.default_content()
    time.sleep(2.5)  # let the board's highlight of new rows fade before the picture

    # Then the screenshot is saved (where the README embeds it, under `make screenshots`)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


LEAD_PAGE_SCREENSHOT = SCREENSHOTS / "lead-page.png"


def emails_about(outbox: list[dict[str, Any]], lead_id: str, to: str) -> list[dict[str, Any]]:
    return [mail for mail in outbox if mail["to"] == to and mail["headers"].get(LEAD_HEADER) == lead_id]


def test_a_rep_opens_the_email_link_on_a_phone_clicks_contacted_and_gets_no_reminder(stack, open_browser):
    # Given a lead assigned to a rep, and the email that rep got
    who = person(name="Maria Lopez", company="Lopez Bakery", email=f"maria.{uuid.uuid4().hex[:6]}@lopez-bakery.example")
    answer = stack.request("POST", "/leads", {**who, "job_title": "Owner", "utm_source": "google",
                                              "utm_campaign": "heat-pumps"}, auth=False)
    lead_id = answer.json()["id"]
    lead = stored_lead(stack, who["email"])
    owner_email = TEAM[lead["owner"]]["email"]
    mail = wait_for(lambda: emails_about(stack.outbox(), lead_id, owner_email), "the owner got no email")[-1]
    link = next(line.split()[-1] for line in mail["text"].splitlines() if "/l/" in line)

    # When the rep opens the link on a phone
    browser = open_browser(javascript=False)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 1100, "deviceScaleFactor": 1, "mobile": True})
    browser.get(link)

    # Then the page shows the lead, with one tap to call
    assert browser.find_element(By.TAG_NAME, "h1").text == "Maria Lopez"
    call = browser.find_element(By.CSS_SELECTOR, "a[href^='tel:']")
    assert call.get_attribute("href") == f"tel:{lead['phone']}" and call.is_displayed()
    assert "Call by" in browser.find_element(By.ID, "deadline").text
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    if os.environ.get("LEADWIRE_SCREENSHOTS"):
        LEAD_PAGE_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(LEAD_PAGE_SCREENSHOT))

    # When they tap "Contacted" (the one click)
    browser.find_element(By.CSS_SELECTOR, "button[value='contacted']").click()

    # Then the page confirms it, and the lead is contacted
    confirmation = WebDriverWait(browser, WAIT_S).until(lambda driver: driver.find_element(By.ID, "confirmation"))
    assert "First contact recorded" in confirmation.text
    assert browser.find_element(By.ID, "status").text == "Contacted"
    assert stack.request("GET", f"/leads/{lead_id}").json()["status"] == "contacted"

    # And the sweep at the reminder instant sends that rep nothing about this lead
    seen = len(stack.outbox())
    reminder_at = datetime.fromisoformat(lead["assigned_at"].replace("Z", "+00:00")) + timedelta(minutes=16)
    stack.sweep(reminder_at.isoformat())
    assert emails_about(stack.outbox()[seen:], lead_id, owner_email) == []


NEW_LINK_SCREENSHOT = SCREENSHOTS / "lead-page-new-link.png"


def test_a_rep_with_a_dead_link_taps_once_on_a_phone_and_gets_a_new_one_by_email(stack, open_browser):
    # Given a link from before stored links (its signing key is gone) to a lead a rep owns
    who = person(name="Lena Voss", company="Voss Dental", email=f"lena.{uuid.uuid4().hex[:6]}@voss-dental.example")
    lead_id = stack.request("POST", "/leads", {**who, "job_title": "Owner"}, auth=False).json()["id"]
    lead = stored_lead(stack, who["email"])
    owner_email = TEAM[lead["owner"]]["email"]
    wait_for(lambda: emails_about(stack.outbox(), lead_id, owner_email), "the owner got no email")
    seen = len(stack.outbox())

    # When the rep opens it on a phone
    browser = open_browser(javascript=False)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 700, "deviceScaleFactor": 1, "mobile": True})
    browser.get(f"{stack.url}/l/{lead_id}.{lead['owner']}.{int(time.time() + 86_400):x}.{'A' * 43}")

    # Then it says why, shows nothing of the person, and offers one button
    assert browser.find_element(By.TAG_NAME, "h1").text == "This link no longer works"
    assert "Lena" not in browser.page_source
    button = browser.find_element(By.CSS_SELECTOR, "button[type='submit']")
    assert button.text == "Email me a new link" and button.is_displayed()
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    if os.environ.get("LEADWIRE_SCREENSHOTS"):
        NEW_LINK_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(NEW_LINK_SCREENSHOT))

    # When they tap it
    button.click()

    # Then the page says a link is on its way, and their inbox has one that opens the lead
    after = WebDriverWait(browser, WAIT_S, ignored_exceptions=[StaleElementReferenceException])  # the old page's h1
    after.until(lambda driver: "on its way" in driver.find_element(By.TAG_NAME, "h1").text)
    mail = wait_for(lambda: emails_about(stack.outbox()[seen:], lead_id, owner_email), "no new link came")[-1]
    browser.get(next(line.split()[-1] for line in mail["text"].splitlines() if "/l/" in line))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Lena Voss"

