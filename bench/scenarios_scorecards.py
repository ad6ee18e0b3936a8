"""Scorecards: the portfolio heatmap for 100 accounts x 8 periods x 20 metrics, against the bare template
view listing 100 rows in the same run. Goal: at least 40% of its throughput.

The data lives in a tenant of its own ("bench-heatmap") that the demo admin
joins for the run; it is deleted afterwards, so the demo data stays as it was.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from bench.run import CLEANUP, DEMO_USER, GOAL_THROUGHPUT, IN_PROCESS, SCENARIOS, Scenario

SLUG = "bench-heatmap"
NAME = "portfolio heatmap, 100 accounts x 8 periods x 20 metrics"


def prepare() -> None:
    from accounts.models import Account, Tier
    from sam.models import Membership, Tenant, User
    from sam.roles import Role
    from sam.tenancy.context import tenant_context
    from scorecards import selectors, services
    from scorecards.models import MetricDefinition, MetricValue, Scorecard

    _drop()
    tenant = Tenant.objects.create(slug=SLUG, name="Bench heatmap")
    rng = random.Random(7)
    with tenant_context(tenant):
        Membership.objects.create(user=User.objects.get(email=DEMO_USER), role=Role.ADMIN)
        version = selectors.current_version(services.template_defaults_ensure())
        base = list(version.metrics.all())
        for n in range(20 - len(base)):  # twenty metrics in all
            MetricDefinition.objects.create(
                version=version,
                key=f"extra_{n}",
                area=("execution", "involvement", "financial")[n % 3],
                name=f"Extra measure {n}",
                target=Decimal(10),
                amber=Decimal(6),
                red=Decimal(0),
                order=50 + n,
            )
        metrics = list(version.metrics.all())
        tier = Tier.objects.get(name="Key")
        accounts = Account.objects.bulk_create([Account(name=f"Heatmap account {n:03}", tier=tier) for n in range(100)])
        today = timezone.localdate()
        periods = [services.period_for(today - timedelta(days=91 * n)) for n in range(8)]
        cards = Scorecard.objects.bulk_create(
            [Scorecard(account=a, period=p, version=version) for a in accounts for p in periods]
        )
        values = []
        for card in cards:
            quality = rng.uniform(0.1, 1.0)
            for m in metrics:
                value = float(m.red) + (float(m.target) - float(m.red)) * quality
                values.append(MetricValue(scorecard=card, metric=m, value=Decimal(str(round(value, 1)))))
        MetricValue.objects.bulk_create(values, batch_size=2000)
        for card in cards:
            card.version = version
            services.scorecard_compute(card)


def _drop() -> None:
    from accounts.models import Account
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context
    from scorecards.models import MetricValue, Scorecard

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None:
        with tenant_context(tenant):
            MetricValue.objects.all().delete()  # protected rows first, then everything else goes with the tenant
            Scorecard.objects.all().delete()
            Account.objects.all().delete()
            tenant.delete()


prepare()
CLEANUP.append(_drop)
SCENARIOS.append(Scenario(NAME, f"/t/{SLUG}/scorecards/", baselines=("bare template, 100 rows",), needs_login=True))
GOAL_THROUGHPUT[NAME] = ("bare template, 100 rows", 0.4)


def _heatmap_uncached() -> None:
    """The heatmap's filters and table computed and rendered afresh (what a request after a change pays)."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from sam.models import Tenant
    from sam.tenancy.context import tenant_context
    from scorecards.views import heatmap_context

    tenant = Tenant.objects.get(slug=SLUG)
    request = RequestFactory().get(f"/t/{SLUG}/scorecards/")
    request.tenant = tenant
    with tenant_context(tenant):
        render_to_string("scorecards/_heatmap_content.html", heatmap_context(request, "", "", "", "health"))


IN_PROCESS.append(
    ("heatmap filters and table, uncached (in process)", _heatmap_uncached, "bare template, 100 rows (in process)")
)
