"""Money in one currency, read: the tenant's base currency, its exchange rates by date, one account's revenue
history by source.

Every roll-up converts with the rate in force on the value's date, says which rates it used, and keeps an
amount it cannot convert apart (with what it was) instead of summing it silently.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import Account, AccountsSettings, ExchangeRate, RevenueEntry
from sam.tenancy.context import current_tenant

CENT = Decimal("0.01")


def base_currency() -> str:
    return AccountsSettings.current().base_currency if current_tenant() is not None else "USD"


# --- conversion ---------------------------------------------------------------------------------------


@dataclass
class Unconverted:
    """An amount with no rate in force on its date: shown apart, never summed."""

    what: str
    amount: Decimal
    currency: str
    on: date


@dataclass
class Converter:
    """Converts amounts into the base currency with the rate in force on each amount's date (one query)."""

    base: str
    rates: dict[str, list[tuple[date, Decimal]]]
    used: dict[tuple[str, date], Decimal] = field(default_factory=dict)
    missing: list[Unconverted] = field(default_factory=list)

    @classmethod
    def load(cls, base: str | None = None) -> Converter:
        rates: dict[str, list[tuple[date, Decimal]]] = {}
        base = base or base_currency()
        for currency, valid_from, rate in (
            ExchangeRate.objects.filter(base=base)
            .order_by("currency", "valid_from")
            .values_list("currency", "valid_from", "rate")
        ):
            rates.setdefault(currency, []).append((valid_from, rate))
        return cls(base, rates)

    def rate(self, currency: str, on: date) -> tuple[date, Decimal] | None:
        """The rate in force on ``on``: the latest one dated that day or before."""
        series = self.rates.get(currency)
        if not series:
            return None
        index = bisect_right(series, on, key=lambda pair: pair[0])
        return series[index - 1] if index else None

    def convert(self, amount: Decimal | None, currency: str, on: date, *, what: str = "") -> Decimal | None:
        """The amount in the base currency, or None (recorded in ``missing``) when no rate is in force."""
        if amount is None:
            return None
        if currency == self.base:
            return amount
        found = self.rate(currency, on)
        if found is None:
            self.missing.append(Unconverted(what, amount, currency, on))
            return None
        self.used[(currency, found[0])] = found[1]
        return (amount * found[1]).quantize(CENT)

    def rates_used(self) -> list[dict[str, Any]]:
        return [
            {"currency": currency, "valid_from": valid_from, "rate": rate, "base": self.base}
            for (currency, valid_from), rate in sorted(self.used.items())
        ]

    def missing_rows(self) -> list[dict[str, Any]]:
        return [
            {"what": m.what, "amount": m.amount, "currency": m.currency, "on": m.on}
            for m in sorted(self.missing, key=lambda m: (m.currency, m.on, m.what))
        ]


# --- revenue history ------------------------------------------------------------------------------------


def account_revenue(account: Account, *, converter: Converter | None = None) -> dict[str, Any]:
    """One account's revenue by year and source, in the base currency, with the rates used."""
    converter = converter or Converter.load()
    entries = list(RevenueEntry.objects.filter(account=account).select_related("source"))
    years: dict[int, dict[str, Any]] = {}
    sources: dict[int, str] = {}
    for entry in entries:
        sources[entry.source_id] = entry.source.name
        value = converter.convert(entry.amount, entry.currency, entry.on, what=f"{account.name} {entry.label}")
        row = years.setdefault(entry.year, {"year": entry.year, "by_source": {}, "total": Decimal(0)})
        if value is not None:
            row["by_source"][entry.source_id] = row["by_source"].get(entry.source_id, Decimal(0)) + value
            row["total"] += value
    ordered_sources = sorted(sources.items(), key=lambda pair: pair[1])
    rows = [
        {**row, "cells": [row["by_source"].get(pk) for pk, _ in ordered_sources]}
        for _, row in sorted(years.items(), reverse=True)
    ]
    return {
        "entries": entries,
        "rows": rows,
        "sources": [name for _, name in ordered_sources],
        "base": converter.base,
        "rates_used": converter.rates_used(),
        "missing": converter.missing_rows(),
    }
