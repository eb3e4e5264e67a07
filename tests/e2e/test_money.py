"""Track and adjust through the local stack: spend loaded from CSV, leads won with values, every figure of the
report by hand; and an outbound list brought in with the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date().isoformat()
SPEND = (f"day,source,account,campaign,campaign_id,amount_minor,currency\n"
         f"{TODAY},google,acct-1,fall,2,30000,EUR\n"
         f"{TODAY},google,acct-2,fall,2,20000,EUR\n"
         f"{TODAY},facebook,,spring,,12345,EUR\n"
         f"2026-02-30,facebook,,spring,,999,EUR\n").encode()


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return {"GOOGLE_ADS_KEY": "g-key"}


def half_up(amount: int, count: int) -> int | None:
    """amount / count to the nearest whole cent, a half rounded up; None for no count (the scores decide it)."""
    return (2 * amount + count) // (2 * count) if count else None


def google_lead(stack, number: int) -> str:
    body = {"lead_id": f"g-{number}", "google_key": "g-key", "form_id": 1, "campaign_id": 2,
            "user_column_data": [{"column_id": "EMAIL", "string_value": f"buyer{number}@google-leads.example"}]}
    assert stack.request("POST", "/webhooks/google", body, auth=False).status == 200
    found = stack.request("GET", "/leads?source=google&limit=100").json()["items"]
    return next(lead["id"] for lead in found if lead["email"] == f"buyer{number}@google-leads.example")


def facebook_lead(stack, number: int) -> str:
    answer = stack.request("POST", "/leads", {"email": f"fan{number}@example.com", "name": f"Fan {number}",
                                              "utm_source": "facebook", "utm_campaign": "spring"}, auth=False)
    assert answer.status == 201
    return answer.json()["id"]


def win(stack, lead_id: str, amount: str) -> None:
    """Won for `amount` as written in the JSON (a number like 1250.00, or quoted text)."""
    body = '{"status": "won", "value": {"amount": AMOUNT, "currency": "EUR"}}'.replace("AMOUNT", amount)
    answer = stack.request("PATCH", f"/leads/{lead_id}", data=body.encode(),
                           headers={"content-type": "application/json"})
    assert answer.status == 200, answer.body
    assert answer.json()["status"] == "won"


def test_spend_loads_with_the_bad_date_refused_by_its_row_and_loading_it_again_changes_nothing(stack):
    # When the spend CSV is loaded
    first = stack.request("PUT", "/spend", data=SPEND, headers={"content-type": "text/csv"})

    # Then the three good rows are stored, and the fifth line (a 30th of February) is refused by number and field
    assert first.status == 200
    assert first.json()["loaded"] == 3
    assert [(row["row"], row["field"]) for row in first.json()["refused"]] == [(5, "day")]
    before = stack.request("GET", f"/spend?from={TODAY}&to={TODAY}").json()
    assert sorted(row["amount_minor"] for row in before["rows"]) == [12345, 20000, 30000]

    # When the same file is loaded again, nothing changes
    assert stack.request("PUT", "/spend", data=SPEND, headers={"content-type": "text/csv"}).json()["loaded"] == 3
    assert stack.request("GET", f"/spend?from={TODAY}&to={TODAY}").json() == before


def test_the_report_has_every_figure_as_computed_by_hand(stack):
    # Given three Google lead-form leads of campaign id 2 (the spend's "fall") and two website leads from facebook
    google = [google_lead(stack, number) for number in range(3)]
    facebook = [facebook_lead(stack, number) for number in range(2)]
    stack.drain()
    # won for 1250.00 and 99.99 (and 10.01 bought later), and 500.00
    win(stack, google[0], "1250.00")
    win(stack, google[1], "99.99")
    win(stack, facebook[0], '"500.00"')
    purchase = {"id": "order-1", "type": "purchase", "value": {"amount": "10.01", "currency": "EUR"}}
    assert stack.request("POST", f"/leads/{google[0]}/events", purchase).status == 201
    assert stack.request("POST", f"/leads/{google[0]}/events", purchase).status == 200  # sent twice: counted once
    win(stack, google[0], "1250.00")  # a repeated win: counted once
    stack.drain()
    mql = {lead_id: stack.request("GET", f"/leads/{lead_id}").json()["stage"] in ("mql", "sql")
           for lead_id in [*google, *facebook]}

    report = stack.request("GET", f"/reports/funnel?from={TODAY}&to={TODAY}").json()

    # Then, for google/fall: 500.00 spent on 3 leads, 2 won, 1250.00 + 99.99 + 10.01 = 1360.00 won
    fall = next(row for row in report["attribution"]["by_campaign"] if row["source"] == "google")
    google_mql = sum(mql[lead_id] for lead_id in google)
    assert fall == {"source": "google", "campaign": "fall", "leads": 3, "mql": google_mql, "won": 2,
                    "spend_minor": 50000, "cost_per_lead_minor": 16667,  # 50000 / 3 = 16666.67
                    "cost_per_mql_minor": half_up(50000, google_mql),
                    "cost_per_won_minor": 25000, "value_won_minor": 136000, "value_per_lead_minor": 45333,
                    "roas": 2.72, "lead_to_customer_rate": 0.6667, "currency": "EUR"}
    # for facebook/spring: 123.45 on 2 leads, one won for 500.00
    spring = next(row for row in report["attribution"]["by_campaign"] if row["source"] == "facebook")
    facebook_mql = sum(mql[lead_id] for lead_id in facebook)
    assert spring == {"source": "facebook", "campaign": "spring", "leads": 2, "mql": facebook_mql, "won": 1,
                      "spend_minor": 12345, "cost_per_lead_minor": 6173,  # 6172.5, rounded half up
                      "cost_per_mql_minor": half_up(12345, facebook_mql),
                      "cost_per_won_minor": 12345, "value_won_minor": 50000, "value_per_lead_minor": 25000,
                      "roas": 4.0502, "lead_to_customer_rate": 0.5, "currency": "EUR"}
    # and in total: 623.45 on 5 leads, 3 won, 1860.00 won
    total = report["total"]
    assert {name: total[name] for name in ("leads", "won", "spend_minor", "cost_per_lead_minor", "cost_per_won_minor",
                                           "value_won_minor", "value_per_lead_minor", "roas",
                                           "lead_to_customer_rate", "currency")} == {
        "leads": 5, "won": 3, "spend_minor": 62345, "cost_per_lead_minor": 12469, "cost_per_won_minor": 20782,
        "value_won_minor": 186000, "value_per_lead_minor": 37200, "roas": 2.9834, "lead_to_customer_rate": 0.6,
        "currency": "EUR"}
    assert report["attribution"]["by_source"]["google"]["value_won_minor"] == 136000
    assert stack.request("GET", f"/leads/{google[0]}").json()["value_minor"] == 126001

    # and the value of this month's leads is the same 1860.00
    months = stack.request("GET", f"/reports/value?cohort=month&from={TODAY}&to={TODAY}").json()["months"]
    assert [(month["month"], month["leads"], month["value_won_minor"]) for month in months] == [
        (TODAY[:7], 5, 186000)]


def test_a_value_in_another_currency_is_refused_with_a_clear_422(stack):
    lead_id = facebook_lead(stack, 9)
    stack.drain()
    answer = stack.request("PATCH", f"/leads/{lead_id}", {"status": "won", "value": {"amount": "5.00",
                                                                                      "currency": "USD"}})
    assert answer.status == 422
    assert answer.json()["details"][0]["field"] == "value.currency"
    assert "EUR" in answer.json()["details"][0]["reason"]


def test_the_command_line_imports_a_list_with_a_progress_bar_and_a_second_run_creates_nothing(stack, tmp_path):
    # Given a list of 260 people (saved with a BOM: two chunks for the import function), three bad emails and a
    # person twice
    lines = ["Email,First name,Company,Opt-in"]
    lines += [f"list{n}@example.com,P{n},Acme,{'yes' if n % 3 == 0 else ''}" for n in range(260)]
    lines[10] = "not an email,Bad,Acme,"
    lines[20] = "still@not,Bad,Acme,"
    lines[30] = "@example.com,Bad,Acme,"
    lines.append("list1@example.com,P1 again,Acme,")
    path = tmp_path / "fair.csv"
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode())

    def run() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "LEADWIRE_URL": stack.url, "LEADWIRE_API_KEY": stack.api_key}
        return subprocess.run([sys.executable, "-m", "leadwire_cli.main", "import", str(path)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)

    # When the owner imports it
    first = run()

    # Then the progress bar moved to the end and the summary adds up to every row
    assert first.returncode == 0, first.stderr
    bars = [line for line in first.stderr.splitlines() if line.startswith("[")]
    assert bars[-1].endswith("261/261 rows") and "#" * 30 in bars[-1]
    assert len(bars) >= 2  # it followed the import as it went
    assert "rows 261: created 257, merged 1, duplicates 0, refused 3" in first.stdout
    assert [line.split(":")[0].strip() for line in first.stdout.splitlines() if line.startswith("  row ")] == [
        "row 11", "row 21", "row 31"]

    # When the same file is imported again, nothing is created
    second = run()
    assert second.returncode == 0, second.stderr
    assert "rows 261: created 0, merged 0, duplicates 258, refused 3" in second.stdout
    imported = stack.request("GET", "/leads?source=import&limit=100").json()
    assert len(imported["items"]) == 100 and imported["cursor"]
