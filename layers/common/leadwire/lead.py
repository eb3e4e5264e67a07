"""The shapes leadwire passes around: what a source hands in, and the lead as stored and shown."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from leadwire.model import Model

Source = Literal["website", "meta", "google", "typeform", "webhook", "api", "import"]
Stage = Literal["lead", "mql", "sql"]
Status = Literal["new", "assigned", "contacted", "qualified", "won", "lost", "unqualified", "stale"]

STAGES: tuple[Stage, ...] = ("lead", "mql", "sql")
OPEN_STATUSES: frozenset[str] = frozenset({"new", "assigned", "contacted", "qualified"})
SLA_STATUSES: frozenset[str] = frozenset({"new", "assigned"})  # waiting for first contact
CONTACTED_OR_LATER: frozenset[str] = frozenset({"contacted", "qualified", "won", "lost", "unqualified"})
# Every status change, by whoever makes it: assignment (assigned), the sweep (stale), the owner or a rep (the rest).
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"assigned", "stale"}) | CONTACTED_OR_LATER,
    "assigned": frozenset({"assigned", "stale"}) | CONTACTED_OR_LATER,
    "contacted": frozenset({"qualified", "won", "lost", "unqualified", "stale"}),
    "qualified": frozenset({"contacted", "won", "lost", "unqualified", "stale"}),
    "stale": CONTACTED_OR_LATER,
    "unqualified": frozenset({"contacted", "new"}),
    "won": frozenset(),
    "lost": frozenset({"new"}),  # the person came back: the lead reopens for assignment
}
REOPENED_BY_RETURN: frozenset[str] = frozenset({"lost", "unqualified"})
UTM_KEYS: tuple[str, ...] = ("source", "medium", "campaign", "term", "content")
MIN_PHONE_DIGITS = 6  # a phone we could not parse still counts as a way to reach the person if it has this many
CLOSED_STATUSES: frozenset[str] = frozenset({"won", "lost", "unqualified", "stale"})
AD_PLATFORMS: frozenset[str] = frozenset({"meta", "google"})  # doors whose leads are attributed to the platform
# An attributed source and campaign are part of a counter's key (at most 1,024 bytes): cut to these lengths.
MAX_ATTRIBUTED_SOURCE, MAX_ATTRIBUTED_CAMPAIGN = 50, 100


def dialable_digits(phone_raw: str | None) -> str | None:
    """The digits of a phone that did not read as E.164, when there are enough of them to call."""
    digits = "".join(char for char in phone_raw or "" if char.isdigit())
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


class Consent(Model):
    model_config = ConfigDict(extra="ignore")

    marketing: bool = False
    text: str | None = None
    captured_at: str | None = None


class Submission(Model):
    """What every source can say about a person and where they came from."""

    source: Source
    source_ref: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    country: str | None = None
    city: str | None = None
    postal_code: str | None = None
    message: str | None = None
    utm: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, Any] = Field(default_factory=dict)
    consent: Consent | None = None
    is_test: bool = False
    referrer: str | None = None
    landing_page: str | None = None
    # Meta notifications carry ids only; the person arrives when the Graph API answers.
    pending_enrichment: bool = False
    recovered: Literal["poll"] | None = None  # a platform lead no webhook brought: found by polling the platform


class RawLead(Submission):
    """A submission as a source parsed it, before normalisation: strings as the person typed them."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = None
    submitted_at: str | None = None
    resend: str | None = None  # the website form's `_submission` token (see LeadInput)


class LeadInput(Submission):
    """A normalised submission: ready to be stored or merged into a known person."""

    phone_raw: str | None = None
    submitted_at: str | None = None
    # What the sender sent, before normalisation, and what failed validation (kept whole, with the reason).
    typed: dict[str, Any] = Field(default_factory=dict)
    set_aside: list[dict[str, Any]] = Field(default_factory=list)
    needs_review: bool = False
    # One filling-in of a website form: sent again, it is the same delivery (the lead keeps the last one's token).
    resend: str | None = None

    def person_fields(self) -> dict[str, Any]:
        """The fields that describe the person, empty ones left out (a merge never overwrites with emptiness)."""
        keys = ("email", "phone", "phone_raw", "first_name", "last_name", "company", "job_title",
                "country", "city", "postal_code", "message")
        return {key: value for key in keys if (value := getattr(self, key)) not in (None, "")}


