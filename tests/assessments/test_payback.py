"""Payback per beneficiary (assessments.calc): our cost against the customer's yearly benefit and, apart, against
ours; never the two benefits added together. Pure arithmetic: no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from assessments.calc import figures, payback

USD_RATE = Decimal("100")


@dataclass
class Benefit:
    beneficiary: str
    amount: Decimal | None
    category: str = "efficiency"


@dataclass
class Rec:
    """What ``figures`` reads of a recommendation: its cost and its benefits (``paybacks.all()``)."""

    cost_hours: Decimal
    cost_money: Decimal
    benefits: list[Benefit] = field(default_factory=list)

    @property
    def paybacks(self) -> Rec:
        return self

    def all(self) -> list[Benefit]:
        return self.benefits


def rec(hours: str, money: str, *benefits: tuple[str, str | None]) -> Rec:
    return Rec(
        Decimal(hours),
        Decimal(money),
        [Benefit(who, None if amount is None else Decimal(amount)) for who, amount in benefits],
    )


def test_each_side_pays_back_the_cost_on_its_own_with_the_sum_written_out():
    found = figures([rec("120", "3000", ("customer", "30000"), ("us", "5000"))], USD_RATE, "USD")
    assert found.cost_total == Decimal("15000")
    assert found.cost_text == "120 h × 100.00 + 3,000.00 = 15,000.00 USD"  # noqa: RUF001
    assert found.customer.months == Decimal("6.0")  # 15,000 / 30,000 x 12
    assert found.customer.text == (
        "Cost 120 h × 100.00 + 3,000.00 = 15,000.00 USD; customer benefit 30,000.00 a year → payback 6.0 months"  # noqa: RUF001
    )
    assert found.us.months == Decimal("36.0")  # 15,000 / 5,000 x 12
    assert found.us.text.endswith("our benefit 5,000.00 a year → payback 36.0 months")
    # Added together the benefits would pay back in 5.1 months: that figure is nowhere.
    assert "5.1" not in found.customer.text + found.us.text
    assert found.customer.verdict == "6.0 months" and found.us.verdict == "36.0 months"


def test_a_sides_several_benefits_add_up_but_never_the_other_sides():
    found = figures(
        [rec("0", "12000", ("customer", "10000"), ("customer", "14000"), ("us", "1000")), rec("10", "0")],
        USD_RATE,
        "EUR",
    )
    assert found.cost_total == Decimal("13000")  # both recommendations' cost
    assert found.customer.yearly == Decimal("24000") and found.customer.months == Decimal("6.5")
    assert found.us.yearly == Decimal("1000") and found.us.months == Decimal("156.0")
    assert found.cost_text == "10 h × 100.00 + 12,000.00 = 13,000.00 EUR"  # noqa: RUF001


def test_no_known_amount_says_so_and_divides_nothing():
    nothing = figures([rec("10", "0")], USD_RATE, "USD")
    assert nothing.customer.months is None and nothing.customer.yearly is None and not nothing.customer.known
    assert nothing.customer.verdict == "not known"
    assert nothing.customer.text == (
        "Cost 10 h × 100.00 + 0.00 = 1,000.00 USD; customer benefit not known (none recorded) → no payback period "  # noqa: RUF001
        "can be worked out."
    )
    sized_later = figures([rec("10", "0", ("us", None), ("us", None))], USD_RATE, "USD")
    assert sized_later.us.months is None and sized_later.us.unknown == 2
    assert "our benefit not known (recorded without an amount)" in sized_later.us.text


def test_some_amounts_not_known_make_the_period_an_upper_bound():
    found = figures([rec("0", "6000", ("customer", "12000"), ("customer", None))], USD_RATE, "USD")
    assert found.customer.months == Decimal("6.0") and found.customer.unknown == 1
    assert found.customer.verdict == "6.0 months at most"
    assert found.customer.text.endswith(
        "customer benefit 12,000.00 a year (1 more amount not known) → payback 6.0 months at most"
    )


def test_zero_cost_has_nothing_to_recover():
    found = figures([rec("0", "0", ("customer", "5000"))], USD_RATE, "USD")
    assert found.cost_total == 0 and found.customer.months == Decimal("0.0")
    assert found.customer.verdict == "at once (no cost)"
    assert found.customer.text.endswith("there is no cost to recover.")
    both_zero = payback("us", Decimal(0), "0 h × 100.00 + 0.00 = 0.00 USD", [Decimal(0)])  # noqa: RUF001
    assert both_zero.months is None and both_zero.verdict == "nothing to recover"
    assert both_zero.text.endswith("nothing to pay back, and no benefit either.")


def test_zero_benefit_never_pays_back():
    found = figures([rec("5", "0", ("customer", "0"))], USD_RATE, "USD")
    assert found.customer.yearly == 0 and found.customer.months is None and found.customer.verdict == "never"
    assert found.customer.text.endswith("customer benefit 0.00 a year → never pays back.")


def test_months_round_half_up_to_a_tenth():
    # 1,000 / 12,000 x 12 = 1.0; 1,000 / 7,000 x 12 = 1.714... -> 1.7; 1,250 / 6,000 x 12 = 2.5
    for money, benefit, months in (("1000", "12000", "1.0"), ("1000", "7000", "1.7"), ("1250", "6000", "2.5")):
        assert figures([rec("0", money, ("us", benefit))], USD_RATE, "USD").us.months == Decimal(months)
