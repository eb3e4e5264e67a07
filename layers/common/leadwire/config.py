"""The business config document (scoring, routing, follow-up): a validated model with a default that ships."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from leadwire import regex_engine
from leadwire.model import Model

Op = Literal["exists", "equals", "in", "contains", "matches", "gte", "lte"]


class _Strict(Model):
    model_config = ConfigDict(extra="forbid")


class Condition(_Strict):
    """`{"field", "op", "value"}` over lead fields, `email_domain`, `utm.<key>` and `fields.<name>`."""

    field: str = Field(min_length=1)
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op == "exists":
            if self.value is not None and not isinstance(self.value, bool):
                raise ValueError("'exists' takes no value, or true/false")
        elif self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("'in' needs a non-empty list as value")
        elif self.op in ("gte", "lte"):
            if isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise ValueError(f"'{self.op}' needs a number as value")
        elif self.op == "matches":
            if not isinstance(self.value, str):
                raise ValueError("'matches' needs a regular expression string as value")
            try:
                regex_engine.compile(self.value)
            except ValueError as error:
                raise ValueError(f"bad regular expression (RE2, linear time): {error}") from error
        elif self.value is None:
            raise ValueError(f"'{self.op}' needs a value")
        return self


class FitRule(_Strict):
    id: str = Field(min_length=1)
    if_: Condition = Field(alias="if")
    points: float


class EngagementRule(_Strict):
    points: float
    max: float | None = Field(default=None, gt=0)


class Scoring(_Strict):
    mql: float = 40
    sql: float = 70
    half_life_days: float = Field(default=30, gt=0)
    fit: list[FitRule] = Field(default_factory=list)
    engagement: dict[str, EngagementRule] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Scoring:
        if self.sql < self.mql:
            raise ValueError("sql threshold must not be below mql threshold")
        ids = [rule.id for rule in self.fit]
        if len(ids) != len(set(ids)):
            raise ValueError("fit rule ids must be unique")
        return self


class RoutingRule(_Strict):
    id: str = Field(min_length=1)
    if_: Condition = Field(alias="if")
    reps: list[str] = Field(min_length=1)


class Routing(_Strict):
    assign_at: Literal["new", "mql", "sql"] = "new"
    strategy: Literal["round_robin", "weighted", "least_loaded"] = "round_robin"
    rules: list[RoutingRule] = Field(default_factory=list)
    working_hours: bool = False
    sticky_days: int = Field(default=90, ge=0)


class NurtureStep(_Strict):
    after_hours: float = Field(ge=0)
    template: str = Field(min_length=1)


TEMPLATE_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class NurtureTemplate(_Strict):
    """An email the owner writes: placeholders such as `{{ first_name }}` and `{{ business }}`, rendered in jinja2's
    sandbox (`pages/nurture.py` checks and renders them)."""

    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


BUILTIN_TEMPLATES: dict[str, dict[str, str]] = {
    "welcome": {"subject": "Thanks for getting in touch with {{ business }}",
                "body": "Hi {{ first_name }},\n\nthank you for your enquiry. Someone from {{ business }} will be in "
                        "touch shortly."},
    "check-in": {"subject": "Still looking for help, {{ first_name }}?",
                 "body": "Hi {{ first_name }},\n\njust checking in: if you still need a hand, reply to this email "
                         "and {{ business }} will get back to you."},
}


class Followup(_Strict):
    first_contact_sla_minutes: int = Field(default=15, gt=0)
    remind_owner_at_minutes: list[int] = Field(default_factory=lambda: [15])
    reassign_after_minutes: int | None = Field(default=60, gt=0)
    stale_after_days: int = Field(default=30, gt=0)
    retry_after_no_answer_minutes: int = Field(default=30, gt=0)  # the next reminder, after a call nobody took
    rep_link_days: int = Field(default=30, gt=0, le=365)  # how long the lead-page link in a rep's email works
    nurture: list[NurtureStep] = Field(default_factory=list)
    # Nurture starts only once the person confirmed their consent from an email (double opt-in); False skips that.
    double_opt_in: bool = True
    templates: dict[Annotated[str, StringConstraints(pattern=TEMPLATE_NAME_PATTERN)], NurtureTemplate] = Field(
        default_factory=lambda: {name: NurtureTemplate(**text) for name, text in BUILTIN_TEMPLATES.items()})


# The lead changes that can go back to Meta: a stage reached by scoring, or a status set by a rep or the owner.
CONVERSION_CHANGES = ("mql", "sql", "contacted", "qualified", "won", "lost", "unqualified")
DEFAULT_CONVERSIONS = {"mql": "Marketing Qualified Lead", "sql": "Sales Qualified Lead", "contacted": "contacted",
                       "won": "Purchase", "lost": "lost"}


class Meta(_Strict):
    """Meta Lead Ads: the Pages whose forms are polled besides every form a lead came from, how often and how far
    back, and the lead changes sent back to Meta's Conversions API (change → event name)."""

    pages: list[str] = Field(default_factory=list, max_length=50)
    poll_every_minutes: int = Field(default=60, ge=5, le=1440)
    first_poll_hours: int = Field(default=24, ge=1, le=24 * 90)  # how far back the first poll of a form looks
    conversions: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CONVERSIONS))

    @model_validator(mode="after")
    def _known_ids_and_changes(self) -> Meta:
        for page in self.pages:
            if not page.isdigit() or len(page) > 32:
                raise ValueError(f"page id {page!r} is not a Meta Page id (digits only)")
        for change, event_name in self.conversions.items():
            if change not in CONVERSION_CHANGES:
                known = ", ".join(CONVERSION_CHANGES)
                raise ValueError(f"conversions: {change!r} is not a lead change; known: {known}")
            if not event_name.strip() or len(event_name) > 100:
                raise ValueError(f"conversions: the event name for {change!r} must be 1 to 100 characters")
        return self


