"""Money in one currency, changed: the tenant's lists of revenue sources and loss reasons (with their defaults),
exchange rates by date, the revenue history by source, and their CSV imports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import imports
from accounts.import_kinds import register_import_kind
from accounts.models import Account, ExchangeRate, LossReason, RevenueEntry, RevenueSource
from accounts.money_selectors import Converter, base_currency
from sam.models import Membership
from sam.roles import allowed

DEFAULT_REVENUE_SOURCES = ["Hardware", "Software", "Professional services", "Managed services"]
DEFAULT_LOSS_REASONS = [
    "Price",
    "A competitor's offering",
    "Service quality",
    "Product fit",
    "Customer strategy changed",
    "Merger or acquisition",
    "Budget cut",
]


# --- tenant lists (admin-editable), with their defaults -----------------------------------------------------


def _with_defaults(model: Any, names: list[str]) -> list[Any]:
    """The tenant's list; a tenant that has none gets the defaults."""
    items = list(model.objects.all())
    if not items:
        for order, name in enumerate(names):
            model.objects.get_or_create(name=name, defaults={"order": order})
        items = list(model.objects.all())
    return items


def revenue_sources() -> list[RevenueSource]:
    """The tenant's revenue sources (hardware, software, services... by default)."""
    return _with_defaults(RevenueSource, DEFAULT_REVENUE_SOURCES)


def loss_reasons() -> list[LossReason]:
    """The tenant's reasons for a lost renewal."""
    return _with_defaults(LossReason, DEFAULT_LOSS_REASONS)


def list_item_save(model: Any, *, name: str, item: Any = None, active: bool = True) -> Any:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give it a name."})
    if len(name) > 120:
        raise ValidationError({"name": "Use at most 120 characters."})
    if model.objects.filter(name__iexact=name).exclude(pk=getattr(item, "pk", None)).exists():
        raise ValidationError({"name": "That name is already on the list."})
    item = item or model(order=(model.objects.count()))
    item.name, item.active = name, active
    item.save()
    return item


# --- exchange rates -------------------------------------------------------------------------------------------


def currency_code(value: Any, field_name: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationError({field_name: "Use a three-letter currency code, e.g. EUR."})
    return code


def positive_decimal(value: Any, field_name: str, *, allow_zero: bool = False) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field_name: "Enter a number."}) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e14"):
        raise ValidationError({field_name: "Enter a number."})
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError({field_name: "Must be more than zero." if not allow_zero else "Cannot be negative."})
    return number


def exchange_rate_save(*, currency: Any, valid_from: date | None, rate: Any) -> ExchangeRate:
    """Set the rate of a currency from a day on (the same day again replaces it)."""
    code = currency_code(currency)
    if code == base_currency():
        raise ValidationError({"currency": f"{code} is the base currency: it needs no rate."})
    if valid_from is None:
        raise ValidationError({"valid_from": "Give the day the rate applies from."})
    value = positive_decimal(rate, "rate")
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        value = value.quantize(Decimal("0.00000001"))
    if value == 0:
        raise ValidationError({"rate": "Must be more than zero."})
    row, _ = ExchangeRate.objects.update_or_create(
        base=base_currency(), currency=code, valid_from=valid_from, defaults={"rate": value}
    )
    return row


def exchange_rate_delete(*, rate: ExchangeRate) -> None:
    rate.delete()


# --- revenue history ------------------------------------------------------------------------------------


def revenue_entry_save(
    *,
    account: Account,
    year: Any,
    quarter: Any,
    source: RevenueSource | None,
    amount: Any,
    currency: Any,
    entry: RevenueEntry | None = None,
) -> RevenueEntry:
    """One account's revenue for a year (quarter 0) or a quarter from one source; unique per period and source.

    A year is kept either whole or by quarters for one source, never both (they would count twice).
    """
    try:
        year_n, quarter_n = int(year), int(quarter or 0)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"year": "Give the year as a number, e.g. 2026."}) from exc
    if not 1900 <= year_n <= 2200:
        raise ValidationError({"year": "Give a year from 1900 to 2200."})
    if not 0 <= quarter_n <= 4:
        raise ValidationError({"quarter": "Choose the whole year or a quarter from 1 to 4."})
    if source is None or not RevenueSource.objects.filter(pk=source.pk).exists():
        raise ValidationError({"source": "Choose one of the revenue sources."})
    value = positive_decimal(amount, "amount", allow_zero=True)
    code = currency_code(currency)
    same = RevenueEntry.objects.filter(account=account, year=year_n, source=source).exclude(
        pk=getattr(entry, "pk", None)
    )
    if same.filter(quarter=quarter_n).exists():
        raise ValidationError({"quarter": "This account already has revenue for that period and source."})
    if quarter_n and same.filter(quarter=0).exists():
        raise ValidationError({"quarter": f"{year_n} is already kept as a whole year for this source."})
    if not quarter_n and same.exclude(quarter=0).exists():
        raise ValidationError({"quarter": f"{year_n} is already kept by quarter for this source."})
    entry = entry or RevenueEntry(account=account)
    entry.year, entry.quarter, entry.source, entry.amount, entry.currency = year_n, quarter_n, source, value, code
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise ValidationError({"quarter": "This account already has revenue for that period and source."}) from exc
    return entry


