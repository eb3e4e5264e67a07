"""The notifier's SES call: SES API v2, so nurture email can carry the unsubscribe headers (v1 cannot set any)."""

from __future__ import annotations

from leadwire.lead import LeadRecord
from leadwire.outbound import emails
from leadwire.outbound.notify import AwsNotifier, Email
from tests.fakes import RecordingSes

UNSUBSCRIBE = "https://leads.example.test/unsubscribe?t=a1.sig"


def test_nurture_email_carries_one_click_unsubscribe_headers_through_ses_v2() -> None:
    # Given a nurture email
    lead = LeadRecord(id="a1", created_at="2026-10-05T09:00:00Z", updated_at="2026-10-05T09:00:00Z",
                      source="website", email="dana@fox.example", first_name="Dana", status="new",
                      inputs_version=1)
    email = emails.nurture(lead, "welcome", "Fox Builders", UNSUBSCRIBE)
    ses = RecordingSes()

    # When the notifier sends it
    AwsNotifier("leads@example.com", "bus", ses=ses, events=object()).send(email)

    # Then SES v2 gets the RFC 2369 / RFC 8058 headers with the https link, beside both parts
    [request] = ses.calls
    assert request["FromEmailAddress"] == "leads@example.com"
    assert request["Destination"] == {"ToAddresses": ["dana@fox.example"]}
    simple = request["Content"]["Simple"]
    assert simple["Headers"] == [{"Name": "List-Unsubscribe", "Value": f"<{UNSUBSCRIBE}>"},
                                 {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}]
    assert set(simple["Body"]) == {"Text", "Html"} and simple["Subject"]["Data"].startswith("Thanks")


def test_an_email_to_a_rep_has_no_list_headers() -> None:
    ses = RecordingSes()

    AwsNotifier("leads@example.com", "bus", ses=ses, events=object()).send(
        Email(to="anna@team.example", subject="New lead", text="…", kind="owner_assigned"))

    assert "Headers" not in ses.calls[0]["Content"]["Simple"]
