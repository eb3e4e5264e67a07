"""The shapes leadwire passes around: what a source hands in, and the lead as stored and shown."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["website", "meta", "google", "typeform", "webhook", "api"]
Stage = Literal["lead", "mql", "sql"]
Status = Literal["new", "assigned", "contacted", "qualified", "won", "lost", "unqualified", "stale"]

STAGES: tuple[Stage, ...] = ("lead", "mql", "sql")
OPEN_STATUSES: frozenset[str] = frozenset({"new", "assigned", "contacted", "qualified"})
UTM_KEYS: tuple[str, ...] = ("source", "medium", "campaign", "term", "content")


class Consent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    marketing: bool = False
    text: str | None = None
    captured_at: str | None = None


class Submission(BaseModel):
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


class RawLead(Submission):
    """A submission as a source parsed it, before normalisation: strings as the person typed them."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = None
    submitted_at: str | None = None


class LeadInput(Submission):
    """A normalised submission: ready to be stored or merged into a known person."""

    phone_raw: str | None = None
    submitted_at: str | None = None

    def person_fields(self) -> dict[str, Any]:
        """The fields that describe the person, empty ones left out (a merge never overwrites with emptiness)."""
        keys = ("email", "phone", "phone_raw", "first_name", "last_name", "company", "job_title",
                "country", "city", "postal_code", "message")
        return {key: value for key in keys if (value := getattr(self, key)) not in (None, "")}


class ScoreReason(BaseModel):
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
    unassigned_reason: str | None = None
