"""Money: whole minor units (cents) in one currency per business, never a float. Amounts arrive as decimal text, a
Decimal or an integer of major units, and are refused when they do not fit the currency's minor unit exactly; every
figure derived from money (a cost per lead, a return on ad spend) is computed here with integers and Decimals."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field

from leadwire.errors import ValidationFailed
from leadwire.model import Model

# ISO 4217 currencies whose minor unit is not the cent; every other currency has two decimals.
_DECIMALS = {**dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                              "VND", "VUV", "XAF", "XOF", "XPF"), 0),
             **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3)}
MAX_MINOR = 10**15  # ten trillion euros: anything larger is a typing error, and stays exact in every JSON parser
RATIO_PLACES = Decimal("0.0001")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def decimals(currency: str) -> int:
    return _DECIMALS.get(currency, 2)


def to_minor(amount: Decimal | str | int, currency: str, field: str = "amount") -> int:
    """An amount in major units (`"1250.00"`, `Decimal("1250")`, `1250`) as minor units: 125000 for EUR.
    ValidationFailed names `field` when it is not a number, is negative, or has more decimals than the currency."""
    if isinstance(amount, float | bool):
        raise ValidationFailed([{"field": field, "reason": "give the amount as decimal text or a JSON number"}])
    try:
        value = Decimal(amount.strip()) if isinstance(amount, str) else Decimal(amount)
    except InvalidOperation as error:
        raise ValidationFailed([{"field": field, "reason": "not a number"}]) from error
    if not value.is_finite():
        raise ValidationFailed([{"field": field, "reason": "not a finite number"}])
    minor = value.scaleb(decimals(currency))
    if minor != minor.to_integral_value():
        raise ValidationFailed([{"field": field, "reason": f"{currency} has {decimals(currency)} decimals"}])
    return checked_minor(int(minor), field)


def checked_minor(minor: int, field: str = "amount_minor") -> int:
    if minor < 0:
        raise ValidationFailed([{"field": field, "reason": "must not be negative"}])
    if minor >= MAX_MINOR:
        raise ValidationFailed([{"field": field, "reason": f"must be below {MAX_MINOR} minor units"}])
    return minor


def per(total_minor: int, count: int) -> int | None:
    """`total_minor` shared over `count` (a cost per lead), rounded half up to a whole minor unit; None for none."""
    if count <= 0:
        return None
    return (2 * total_minor + count) // (2 * count)


def ratio(part: int, whole: int) -> Decimal | None:
    """`part / whole` to four decimals, rounded half up (a return on ad spend, a conversion rate); None for a zero
    whole."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def shown_ratio(value: Decimal | None) -> float | None:
    """A ratio as a JSON number (the API's rates are numbers): only at the edge, never in arithmetic."""
    return None if value is None else float(value)


def figures(spend_minor: int, value_minor: int, leads: int, mql: int, won: int) -> dict[str, int | Decimal | None]:
    """The money figures of one cohort: what was spent and won, per lead, MQL and customer."""
    return {"spend_minor": spend_minor, "cost_per_lead_minor": per(spend_minor, leads),
            "cost_per_mql_minor": per(spend_minor, mql), "cost_per_won_minor": per(spend_minor, won),
            "value_won_minor": value_minor, "value_per_lead_minor": per(value_minor, leads),
            "roas": ratio(value_minor, spend_minor), "lead_to_customer_rate": ratio(won, leads)}


def _refuse_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError("give the amount as decimal text")
    return value


# An amount in major units as decimal text (or a Decimal, as the API reads JSON fractions): a float is refused.
DecimalText = Annotated[Decimal | str | None, BeforeValidator(_refuse_float)]


class Amount(Model):
    """Money as a request gives it: `{"amount": 1250.00, "currency": "EUR"}` (a JSON number is read as a Decimal,
    never a float) or `{"amount_minor": 125000, "currency": "EUR"}`."""

    model_config = ConfigDict(extra="forbid")

    amount: DecimalText = None
    amount_minor: int | None = Field(default=None, ge=0, lt=MAX_MINOR)
    currency: str = Field(pattern=CURRENCY_PATTERN.pattern)

    def minor(self, field: str = "value") -> int:
        if (self.amount is None) == (self.amount_minor is None):
            raise ValidationFailed([{"field": f"{field}.amount", "reason": "give either amount or amount_minor"}])
        if self.amount_minor is not None:
            return self.amount_minor
        assert self.amount is not None
        return to_minor(self.amount, self.currency, f"{field}.amount")