class Config(_Strict):
    business_name: str = "Our team"
    scoring: Scoring = Field(default_factory=Scoring)
    routing: Routing = Field(default_factory=Routing)
    followup: Followup = Field(default_factory=Followup)
    meta: Meta = Field(default_factory=Meta)


DEFAULT_DOCUMENT: dict[str, Any] = {
    "business_name": "Our team",
    "scoring": {
        "mql": 40, "sql": 70, "half_life_days": 30,
        "fit": [
            {"id": "has-email", "if": {"field": "email", "op": "exists"}, "points": 10},
            {"id": "has-phone", "if": {"field": "phone", "op": "exists"}, "points": 5},
            {"id": "has-company", "if": {"field": "company", "op": "exists"}, "points": 5},
            {"id": "senior", "if": {"field": "job_title", "op": "matches",
                                    "value": "(?i)owner|founder|director|head|vp|chief"}, "points": 20},
            {"id": "freemail", "if": {"field": "email_domain", "op": "in",
                                      "value": ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]},
             "points": -10},
        ],
        "engagement": {
            "email_open": {"points": 2, "max": 10}, "link_click": {"points": 5, "max": 25},
            "page_view": {"points": 1, "max": 10}, "pricing_view": {"points": 10, "max": 20},
            "demo_request": {"points": 30}, "meeting_booked": {"points": 40}, "unsubscribe": {"points": -20},
            "returned": {"points": 10, "max": 20},
        },
    },
    "routing": {"assign_at": "new", "strategy": "round_robin", "rules": [], "working_hours": False,
                "sticky_days": 90},
    "followup": {
        "first_contact_sla_minutes": 15, "remind_owner_at_minutes": [15], "reassign_after_minutes": 60,
        "stale_after_days": 30,
        "nurture": [{"after_hours": 0, "template": "welcome"}, {"after_hours": 48, "template": "check-in"}],
        "templates": BUILTIN_TEMPLATES,
    },
    "meta": {"pages": [], "poll_every_minutes": 60, "first_poll_hours": 24, "conversions": DEFAULT_CONVERSIONS},
}



@cache
def default_config() -> Config:
    """The rules a business starts with (built on first use: most cold starts never need them)."""
    return Config.model_validate(DEFAULT_DOCUMENT)
