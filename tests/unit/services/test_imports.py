"""Imported lists on the in-memory table: a 5,000-row file with a BOM, duplicates and bad emails, chunk by chunk."""

from __future__ import annotations

from datetime import timedelta

from leadwire.intake import imports
from leadwire.owner.leads import LeadPatch, change
from leadwire.owner.reports import funnel
from leadwire.store import schema, timeline
from leadwire.store.leads import LeadRepository
from tests.unit.services.conftest import BASE_URL, T, stored, submit

ROWS = 5000


def big_file(rows: int = ROWS) -> tuple[bytes, int, int]:
    """(CSV bytes, bad emails, rows repeating an earlier person)."""
    lines = ["E-Mail;First Name;Last Name;Company;Newsletter"]
    bad = repeated = 0
    for n in range(rows):
        if n % 50 == 7:
            lines.append(f"not-an-email-{n};Bad;Row;Acme;yes")
            bad += 1
        elif n % 20 == 3:
            lines.append(f"person{n - 1}@example.com;Again;Person;Acme;")  # the row before, once more
            repeated += 1
        else:
            lines.append(f"person{n}@example.com;P{n};Person;Acme;{'yes' if n % 2 else 'no'}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode(), bad, repeated


def run_chunks(table, started: dict) -> dict:
    for number in range(table.get(schema.import_job(started["id"]))["chunks"]):
        imports.process_chunk(table, started["id"], number, T, T)
    return imports.shown(table, started["id"], T)


def test_a_large_file_is_queued_then_every_row_is_accounted_for_and_sending_it_again_creates_nothing(table):
    # Given a 5,000-row file saved by a spreadsheet (BOM, semicolons, CRLF)
    data, bad, repeated = big_file()

    # When it is imported and its chunks are processed (one of them twice, as a redelivered stream record would)
    started = imports.start(table, imports.ImportFile("list.csv", data, {}), T)
    assert started["status"] == "processing" and started["rows"] == ROWS
    imports.process_chunk(table, started["id"], 0, T, T)
    done = run_chunks(table, started)

    # Then every row is counted once, and the counts add up
    assert done["status"] == "done"
    assert (done["created"], done["merged"], done["duplicates"], done["refused"]) == \
        (ROWS - bad - repeated, repeated, 0, bad)
    assert [row["row"] for row in done["refused_rows"]] == [n + 2 for n in range(ROWS) if n % 50 == 7]
    assert all(row["reason"].startswith("email:") for row in done["refused_rows"])
    # and the people are stored as leads of the source import, consent only where the column said yes
    lead = LeadRepository(table).get(table.get(schema.email("person1@example.com"))["lead_id"])
    assert lead is not None and lead.source == "import" and lead.first_name == "P1"
    assert lead.consent is not None and lead.consent.marketing
    other = LeadRepository(table).get(table.get(schema.email("person2@example.com"))["lead_id"])
    assert other is not None and other.consent is None
    leads_before = len(list(table.query_all(schema.FUNNEL_PARTITION)))

    # When the same file is sent again
    again = run_chunks(table, imports.start(table, imports.ImportFile("list.csv", data, {}), T))

    # Then nothing is created: every row it stored is a duplicate, the refused ones are refused again
    assert again["repeat"] is True
    assert (again["created"], again["merged"], again["duplicates"], again["refused"]) == (0, 0, ROWS - bad, bad)
    assert reports_total(table) == ROWS - bad - repeated
    assert len(list(table.query_all(schema.FUNNEL_PARTITION))) == leads_before


def test_an_import_no_chunk_of_which_finishes_for_45_minutes_is_stalled_and_says_what_to_do(table):
    # Given a 1,000-row import (5 chunks), its first chunk done 10 minutes after it was sent
    data, _, _ = big_file(1000)
    started = imports.start(table, imports.ImportFile("list.csv", data, {}), T)
    imports.process_chunk(table, started["id"], 0, T, T + timedelta(minutes=10))

    # When the owner looks 50 minutes after it was sent, then 56 minutes after: the other chunks never finished
    # (their stream records went to the dead-letter queue)
    at_50 = imports.shown(table, started["id"], T + timedelta(minutes=50))
    at_56 = imports.shown(table, started["id"], T + timedelta(minutes=56))

    # Then it is processing while a chunk finished within 45 minutes, stalled after, with what to do
    assert at_50["status"] == "processing" and "stalled" not in at_50
    assert at_56["status"] == "stalled" and at_56["processed"] == 200
    assert "Send the same file again" in at_56["stalled"]
    # and an import nothing of which ever finished is stalled 45 minutes after it was sent
    other = imports.start(table, imports.ImportFile("other.csv", big_file(300)[0], {}), T)
    assert imports.shown(table, other["id"], T + timedelta(minutes=44))["status"] == "processing"
    assert imports.shown(table, other["id"], T + timedelta(minutes=46))["status"] == "stalled"

    # and once its parts are done (sent again after a fix, or redriven), the same import is done
    for number in range(1, 5):
        imports.process_chunk(table, started["id"], number, T, T + timedelta(minutes=60))
    assert imports.shown(table, started["id"], T + timedelta(minutes=61))["status"] == "done"


def reports_total(table) -> int:
    return funnel(table, "2026-10-05", "2026-10-05")["total"]["leads"]


def test_a_small_file_is_done_in_the_request_with_a_given_mapping(table):
    data = b"Mail,Handy,Notiz\nada@example.com,+49 30 1234567,hello\nbad,,\n"
    done = imports.start(table, imports.ImportFile(None, data, {"Mail": "email", "Handy": "phone"}), T, "DE")
    assert (done["status"], done["created"], done["refused"]) == ("done", 1, 1)
    lead = LeadRepository(table).get(table.get(schema.email("ada@example.com"))["lead_id"])
    assert lead is not None and lead.phone == "+49301234567" and lead.fields == {"Notiz": "hello"}


def test_an_imported_row_of_a_person_already_known_is_no_return(table, notifier, team):
    # Given a person whose lead was lost
    lead_id = submit(table, email="kim@example.com")
    change(table, notifier, lead_id, LeadPatch(status="lost"), T, BASE_URL)

    # When a list with them is imported
    done = imports.start(table, imports.ImportFile(None, b"email,company\nkim@example.com,Kim & Co\n", {}), T)

    # Then their lead gains the row, stays lost, and records no return
    assert (done["merged"], done["created"]) == (1, 0)
    lead = stored(table, lead_id)
    assert (lead.status, lead.company, lead.touches) == ("lost", "Kim & Co", 2)
    assert not [event for event in timeline.events(table, lead_id) if event["type"] == "returned"]
