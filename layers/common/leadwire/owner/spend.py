"""Ad spend as the owner loads it: rows of JSON or a CSV with the same columns, each checked on its own, so a bad
row is reported by its number and field while the good ones are stored."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from leadwire import money
from leadwire.errors import Malformed, UnsupportedMediaType, ValidationFailed
from leadwire.lead import MAX_ATTRIBUTED_CAMPAIGN, MAX_ATTRIBUTED_SOURCE
from leadwire.model import Model
from leadwire.runtime.http import validation_details
from leadwire.store import currency, spend
from leadwire.store.table import Store

MAX_ROWS = 5000
COLUMNS = ("day", "source", "account", "campaign", "campaign_id", "amount_minor", "amount", "currency")


class SpendRow(Model):
    """`{"day": "2026-11-20", "source": "google", "campaign": "fall", "amount_minor": 12345, "currency": "EUR"}`;
    `amount` (decimal text in major units) may stand for `amount_minor`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: date
    source: str = Field(min_length=1, max_length=MAX_ATTRIBUTED_SOURCE)
    account: str = Field(default="", max_length=64)
    campaign: str = Field(default="", max_length=MAX_ATTRIBUTED_CAMPAIGN)
    campaign_id: str | None = Field(default=None, max_length=64)
    amount_minor: int | None = Field(default=None, ge=0, lt=money.MAX_MINOR)
    amount: money.DecimalText = None
    currency: str = Field(pattern=money.CURRENCY_PATTERN.pattern)

    @field_validator("day", mode="before")
    @classmethod
    def _iso_day(cls, value: object) -> object:
        if isinstance(value, str) and len(value.strip()) != 10:
            raise ValueError("give the day as YYYY-MM-DD")
        return value

    @field_validator("source")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    def stored(self) -> dict[str, Any]:
        if (self.amount_minor is None) == (self.amount is None):
            raise ValidationFailed([{"field": "amount_minor", "reason": "give either amount_minor or amount"}])
        minor = self.amount_minor if self.amount_minor is not None else \
            money.to_minor(self.amount or "", self.currency, "amount")
        row = {"day": self.day.isoformat(), "source": self.source, "account": self.account,
               "campaign": self.campaign, "amount_minor": minor, "currency": self.currency}
        return {**row, "campaign_id": self.campaign_id} if self.campaign_id else row


def rows_of(body: bytes, content_type: str | None) -> list[dict[str, Any]]:
    """The rows of a JSON `{"rows": [...]}` or a CSV body (header row first), as sent."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            document = json.loads(body, parse_float=Decimal)
        except ValueError as error:
            raise Malformed("body is not valid JSON") from error
        rows = document.get("rows") if isinstance(document, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ValidationFailed([{"field": "rows", "reason": "give a list of rows (objects)"}])
        return rows
    if media_type == "text/csv":
        text = _text(body)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        unknown = [name for name in reader.fieldnames or [] if name.strip() not in COLUMNS]
        if not reader.fieldnames or unknown:
            raise ValidationFailed([{"field": "header", "reason": f"unknown columns {unknown}; known: "
                                                                  f"{', '.join(COLUMNS)}"}])
        return [{name.strip(): value for name, value in row.items() if value not in (None, "")} for row in reader]
    raise UnsupportedMediaType("send spend as application/json or text/csv",
                               [{"field": "content-type", "reason": f"{media_type or 'nothing'} is not accepted"}])


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Malformed("the CSV is not UTF-8 text") from error


def load(store: Store, body: bytes, content_type: str | None) -> dict[str, Any]:
    """Store every good row (re-loading a row overwrites it); report each refused one by number (the first row is
    1; in a CSV the header is row 1) and field. ValidationFailed when no row could be stored."""
    rows = rows_of(body, content_type)
    if len(rows) > MAX_ROWS:
        raise ValidationFailed([{"field": "rows", "reason": f"at most {MAX_ROWS} rows at a time"}])
    first = 2 if (content_type or "").lower().startswith("text/csv") else 1
    good: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    books = currency.current(store)
    for number, row in enumerate(rows, first):
        try:
            stored = SpendRow.model_validate(row).stored()
            if stored["currency"] != books:  # the first amount sets the books' currency; any other is refused
                books = currency.settle(store, stored["currency"])
            good.append(stored)
        except ValidationError as invalid:
            refused += [{"row": number, **detail} for detail in validation_details(invalid.errors())]
        except ValidationFailed as invalid:
            refused += [{"row": number, **detail} for detail in invalid.details]
    if rows and not good:
        raise ValidationFailed(refused, "no row could be stored")
    return {"loaded": spend.put_rows(store, good), "refused": refused}


def read(store: Store, start: str, end: str) -> dict[str, Any]:
    if not _is_day(start) or not _is_day(end) or start > end:
        raise ValidationFailed([{"field": "from", "reason": "give days as YYYY-MM-DD with from <= to"}])
    return {"from": start, "to": end, "currency": currency.current(store),
            "rows": list(spend.rows_between(store, start, end))}


def _is_day(text: str) -> bool:
    try:
        return len(text) == 10 and date.fromisoformat(text) is not None
    except ValueError:
        return False
