from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accounts import services as account_services
from accounts.models import Contact
from assessments import services


def contract_at(world, account, *, progress: float, years: int = 2, today: date | None = None) -> Any:
    """A contract of ``years`` that is ``progress`` (0..1) through its term today."""
    today = today or timezone.localdate()
    days = 365 * years
    start = today - timedelta(days=round(days * progress))
    with world.ctx():
        return account_services.contract_save(account=account, data={"title": "Services agreement", "start": start,
                                                                     "end": start + timedelta(days=days)})  # fmt: skip


def shared_assessment(world, account, *, steps: str = "Name an owner\nPublish the chart") -> tuple[Any, Any]:
    """An assessment with one finding and one recommendation, shared with the customer."""
    owner = account.owner
    with world.ctx():
        Contact.objects.get_or_create(account=account, name="Erin Economic", defaults={"buyer_role": "economic"})
        assessment = services.assessment_create(account=account, data={"title": "Mid-contract"}, acting_user=owner)
        finding = services.finding_save(assessment=assessment, data={"kind": "W", "text": "Incidents bounce"})
        rec = services.recommendation_save(assessment=assessment, data={
            "title": "One incident route", "steps": steps, "start": date(2030, 1, 1), "end": date(2030, 3, 2),
            "cost_hours": "10", "cost_money": "1000", "priority": 1, "finding": finding.pk,
            "paybacks": [{"beneficiary": "customer", "category": "risk_mitigation", "amount": "6000"}],
        })  # fmt: skip
        services.assessment_transition(assessment=assessment, to="in_review", acting_user=owner)
        services.assessment_transition(assessment=assessment, to="shared", acting_user=owner)
    return assessment, rec
