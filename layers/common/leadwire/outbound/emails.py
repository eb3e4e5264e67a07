"""The words of every email leadwire sends: to the owner of a lead, and nurture email to the person."""

from __future__ import annotations

import html

from leadwire.lead import LeadRecord
from leadwire.outbound.notify import Email
from leadwire.routing.reps import Rep


def person_name(lead: LeadRecord) -> str:
    name = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return name or lead.company or "a new lead"


def _lead_card(lead: LeadRecord, base_url: str) -> str:
    reasons = sorted(lead.score_reasons, key=lambda reason: -abs(reason.points))[:3]
    lines = [
        f"Name:     {person_name(lead)}",
        f"Email:    {lead.email or '-'}",
        f"Phone:    {lead.phone or lead.phone_raw or '-'}",
        f"Company:  {lead.company or '-'}",
        f"Source:   {lead.source}" + (f" / {lead.utm['campaign']}" if lead.utm.get("campaign") else ""),
        f"Score:    {lead.score:g} ({lead.stage})"
        + (" because " + ", ".join(f"{r.rule} {r.points:+g}" for r in reasons) if reasons else ""),
    ]
    if lead.message:
        lines.append(f"Message:  {lead.message}")
    lines += possible_duplicate_lines(lead)
    lines.append(f"Lead:     {base_url.rstrip('/')}/leads/{lead.id}")
    return "\n".join(lines)


def _to_owner(kind: str, subject: str, news: str, lead: LeadRecord, rep: Rep, base_url: str) -> Email:
    return Email(to=rep.email, kind=kind, subject=subject,
                 text=f"Hi {rep.name},\n\n{news}\n\n{_lead_card(lead, base_url)}\n")


def new_owner(lead: LeadRecord, rep: Rep, deadline: str, base_url: str) -> Email:
    return _to_owner("owner_assigned", f"New lead for you: {person_name(lead)} — contact by {deadline}",
                     f"You own a new lead. Please make first contact by {deadline}.", lead, rep, base_url)


def reminder(lead: LeadRecord, rep: Rep, deadline: str, base_url: str) -> Email:
    return _to_owner("owner_reminder", f"Reminder: {person_name(lead)} is waiting — first contact due {deadline}",
                     f"This lead has not been contacted yet. First contact is due {deadline}.", lead, rep, base_url)


def taken_away(lead: LeadRecord, rep: Rep, new_rep: Rep, base_url: str) -> Email:
    return Email(
        to=rep.email, kind="owner_reassigned_away",
        subject=f"Lead {person_name(lead)} was reassigned to {new_rep.name}",
        text=f"Hi {rep.name},\n\nThe lead {person_name(lead)} now belongs to {new_rep.name}.\n"
             f"Lead:     {base_url.rstrip('/')}/leads/{lead.id}\n",
    )


def possible_duplicate_lines(lead: LeadRecord) -> list[str]:
    """One line per lead that may be the same person, so the owner can join them (POST /leads/{id}/merge)."""
    return [f"Maybe also: lead {duplicate.id} ({duplicate.reason})" for duplicate in lead.possible_duplicates]


def returned(lead: LeadRecord, rep: Rep, messages: list[str], base_url: str) -> Email:
    """A known person sent another submission: every message since the last one the owner saw."""
    latest = messages[-1] if messages else "(no message)"
    status = f"The lead stays {lead.status}." if lead.status == "won" else f"The lead is {lead.status}."
    said = "\n\n".join(f"Message {number}:\n{message}" for number, message in enumerate(messages, 1))
    news = f"{person_name(lead)} came back ({lead.touches} submissions so far). {status}" + \
        (f"\n\nNew since you last heard:\n\n{said}" if messages else "")
    return _to_owner("owner_returned", f"{person_name(lead)} came back: {_first_line(latest)}", news, lead, rep,
                     base_url)


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


NURTURE_TEMPLATES: dict[str, tuple[str, str]] = {
    "welcome": ("Thanks for getting in touch with {business}",
                "Hi {name},\n\nthank you for your enquiry. Someone from {business} will be in touch shortly."),
    "check-in": ("Still looking for help, {name}?",
                 "Hi {name},\n\njust checking in: if you still need a hand, reply to this email and {business} "
                 "will get back to you."),
}


def nurture(lead: LeadRecord, template: str, business: str, unsubscribe_url: str) -> Email:
    subject, body = NURTURE_TEMPLATES.get(template, NURTURE_TEMPLATES["check-in"])
    name = lead.first_name or "there"
    values = {"name": name, "business": business}
    text = body.format(**values) + f"\n\nNo more emails like this: {unsubscribe_url}\n"
    safe = {key: html.escape(value) for key, value in values.items()}
    markup = "".join(f"<p>{paragraph}</p>" for paragraph in body.format(**safe).split("\n\n"))
    markup += f'<p><a href="{html.escape(unsubscribe_url)}">Unsubscribe</a></p>'
    return Email(to=lead.email or "", kind=f"nurture_{template}", subject=subject.format(**values), text=text,
                 html=markup)
