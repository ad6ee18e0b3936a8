"""Demo renewals, revenue history and exchange rates (development only, idempotent): two years of renewals,
two lost accounts with their reasons, three years of revenue by source in two currencies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts import money_services, renewals, services
from accounts.models import Account, Contract, Outcome, RevenueEntry, Tier
from sam.models import Tenant

RATES = [
    ("EUR", "2023-01-01", "1.07"),
    ("EUR", "2024-01-01", "1.09"),
    ("EUR", "2025-01-01", "1.04"),
    ("EUR", "2026-01-01", "1.08"),
    ("GBP", "2024-01-01", "1.26"),
    ("GBP", "2026-01-01", "1.27"),
]
SPLIT = {
    "Hardware": Decimal("0.15"),
    "Software": Decimal("0.25"),
    "Professional services": Decimal("0.2"),
    "Managed services": Decimal("0.4"),
}
LOST = [
    # name, industry, months since the contract ended, reason, competitor
    ("Oscorp Aerospace", "Aerospace", 5, "Price", "Lumon Systems"),
    ("Kramerica Industries", "Manufacturing", 9, "Service quality", ""),
]


def seed_commercial(tenant: Tenant) -> None:
    """Inside tenant_context(tenant), after the demo accounts exist."""
    if RevenueEntry.objects.exists() or not Account.objects.exists():
        return
    today = timezone.localdate()
    for currency, day, rate in RATES:
        money_services.exchange_rate_save(currency=currency, valid_from=date.fromisoformat(day), rate=rate)
    sources = {s.name: s for s in money_services.revenue_sources()}
    reasons = {r.name: r for r in money_services.loss_reasons()}
    accounts = list(Account.objects.alive().order_by("pk"))
    owner = accounts[0].owner
    # Two years of renewals: each running contract continued an earlier one.
    for index, account in enumerate(accounts):
        current = Contract.objects.filter(account=account, start__lte=today).order_by("-start").first()
        if current is None or index % 5 == 4:
            continue
        earlier_value = ((current.value or Decimal(0)) * Decimal("0.9")).quantize(Decimal(1))
        earlier = services.contract_save(
            account=account,
            data={
                "title": f"Managed services agreement {current.start.year - 2}",
                "start": current.start - timedelta(days=730),
                "end": current.start - timedelta(days=1),
                "value": earlier_value,
                "currency": current.currency,
                "renewal_terms": "",
            },
        )
        outcome = (Outcome.EXPANDED, Outcome.RENEWED, Outcome.CONTRACTED)[index % 3]
        change = {
            Outcome.EXPANDED: (current.value or Decimal(0)) * Decimal("0.1"),
            Outcome.CONTRACTED: -(current.value or Decimal(0)) * Decimal("0.05"),
        }.get(outcome)
        change = change.quantize(Decimal(1)) if change is not None else None
        if earlier.end < today:
            renewals.contract_outcome_record(
                contract=earlier,
                outcome=outcome,
                renewed_as=current,
                value_change=change,
                acting_user=owner,
                today=today,
            )
    # Two accounts lost at renewal, with their reasons (and one competitor).
    strategic = Tier.objects.filter(strategic=True).first()
    for name, industry, months, reason, competitor in LOST[: 2 if tenant.slug == "northwind" else 1]:
        account, _ = services.account_create(
            data={
                "name": name,
                "industry": industry,
                "tier": strategic,
                "status": Account.Status.INACTIVE,
                "owner": owner,
                "annual_revenue": Decimal("4200000"),
                "currency": "USD",
            },
            acting_user=owner,
        )
        end = today - timedelta(days=30 * months)
        contract = services.contract_save(
            account=account,
            data={
                "title": f"Services agreement {end.year - 3}",
                "start": end - timedelta(days=3 * 365),
                "end": end,
                "value": Decimal("12600000"),
                "currency": "USD",
                "renewal_terms": "",
            },
        )
        renewals.contract_outcome_record(
            contract=contract,
            outcome=Outcome.LOST,
            lost_reason=reasons[reason],
            competitor=competitor,
            acting_user=owner,
            today=today,
        )
    # Three years of revenue by source, in each account's currency; one account kept by quarter this year.
    for index, account in enumerate(Account.objects.alive().order_by("pk")):
        yearly = account.annual_revenue or Decimal(0)
        for back in (2, 1, 0):
            year = today.year - back
            scale = Decimal(1) - Decimal("0.08") * back + Decimal(index % 3) / 50
            if index == 0 and back == 0:
                for quarter in range(1, (today.month - 1) // 3 + 2):
                    for name, share in SPLIT.items():
                        money_services.revenue_entry_save(
                            account=account,
                            year=year,
                            quarter=quarter,
                            source=sources[name],
                            amount=(yearly * share * scale / 4).quantize(Decimal(1)),
                            currency=account.currency,
                        )
                continue
            for name, share in SPLIT.items():
                if name == "Hardware" and index % 2:
                    continue
                money_services.revenue_entry_save(
                    account=account,
                    year=year,
                    quarter=0,
                    source=sources[name],
                    amount=(yearly * share * scale).quantize(Decimal(1)),
                    currency=account.currency,
                )
