"""Pure calculations of the assessments app: no database, no side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assessments.models import (
    AssessmentSettings,
    Recommendation,
)


def whole(raw: Any) -> int | None:
    """A whole number given as an int or as ASCII digits (at most 9 of them), else None: "²", "1e3", True and
    out-of-range ids are not numbers here."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw < 10**9 else None
    text = str(raw).strip() if raw is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def window(contract: Any, config: AssessmentSettings) -> tuple[date, date]:
    """The days between which the contract is due for its mid-contract assessment."""
    term = (contract.end - contract.start).days
    return (
        contract.start + timedelta(days=term * config.window_start_pct // 100),
        contract.start + timedelta(days=term * config.window_end_pct // 100),
    )


def money(value: Decimal | None, currency: str) -> str:
    if value is None:
        return "unknown"
    return f"{currency} {value.quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}"


@dataclass
class Figures:
    """Cost, yearly payback and what follows from them, each with the sum that made it."""

    cost_hours: Decimal
    cost_money: Decimal
    cost_total: Decimal
    to_customer: Decimal
    to_us: Decimal
    payback_total: Decimal
    unknown_amounts: int
    payback_months: Decimal | None
    first_year_return: Decimal | None
    cost_text: str
    payback_text: str
    months_text: str
    return_text: str


def figures(recs: list[Recommendation], rate: Decimal, currency: str) -> Figures:
    """For one or several recommendations: total cost = money + hours x hourly rate; payback period (months) =
    total cost / yearly payback x 12; first-year return = (yearly payback - total cost) / total cost."""
    hours = sum((r.cost_hours for r in recs), Decimal(0))
    cash = sum((r.cost_money for r in recs), Decimal(0))
    total = cash + hours * rate
    paybacks = [p for r in recs for p in r.paybacks.all()]
    customer = sum((p.amount for p in paybacks if p.amount is not None and p.beneficiary == "customer"), Decimal(0))
    us = sum((p.amount for p in paybacks if p.amount is not None and p.beneficiary == "us"), Decimal(0))
    unknown = sum(1 for p in paybacks if p.amount is None)
    benefit = customer + us
    months = (total / benefit * 12).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if benefit > 0 else None
    ret = ((benefit - total) / total * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP) if total > 0 else None
    hours_text = f"{hours.normalize():f} h × {money(rate, currency)}/h"  # noqa: RUF001
    cost_text = f"{money(cash, currency)} + {hours_text} = {money(total, currency)}"
    payback_text = (
        f"{money(customer, currency)} to the customer + {money(us, currency)} to us = "
        f"{money(benefit, currency)} a year"
        + (f" ({unknown} amount{'s' if unknown != 1 else ''} not known)" if unknown else "")
    )
    if months is not None:
        months_text = f"{money(total, currency)} ÷ {money(benefit, currency)} a year × 12 = {months} months"  # noqa: RUF001
    else:
        months_text = "No known payback amount: the payback period cannot be worked out."
    if ret is not None:
        spent = money(total, currency)
        return_text = f"({money(benefit, currency)} − {spent}) ÷ {spent} = {ret}%"  # noqa: RUF001
    else:
        return_text = "No cost: the return cannot be worked out."
    return Figures(
        hours,
        cash,
        total,
        customer,
        us,
        benefit,
        unknown,
        months,
        ret,
        cost_text,
        payback_text,
        months_text,
        return_text,
    )
