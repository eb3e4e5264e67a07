"""Properties of the identity rules, on the in-memory table: for any sequence of submissions, two distinct emails
never end up on one lead (only the owner's explicit merge joins them), and no submitted value is lost."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadwire.intake.dedupe import accept
from leadwire.intake.normalize import normalize
from leadwire.lead import RawLead
from leadwire.store.leads import LeadRepository
from leadwire.store.memory import MemoryTable
from tests.unit.services.conftest import T

EMAILS = [None, "anna@office.example", "mike@office.example", "ANNA@office.example", "kim@home.example"]
PHONES = [None, "+49 30 1234567", "030 1234567", "+49 30 7654321", "12 34 56"]
NAMES = [None, "Anna", "Ann", "Mike", "Kim"]
COMPANIES = [None, "Fox Builders", "Fox & Sons"]

submission = st.fixed_dictionaries({
    "email": st.sampled_from(EMAILS), "phone": st.sampled_from(PHONES), "first_name": st.sampled_from(NAMES),
    "company": st.sampled_from(COMPANIES), "message": st.text(min_size=1, max_size=12).map(str.strip),
}).filter(lambda fields: fields["email"] or fields["phone"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(submission, min_size=1, max_size=12))
def test_no_two_emails_on_one_lead_and_no_value_lost(sent):
    table = MemoryTable()
    leads = LeadRepository(table)
    stored_in: list[tuple[str, RawLead]] = []
    for number, fields in enumerate(sent):
        raw = RawLead(source="website", **{name: value for name, value in fields.items() if value})
        lead = normalize(raw, "DE")
        stored_in.append((accept(lead, table, T + timedelta(minutes=number)).lead_id, lead))

    for lead_id in {lead_id for lead_id, _ in stored_in}:
        lead = leads.get(lead_id)
        assert lead is not None
        emails = {lead.email, *lead.other_values.get("email", [])} - {None}
        assert len(emails) <= 1, f"two people on one lead: {emails}"
        kept = [item["normalised"] for item in leads.submissions_after(lead_id, None)]
        sent_here = [sent_lead for stored_id, sent_lead in stored_in if stored_id == lead_id]
        mine = [sent_lead.model_dump(mode="json", exclude_none=True, exclude={"typed", "set_aside", "needs_review"})
                for sent_lead in sent_here]
        assert kept == mine  # every submission kept whole, in order
        for given_lead in sent_here:
            for name in ("email", "phone", "phone_raw", "first_name", "company"):
                value = getattr(given_lead, name)
                if value is not None:
                    assert value == getattr(lead, name) or value in lead.other_values.get(name, []), (name, value)
        assert lead.touches == len(mine)
