"""The owner replaces the scoring, routing and follow-up rules: checked, saved as a new version, and every open lead
re-scored."""

from __future__ import annotations

from datetime import datetime

from leadwire.clock import iso
from leadwire.config import Config, NurtureTemplate
from leadwire.errors import Conflict, NotFound, ValidationFailed
from leadwire.pages import nurture
from leadwire.store import config as configs
from leadwire.store.outcomes import ChangedMeanwhile
from leadwire.store.table import Store


def check(document: Config) -> None:
    """What the model alone cannot say: every nurture step names a template, every template renders in the sandbox
    with known placeholders only. ValidationFailed names each field."""
    problems = nurture.problems(document.followup.templates)
    for index, step in enumerate(document.followup.nurture):
        if step.template not in document.followup.templates:
            problems.append({"field": f"followup.nurture.{index}.template",
                             "reason": f"no template named {step.template}; written: "
                                       f"{', '.join(sorted(document.followup.templates)) or 'none'}"})
    if problems:
        raise ValidationFailed(problems)


def replace_config(store: Store, document: Config, now: datetime) -> int:
    """Save the document as the new version in force and queue the background re-scoring; the version."""
    check(document)
    try:
        version = configs.save_config(store, document, iso(now))
    except ChangedMeanwhile as error:
        raise Conflict("another config was saved meanwhile; read it again and retry") from error
    configs.queue_rescore(store, version, iso(now))
    return version


def version(store: Store, number: int) -> Config:
    found = configs.load_version(store, number)
    if found is None:
        raise NotFound(f"no config version {number}")
    return found


def preview_template(store: Store, template: NurtureTemplate) -> dict[str, str]:
    """The template written to the sample person, with the business name in force; 422 naming what is unknown."""
    problems = nurture.problems({"template": template}, prefix="")
    if problems:
        raise ValidationFailed([{**problem, "field": problem["field"].rsplit(".", 1)[-1]} for problem in problems])
    subject, text = nurture.render(template, nurture.SAMPLE, configs.load_config(store)[1].business_name)
    return {"subject": subject, "text": text, "to": nurture.SAMPLE.email or ""}
