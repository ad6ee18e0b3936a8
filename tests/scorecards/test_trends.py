"""Trends: per metric, area and overall over the last periods, arrows, and comparing across template versions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scorecards import selectors, services, templating
from scorecards.models import MetricDefinition

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def fill(card, **values):
    for key, value in values.items():
        services.value_set(scorecard=card, metric=card.version.metrics.get(key=key), value=value, acting_user=None)


def test_arrows_say_better_or_worse_by_direction(tenant_a, account_a):
    today = timezone.localdate()
    with tenant_a.ctx():
        before = services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=92)))
        now = services.scorecard_for(account=account_a, period=services.period_for(today))
        fill(before, growth="2", suppliers="4", reference="3")
        fill(now, growth="6", suppliers="2", reference="3")
        result = selectors.trends(now)
    rows = {row["metric"].key: row for row in result["metrics"]}
    assert rows["growth"]["arrow"]["symbol"] == "▲" and rows["growth"]["arrow"]["tone"] == "success"
    assert rows["suppliers"]["arrow"]["symbol"] == "▼" and "better" in rows["suppliers"]["arrow"]["text"]
    assert rows["reference"]["arrow"]["text"] == "no change"
    assert rows["events"]["arrow"] is None  # no data: no arrow, never a zero
    assert [label for label, _ in result["overall"]] == [before.period.label, now.period.label]
    assert result["overall_arrow"]["symbol"] == "▲" and result["comparable_note"] == ""
    financial = next(a for a in result["areas"] if a["key"] == "financial")
    assert financial["series"][-1][1] > financial["series"][0][1]
    assert "<svg" in str(rows["growth"]["chart"]) and "target" in str(rows["growth"]["chart"])


def test_across_versions_only_shared_metrics_are_compared_and_it_says_so(tenant_a, account_a):
    today = timezone.localdate()
    with tenant_a.ctx():
        template = services.template_defaults_ensure()
        old = services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=92)))
        fill(old, growth="10", share_of_wallet="20")  # financial 100, competitive position 0
        templating.metric_retire(template=template, key="share_of_wallet", retired=True, acting_user=None)
        new = services.scorecard_for(account=account_a, period=services.period_for(today))
        assert new.version_id != old.version_id
        fill(new, growth="10")
        old.refresh_from_db()
        assert old.health < 100  # its own score counts share of wallet
        result = selectors.trends(new)
        old_label = old.period.label
    assert "compare only the metrics both versions share" in result["comparable_note"]
    assert old_label in result["comparable_note"]
    assert result["overall"][0][1] == 100.0  # recomputed without the retired metric
    assert result["overall_arrow"]["text"] == "no change"
    assert "share_of_wallet" not in {row["metric"].key for row in result["metrics"]}


def test_trends_page_query_count_is_constant(tenant_a, account_a, client_for, django_assert_max_num_queries):
    client = client_for(tenant_a.admin)
    today = timezone.localdate()
    path = url("scorecard_trends", account_a.pk)
    with tenant_a.ctx():
        cards = [
            services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=91 * n)))
            for n in range(2)
        ]
    client.get(path)
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    with tenant_a.ctx():
        version = cards[0].version
        cards += [
            services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=91 * n)))
            for n in range(2, 8)
        ]
        for n in range(30):
            metric = MetricDefinition.objects.create(
                version=version, key=f"extra{n}", area="execution", name=f"Extra {n}",
                target=Decimal(10), amber=Decimal(5), red=Decimal(0),
            )  # fmt: skip
            for card in cards:
                services.value_set(scorecard=card, metric=metric, value=n % 11, acting_user=None)
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        response = client.get(path)
    assert response.status_code == 200 and b"Extra 29" in response.content
    assert response.content.count(b"<svg") >= 1 + 5 + 41
