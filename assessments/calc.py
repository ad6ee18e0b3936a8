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


def amount(value: Decimal) -> str:
    """An amount as the arithmetic writes it: thousands separated, two decimals ("15,000.00")."""
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


# Who gains from a recommendation, as the arithmetic names them: (key, "customer benefit", "the customer's").
BENEFICIARIES = (("customer", "customer benefit", "The customer's"), ("us", "our benefit", "Our"))


@dataclass
class Payback:
    """How soon our cost comes back in one beneficiary's yearly benefit, never mixed with the other's.

    ``yearly`` is the sum of the amounts known (None when none is known); ``unknown`` counts the benefits known to
    exist without an amount; ``months`` is cost / yearly x 12 when it can be worked out (None otherwise)."""

    who: str
    label: str
    yearly: Decimal | None
    unknown: int
    months: Decimal | None
    verdict: str
    text: str

    @property
    def known(self) -> bool:
        return self.yearly is not None


def payback(who: str, cost: Decimal, cost_text: str, amounts: list[Decimal | None]) -> Payback:
    """One beneficiary's payback period against our whole cost: cost / yearly benefit x 12 months. No known
    amount: not known (no division); a benefit of zero: never; no cost: nothing to recover."""
    name, label = next((name, label) for key, name, label in BENEFICIARIES if key == who)
    known = [a for a in amounts if a is not None]
    unknown = len(amounts) - len(known)
    more = f" ({unknown} more amount{'s' if unknown != 1 else ''} not known)" if unknown and known else ""
    head = f"Cost {cost_text}; {name}"
    if not known:
        why = "recorded without an amount" if unknown else "none recorded"
        return Payback(
            who, label, None, unknown, None, "not known",
            f"{head} not known ({why}) → no payback period can be worked out.",
        )  # fmt: skip
    yearly = sum(known, Decimal(0))
    benefit = f"{head} {amount(yearly)} a year{more}"
    if yearly <= 0:
        if cost <= 0:
            return Payback(who, label, yearly, unknown, None, "nothing to recover",
                           f"{benefit} → nothing to pay back, and no benefit either.")  # fmt: skip
        return Payback(who, label, yearly, unknown, None, "never", f"{benefit} → never pays back.")
    months = (cost / yearly * 12).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    at_most = " at most" if more else ""
    if cost <= 0:
        return Payback(who, label, yearly, unknown, months, "at once (no cost)",
                       f"{benefit} → payback {months} months: there is no cost to recover.")  # fmt: skip
    return Payback(
        who, label, yearly, unknown, months, f"{months} months{at_most}",
        f"{benefit} → payback {months} months{at_most}",
    )  # fmt: skip


@dataclass
class Figures:
    """Our cost of one or several recommendations, and each beneficiary's payback of it, with the sums written
    out. The two benefits are never added together: each pays back the cost on its own."""

    cost_hours: Decimal
    cost_money: Decimal
    cost_total: Decimal
    cost_text: str
    customer: Payback
    us: Payback

    @property
    def paybacks(self) -> list[Payback]:
        return [self.customer, self.us]

    @property
    def unknown_amounts(self) -> int:
        return self.customer.unknown + self.us.unknown


def figures(recs: list[Recommendation], rate: Decimal, currency: str) -> Figures:
    """For one or several recommendations: our cost = hours x hourly rate + money; then for the customer and for
    us apart, payback period (months) = cost / that beneficiary's yearly benefit x 12."""
    hours = sum((r.cost_hours for r in recs), Decimal(0))
    cash = sum((r.cost_money for r in recs), Decimal(0))
    total = cash + hours * rate
    cost_text = f"{hours.normalize():f} h × {amount(rate)} + {amount(cash)} = {amount(total)} {currency}"  # noqa: RUF001
    paybacks = [p for r in recs for p in r.paybacks.all()]
    customer, us = (
        payback(who, total, cost_text, [p.amount for p in paybacks if p.beneficiary == who])
        for who in ("customer", "us")
    )
    return Figures(hours, cash, total, cost_text, customer, us)


# --- the yearly progress report: anniversaries of the day an assessment was shared ----------------------------


def anniversary(shared_on: date, n: int) -> date:
    """The n-th anniversary of the day an assessment was shared (the 0th is that day). Shared on 29 February, the
    anniversary of a common year is the 28th, the last day of its February."""
    year = shared_on.year + n
    try:
        return shared_on.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def anniversaries_passed(shared_on: date, today: date) -> int:
    """How many anniversaries have come by ``today`` (the day itself included); 0 in the first year."""
    if today <= shared_on:
        return 0
    n = today.year - shared_on.year
    return n if anniversary(shared_on, n) <= today else n - 1


def plan_year(shared_on: date, day: date) -> int:
    """The year of the action plan a day belongs to: year n ends on the n-th anniversary, the day included."""
    passed = anniversaries_passed(shared_on, day)
    return passed if passed >= 1 and anniversary(shared_on, passed) == day else passed + 1


def plan_year_span(shared_on: date, year: int) -> tuple[date, date]:
    """The first and last day of a year of the action plan: year 1 from the sharing day to the first anniversary,
    each next one from the day after an anniversary to the next anniversary."""
    start = anniversary(shared_on, year - 1)
    return (start if year == 1 else start + timedelta(days=1)), anniversary(shared_on, year)
