"""Nurture emails the owner writes (`followup.templates`): which placeholders exist, checking a template before it is
saved, and rendering it in jinja2's sandbox, so a template can read the values it is given and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from leadwire.config import BUILTIN_TEMPLATES, NurtureTemplate
from leadwire.lead import Submission

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

# What a template may say, and what each stands for (the console lists these).
PLACEHOLDERS: dict[str, str] = {
    "first_name": "the person's first name, or 'there' when they gave none",
    "last_name": "the person's last name (may be empty)",
    "name": "the person's full name, or 'there'",
    "company": "their company (may be empty)",
    "job_title": "their job title (may be empty)",
    "city": "their city (may be empty)",
    "business": "your business name (business_name in the rules)",
}
SAMPLE = Submission(source="website", first_name="Dana", last_name="Fox", company="Fox Builders", job_title="Founder",
                    city="Berlin", email="dana@fox-builders.example")  # whom the console's preview writes to


@cache
def environment() -> SandboxedEnvironment:
    # Imported on first use, like the page templates: scoring and assignment never render an email.
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def problems(templates: Mapping[str, NurtureTemplate], prefix: str = "followup.templates") -> list[dict[str, str]]:
    """`{field, reason}` for every part of a template that does not compile or names an unknown placeholder."""
    from jinja2 import TemplateError, meta

    found = []
    for name, template in templates.items():
        for part in ("subject", "body"):
            source = getattr(template, part)
            try:
                unknown = sorted(meta.find_undeclared_variables(environment().parse(source)) - PLACEHOLDERS.keys())
            except TemplateError as error:
                found.append({"field": f"{prefix}.{name}.{part}", "reason": f"not a valid template: {_first(error)}"})
                continue
            if unknown:
                found.append({"field": f"{prefix}.{name}.{part}",
                              "reason": f"unknown placeholder{'s' if len(unknown) > 1 else ''} "
                                        f"{', '.join(unknown)}; known: {', '.join(PLACEHOLDERS)}"})
                continue
            try:  # what only rendering finds: an attribute the sandbox refuses, a filter misused
                _compiled(source).render(values(SAMPLE, "Your business"))
            except (TemplateError, TypeError, ValueError, ArithmeticError) as error:
                found.append({"field": f"{prefix}.{name}.{part}", "reason": f"does not render: {_first(error)}"})
    return found


def chosen(name: str, written: Mapping[str, NurtureTemplate] | None) -> NurtureTemplate:
    """The owner's template of that name; a built-in one for a name only the defaults know; else the check-in."""
    found = (written or {}).get(name)
    if found is not None:
        return found
    return NurtureTemplate(**BUILTIN_TEMPLATES.get(name, BUILTIN_TEMPLATES["check-in"]))


def values(lead: Submission, business: str) -> dict[str, str]:
    full = " ".join(part for part in (lead.first_name, lead.last_name) if part)
    return {"first_name": lead.first_name or "there", "last_name": lead.last_name or "", "name": full or "there",
            "company": lead.company or "", "job_title": lead.job_title or "", "city": lead.city or "",
            "business": business}


def render(template: NurtureTemplate, lead: Submission, business: str) -> tuple[str, str]:
    """(subject on one line, plain-text body) for this lead."""
    given: dict[str, Any] = values(lead, business)
    subject = " ".join(_compiled(template.subject).render(given).split())
    return subject, _compiled(template.body).render(given).strip("\n")


@cache
def _compiled(source: str) -> Any:
    return environment().from_string(source)


def _first(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]
