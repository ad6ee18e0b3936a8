"""A small hand-made portfolio whose every dashboard figure is counted by hand in the tests.

Today is 2 December 2026. Strategic accounts: Alder (USD, renewed with expansion), Birch (EUR, renewed with
contraction, a detractor), Cedar (lost on price to Rival), Dogwood (renewed early), Fir (lost 400 days ago,
outside the 12-month window). Elm is in the Key tier (not targeted) and was lost.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts import money_services, renewals, services
from accounts.models import Contract, Incident, IncidentCategory, Outcome
from qbr.models import Qbr
from scorecards.models import Period, Scorecard
from scorecards.services import scorecard_for
from tests.accounts.conftest import make_account

TODAY = date(2026, 12, 2)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))


def contract(account: Any, *, start: date, end: date, value: str, currency: str = "USD", title: str = "") -> Contract:
    return services.contract_save(account=account, data={"title": title or f"{account.name} {start.year}",
                                                         "start": start, "end": end, "value": Decimal(value),
                                                         "currency": currency, "renewal_terms": ""})  # fmt: skip


def answer(account: Any, *, nps: int, attitude: str, intent: str, when: date, name: str) -> Any:
    from voc.models import Campaign, Invitation, Response, SurveyTemplate, SurveyVersion

    template, _ = SurveyTemplate.objects.get_or_create(name="Hand-made survey")
    version, _ = SurveyVersion.objects.get_or_create(template=template, number=1)
    campaign, _ = Campaign.objects.get_or_create(name="Hand-made campaign", version=version,
                                                 defaults={"status": "open"})  # fmt: skip
    person = services.contact_save(account=account, data={"name": name, "email": f"{name.lower()}@cust.example"})
    invitation = Invitation.objects.create(campaign=campaign, contact=person, token_hash=secrets.token_hex(32),
                                           status="completed")  # fmt: skip
    return Response.objects.create(invitation=invitation, nps=nps, attitude=Decimal(attitude),
                                   intent=Decimal(intent), submitted_at=at(when))  # fmt: skip


@pytest.fixture
def world(tenant_a):
    """The hand-made portfolio in tenant A; returns the accounts by name."""
    t = tenant_a
    accounts = {name: make_account(t, name, currency="EUR" if name == "Birch" else "USD")
                for name in ("Alder", "Birch", "Cedar", "Dogwood", "Fir")}  # fmt: skip
    accounts["Elm"] = make_account(t, "Elm", tier="Key")
    owner = t.users["account_manager"]
    with t.ctx():
        money_services.exchange_rate_save(currency="EUR", valid_from=TODAY - timedelta(days=800), rate="1.10")
        money_services.exchange_rate_save(currency="EUR", valid_from=TODAY - timedelta(days=30), rate="1.20")
        reasons = {r.name: r for r in money_services.loss_reasons()}
        a = accounts
        old = contract(a["Alder"], start=TODAY - timedelta(days=1095), end=TODAY - timedelta(days=60), value="1000000")
        new = contract(a["Alder"], start=TODAY - timedelta(days=59), end=TODAY + timedelta(days=1000),
                       value="1200000", title="Alder renewal")  # fmt: skip
        renewals.contract_outcome_record(contract=old, outcome=Outcome.EXPANDED, renewed_as=new, acting_user=owner,
                                         today=TODAY)  # fmt: skip
        birch = contract(a["Birch"], start=TODAY - timedelta(days=730), end=TODAY - timedelta(days=120),
                         value="500000", currency="EUR")  # fmt: skip
        renewals.contract_outcome_record(contract=birch, outcome=Outcome.CONTRACTED, value_change=Decimal("-50000"),
                                         acting_user=owner, today=TODAY)  # fmt: skip
        cedar = contract(a["Cedar"], start=TODAY - timedelta(days=1095), end=TODAY - timedelta(days=30), value="300000")
        renewals.contract_outcome_record(contract=cedar, outcome=Outcome.LOST, lost_reason=reasons["Price"],
                                         competitor="Rival", acting_user=owner, today=TODAY)  # fmt: skip
        dogwood = contract(a["Dogwood"], start=TODAY - timedelta(days=365), end=TODAY + timedelta(days=120),
                           value="400000")  # fmt: skip
        renewals.contract_outcome_record(contract=dogwood, outcome=Outcome.RENEWED, acting_user=owner, today=TODAY)
        Contract.objects.filter(pk=dogwood.pk).update(outcome_recorded_at=at(TODAY - timedelta(days=5)))
        fir = contract(a["Fir"], start=TODAY - timedelta(days=1500), end=TODAY - timedelta(days=400), value="100000")
        renewals.contract_outcome_record(contract=fir, outcome=Outcome.LOST, lost_reason=reasons["Service quality"],
                                         acting_user=owner, today=TODAY)  # fmt: skip
        elm = contract(a["Elm"], start=TODAY - timedelta(days=800), end=TODAY - timedelta(days=10), value="900000")
        renewals.contract_outcome_record(contract=elm, outcome=Outcome.LOST, lost_reason=reasons["Price"],
                                         acting_user=owner, today=TODAY)  # fmt: skip
        # Revenue: 2025 and 2026, one amount in GBP with no rate (shown apart, never summed).
        sources = {s.name: s for s in money_services.revenue_sources()}
        for acc, year, source, amount, currency in [
            (a["Alder"], 2025, "Software", "100000", "USD"), (a["Alder"], 2025, "Hardware", "50000", "USD"),
            (a["Alder"], 2026, "Software", "120000", "USD"), (a["Birch"], 2025, "Software", "200000", "EUR"),
            (a["Cedar"], 2025, "Managed services", "10000", "GBP"),
        ]:  # fmt: skip
            money_services.revenue_entry_save(account=acc, year=year, quarter=0, source=sources[source], amount=amount,
                                     currency=currency)  # fmt: skip
        # Surveys: a promoter at Alder, a detractor at Birch (low satisfaction and intent: high risk).
        answer(a["Alder"], nps=10, attitude="5", intent="5", when=TODAY - timedelta(days=10), name="Ann")
        answer(a["Birch"], nps=3, attitude="2", intent="2", when=TODAY - timedelta(days=10), name="Ben")
        # Health: two periods; Birch falls from green to red, Alder stays green, Dogwood amber.
        q3 = Period.objects.create(label="2026-Q3", start=date(2026, 7, 1), end=date(2026, 9, 30))
        q4 = Period.objects.create(label="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
        for acc, before, now in [(a["Alder"], 80, 85), (a["Birch"], 78, 40), (a["Dogwood"], 65, 60)]:
            for period, value in ((q3, before), (q4, now)):
                card = scorecard_for(account=acc, period=period)
                Scorecard.objects.filter(pk=card.pk).update(health=Decimal(value))
        # Incidents: three at Alder (one critical), one at Birch, one long before the window.
        outage = IncidentCategory.objects.get(name="Outage")
        for acc, severity, days in [(a["Alder"], "critical", 5), (a["Alder"], "low", 20), (a["Alder"], "medium", 40),
                                    (a["Birch"], "high", 3), (a["Birch"], "low", 500)]:  # fmt: skip
            Incident.objects.create(account=acc, category=outage, severity=severity,
                                    opened_at=at(TODAY - timedelta(days=days)), summary="Down")  # fmt: skip
        # QBRs: every strategic account held its QBR in each of the last four quarters, except Alder's last one.
        for acc in (a["Alder"], a["Birch"], a["Cedar"], a["Dogwood"], a["Fir"]):
            for start in (date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)):
                end = (start.replace(day=28) + timedelta(days=70)).replace(day=1) - timedelta(days=1)
                held = not (acc.name == "Alder" and start == date(2026, 7, 1))
                Qbr.objects.create(account=acc, period_label=f"{start:%Y-%m}", period_start=start, period_end=end,
                                   status="held" if held else "planned",
                                   held_at=at(start + timedelta(days=20)) if held else None)  # fmt: skip
        # Overdue actions: two for the account manager, one for the member.
        member = t.users["member"]
        for acc, who, days in [(a["Alder"], owner, 3), (a["Birch"], owner, 1), (a["Birch"], member, 9),
                               (a["Birch"], member, -5)]:  # fmt: skip
            services.action_item_add(account=acc, title="Follow up", owner=who, due=TODAY - timedelta(days=days))
    return accounts
