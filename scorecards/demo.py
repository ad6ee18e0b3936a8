"""Demo scorecards: eight quarters of plausible values with real trends; a few accounts turning red."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account, ActionItem
from sam.models import Tenant
from scorecards import services
from scorecards.models import AgreedTarget, MetricValue, Scorecard

# account name -> drift per quarter (positive improves, negative worsens)
DRIFT = {
    "Umbrella Health": -0.14,
    "Wayne Retail Group": -0.17,
    "Cyberdyne Systems": -0.17,
    "Stark Manufacturing": 0.06,
    "Tyrell Biotech": 0.08,
}


def seed_scorecards(tenant: Tenant) -> None:
    services.template_defaults_ensure()
    rng = random.Random(f"scorecards-{tenant.slug}")
    today = timezone.localdate()
    periods = [services.period_for(today - timedelta(days=91 * n)) for n in range(7, -1, -1)]
    if Scorecard.objects.filter(period__start__lt=periods[-1].start).exists():
        return  # the history is there already
    for account in Account.objects.alive().order_by("name"):
        drift = DRIFT.get(account.name, rng.uniform(-0.03, 0.05))
        level = rng.uniform(0.45, 0.85) - drift * 4  # where it started two years ago
        for index, period in enumerate(periods):
            quality = max(0.0, min(1.0, level + drift * index))
            _closed_actions(account, period, quality, rng)
            card = services.scorecard_for(account=account, period=period)
            services.scorecard_fill_computed(card)
            quality = max(0.0, min(1.0, level + drift * index + rng.uniform(-0.06, 0.06)))
            for metric in card.version.metrics.filter(source="manual"):
                red, target = float(metric.red), float(metric.target)
                value = red + (target - red) * (quality + rng.uniform(-0.15, 0.12))
                whole = metric.unit == "number" or (metric.unit == "score" and abs(target - red) > 10)
                rounded = round(max(value, 0) if metric.unit == "number" else value, 0 if whole else 1)
                MetricValue.objects.update_or_create(
                    scorecard=card, metric=metric, defaults={"value": Decimal(str(rounded))}
                )
            services.scorecard_compute(card)
        if account.name in DRIFT:  # a target agreed with the customer at the last QBR, for the joint scorecard
            contact = account.contacts.order_by("-influence", "name").first()
            AgreedTarget.objects.get_or_create(
                account=account,
                key="satisfaction",
                defaults={
                    "target": Decimal("4.2"),
                    "agreed_with": contact.name if contact else "",
                    "agreed_on": periods[-2].end,
                },
            )


def _closed_actions(account: Account, period: Any, quality: float, rng: random.Random) -> None:
    """A few actions of the period closed, on time as often as the account is doing well (for "on time")."""
    today = timezone.localdate()
    for n in range(rng.randint(3, 6)):
        due = period.start + timedelta(days=rng.randint(5, max(6, (period.end - period.start).days - 10)))
        late = rng.random() > quality
        closed = due + timedelta(days=rng.randint(3, 20) if late else -rng.randint(0, 4))
        if closed > today:
            continue
        ActionItem.objects.create(
            account=account,
            title=f"Follow-up {n + 1} from the {period.label} review",
            due=due,
            status=ActionItem.Status.DONE,
            owner=account.owner,
            closed_at=timezone.make_aware(datetime.combine(closed, time(15, 0))),
            created_at=timezone.make_aware(datetime.combine(period.start, time(9, 0))),
        )