def revenue_entry_delete(*, entry: RevenueEntry) -> None:
    entry.delete()


# --- CSV import (the accounts import pipeline: preview, then all rows or none) ---------------------------------

REVENUE_EXAMPLE = (
    "account,year,quarter,source,amount,currency\n"
    "Globex Corporation,2025,,Software,1250000,USD\n"
    "Globex Corporation,2026,1,Managed services,310000,EUR"
)
RATES_EXAMPLE = "currency,valid_from,rate\nEUR,2026-01-01,1.0850\nGBP,2026-01-01,1.2700"


def revenue_row(row: dict[str, str], lookups: Any, acting_user: Any) -> None:
    account = lookups.account(row.get("account", ""))
    _may_edit(account, acting_user, lookups)
    sources = lookups.cache.setdefault("revenue_sources", {s.name.lower(): s for s in revenue_sources()})
    source = sources.get(row.get("source", "").strip().lower())
    if source is None:
        raise ValidationError({"source": f"{row.get('source', '')!r} is not one of your revenue sources."})
    year = imports.cell_int(row.get("year", ""), "year", 1900, 2200, 0)
    if not year:
        raise ValidationError({"year": "Required."})
    quarter = imports.cell_int(row.get("quarter", ""), "quarter", 0, 4, 0)
    amount = imports.cell_decimal(row.get("amount", ""), "amount")
    if amount is None:
        raise ValidationError({"amount": "Required."})
    code = currency_code(row.get("currency", "") or base_currency())
    known = lookups.cache.setdefault("currencies", {base_currency(), *Converter.load().rates})
    if code not in known:
        raise ValidationError({"currency": f"{code} has no exchange rate: add one in the portfolio settings first."})
    key = (account.pk, year, quarter, source.pk)
    if key in lookups.seen:
        raise ValidationError({"quarter": f"The same account, period and source as line {lookups.seen[key]}."})
    lookups.seen[key] = lookups.row_number
    existing = RevenueEntry.objects.filter(account=account, year=year, quarter=quarter, source=source).first()
    revenue_entry_save(
        account=account, year=year, quarter=quarter, source=source, amount=amount, currency=code, entry=existing
    )


def _may_edit(account: Account, user: Any, lookups: Any) -> None:
    """The same rule as the revenue form and API: editing the account's details (``account.edit``)."""

    role = lookups.cache.get("role")
    if role is None:
        role = lookups.cache["role"] = Membership.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
    if not allowed(role, "account.edit", user=user, obj=account):
        raise ValidationError({"account": f"You may not change the revenue of {account.name}."})


def rate_row(row: dict[str, str], lookups: Any, acting_user: Any) -> None:
    day = imports.cell_date(row.get("valid_from", ""), "valid_from")
    key = (currency_code(row.get("currency", "")), day)
    if key in lookups.seen:
        raise ValidationError({"valid_from": f"The same currency and day as line {lookups.seen[key]}."})
    lookups.seen[key] = lookups.row_number
    exchange_rate_save(currency=row.get("currency", ""), valid_from=day, rate=row.get("rate", ""))


def register_imports() -> None:
    register_import_kind(
        "revenue",
        label="Revenue",
        required=["account", "year", "source", "amount"],
        optional=["quarter", "currency"],
        importer=revenue_row,
        example=REVENUE_EXAMPLE,
        done_url="portfolio_settings",
    )
    register_import_kind(
        "rates",
        label="Exchange rates",
        permission="tenant.manage_settings",
        required=["currency", "valid_from", "rate"],
        optional=[],
        importer=rate_row,
        example=RATES_EXAMPLE,
        done_url="portfolio_settings",
    )