class PossibleDuplicate(Model):
    id: str
    reason: str


class ScoreReason(Model):
    rule: str
    points: float


class Lead(Submission):
    """The lead as `GET /leads/{id}` shows it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    created_at: str
    updated_at: str
    touches: int = 1
    score: float = 0
    fit: float = 0
    engagement: float = 0
    stage: Stage = "lead"
    score_reasons: list[ScoreReason] = Field(default_factory=list)
    config_version: int | None = None
    status: Status = "new"
    owner: str | None = None
    assigned_at: str | None = None
    first_contact_at: str | None = None
    unsubscribed: bool = False
    opt_in_confirmed_at: str | None = None  # the person confirmed marketing consent from the email (double opt-in)
    unassigned_reason: str | None = None
    # Identity: another lead that may be the same person, values a merge did not overwrite, fields set aside.
    possible_duplicates: list[PossibleDuplicate] = Field(default_factory=list)
    other_values: dict[str, list[Any]] = Field(default_factory=dict)
    set_aside: list[dict[str, Any]] = Field(default_factory=list)
    needs_review: bool = False
    merged_from: list[str] = Field(default_factory=list)
    stuck: str | None = None  # why the pipeline could not finish this lead after its retries: a person must look
    # What the person bought: the deal won and every later purchase, in minor units of the business's currency.
    value_minor: int = 0
    currency: str | None = None
    purchases: int = 0


class LeadRecord(Lead):
    """The lead as stored: what `Lead` shows plus the bookkeeping of scoring, assignment and follow-up. Every
    attribute name of the lead item is here; the store reads and writes this model, never a loose dict."""

    phone_raw: str | None = None
    submitted_at: str | None = None
    last_activity_at: str | None = None
    refs: list[str] = Field(default_factory=list)
    claims: list[dict[str, str]] = Field(default_factory=list)  # the dedupe keys this lead claimed, erased with it
    last_owner: str | None = None  # who had the lead when it closed; a returning person goes back to them
    owner_told_at: str | None = None  # the owner has been emailed every message up to this instant
    # scoring: `score_due` is present while the score inputs changed since the last scoring
    inputs_version: int  # every write that changes a score input adds one
    revision: int = 0  # every write of the lead item adds one: "is it still as I read it?"
    score_due: int | None = None
    score_as_of: str | None = None
    scored_at: str | None = None
    score_refresh_at: str | None = None
    # assignment
    assign_blocked: str | None = None
    assign_retry_at: str | None = None
    reassign_retry_at: str | None = None
    # recovery: the sweep sent the lead through scoring or assignment again this many times
    recovery_attempts: int = 0
    # follow-up
    reminders_sent: int = 0
    contact_attempts: int = 0  # calls nobody took ("no answer" on the lead page)
    last_attempt_at: str | None = None
    last_action_id: str | None = None  # the form a rep sent last: a double click sends the same one twice
    sla_breached: bool | None = None
    nurture_step: int = 0
    opt_in_asked_at: str | None = None  # the email asking the person to confirm their consent was written
    # the website form's last filling-in (its `_submission` token): that form sent again is the same delivery
    resend: str | None = None
    # Meta leads waiting for the Graph API
    enrich_attempts: int = 0
    enrich_next_at: str | None = None
    cohort: str | None = None  # the funnel cohort (day, door, attribution) the lead counts in, fixed at creation
    due_at: str | None = None  # when the follow-up plan next has work, as last written (`store.leads`, from the plan)

    def attribution(self) -> tuple[str, str]:
        """(source, campaign) the lead's ad spend is matched by: the platform for a Meta or Google lead, else its
        utm_source, else the door it came through; and its utm_campaign (Google's is the campaign id)."""
        source = self.source if self.source in AD_PLATFORMS else (self.utm.get("source") or self.source)
        campaign = (self.utm.get("campaign") or "").strip()
        return source.strip().lower()[:MAX_ATTRIBUTED_SOURCE], campaign[:MAX_ATTRIBUTED_CAMPAIGN]

    def can_become(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, frozenset())

    def changed(self, **changes: Any) -> LeadRecord:
        """The record as it will be after `changes` (None removes an attribute)."""
        return self.model_copy(update=changes)

    def shown(self) -> dict[str, Any]:
        """The lead as `GET /leads/{id}` shows it."""
        return Lead.model_validate(self.model_dump()).model_dump(mode="json")
