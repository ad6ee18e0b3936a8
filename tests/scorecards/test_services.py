"""Scorecard services: the default template, periods, values with their checks, computed sources, health."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import services as account_services
from sam.models import AuditEvent
from sam.periods import period_bounds, quarter_of
from scorecards import selectors, services
from scorecards.models import MetricDefinition, MetricValue, Period, Scorecard, ScorecardSettings, ScorecardTemplate
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def test_new_tenant_has_a_default_template_in_every_area(tenant_a):
    with tenant_a.ctx():
        template = ScorecardTemplate.objects.get(is_default=True)
        version = selectors.current_version(template)
        areas = set(version.metrics.values_list("area", flat=True))
    assert areas == {"financial", "execution", "customer_insight", "competitive_position", "involvement"}
    assert sum(version.area_weights.values()) == 100


def test_quarters():
    assert quarter_of(date(2026, 11, 27)) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_of(date(2026, 2, 1)) == ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))


def test_one_scorecard_per_account_and_period(tenant_a, account_a):
    with tenant_a.ctx():
        period = services.period_for(date(2026, 11, 1))
        first = services.scorecard_for(account=account_a, period=period)
        again = services.scorecard_for(account=account_a, period=period)
        assert first.pk == again.pk and Scorecard.objects.count() == 1
        assert first.version.in_use


@pytest.mark.usefixtures("survey_metrics_by_hand")
def test_values_compute_health_and_bad_values_are_refused(tenant_a, account_a):
    with tenant_a.ctx():
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        growth = card.version.metrics.get(key="growth")
        nps = card.version.metrics.get(key="nps")
        services.value_set(scorecard=card, metric=growth, value="10", acting_user=None)
        card.refresh_from_db()
        assert card.health == 100 and card.area_scores == {"financial": 100.0}
        services.value_set(scorecard=card, metric=nps, value="-20", acting_user=None)
        card.refresh_from_db()
        assert card.area_scores["customer_insight"] == 0.0
        assert 0 < card.health < 100
        for bad in ("lots", "1e400", "NaN"):
            with pytest.raises(ValidationError):
                services.value_set(scorecard=card, metric=growth, value=bad, acting_user=None)
        assert MetricValue.objects.get(metric=growth).value == 10


def test_closed_period_needs_an_admin_and_is_recorded(tenant_a, account_a):
    with tenant_a.ctx():
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        Period.objects.filter(pk=card.period_id).update(closed=True)
        card.refresh_from_db()
        metric = card.version.metrics.get(key="growth")
        with pytest.raises(PermissionDenied):
            services.value_set(scorecard=card, metric=metric, value=5, acting_user=tenant_a.admin)
        services.value_set(scorecard=card, metric=metric, value=5, acting_user=tenant_a.admin, is_admin=True)
        with pytest.raises(ValidationError):  # a refused correction is not recorded as one
            services.value_set(scorecard=card, metric=metric, value="abc", acting_user=tenant_a.admin, is_admin=True)
        services.value_set(scorecard=card, metric=metric, value=7, acting_user=tenant_a.admin, is_admin=True)
        events = list(AuditEvent.objects.filter(action="scorecard.closed_edit").order_by("pk"))
        assert [(e.data["old"], e.data["new"]) for e in events] == [(None, "5.00"), ("5.00", "7.00")]


def test_computed_sources_fill_themselves_and_say_where_from(tenant_a, account_a):
    today = timezone.localdate()
    with tenant_a.ctx():
        item, _ = account_services.action_item_add(account=account_a, title="x", due=today + timedelta(days=1))
        account_services.action_item_update(item=item, data={"status": "done"}, acting_user=None)
        card = services.scorecard_for(account=account_a, period=services.period_for(today))
        services.scorecard_fill_computed(card)
        on_time = MetricValue.objects.get(scorecard=card, metric__key="on_time")
        revenue = MetricValue.objects.get(scorecard=card, metric__key="revenue")
    assert on_time.value == 100 and on_time.computed_from == "1 of 1 actions closed by their due date"
    assert revenue.value is None and revenue.computed_from == "no contract covers the period"  # no data, not zero


def test_metric_from_another_version_is_refused(tenant_a, tenant_b):
    account = make_account(tenant_a, "Other")
    with tenant_a.ctx():
        card = services.scorecard_for(account=account, period=services.period_for(timezone.localdate()))
        stray = MetricDefinition.objects.exclude(version=card.version).first()
        assert stray is None  # one version only; a metric of another tenant is simply not visible
        assert MetricDefinition.objects.filter(version=card.version).count() == len(services.DEFAULT_METRICS)


@pytest.mark.usefixtures("survey_metrics_by_hand")
def test_red_health_and_two_band_drops_fire_their_playbooks_once(tenant_a, account_a):
    from accounts.models import ActionItem, PlaybookRun
    from accounts.playbook_services import playbooks_check
    from sam.models import OutboundEmail

    today = timezone.localdate()
    with tenant_a.ctx():
        before = services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=92)))
        now = services.scorecard_for(account=account_a, period=services.period_for(today))
        growth = now.version.metrics.get(key="growth")
        services.value_set(scorecard=before, metric=growth, value=10, acting_user=None)  # green
        services.value_set(scorecard=now, metric=growth, value=-10, acting_user=None)  # red: both triggers
        for key, low in (("nps", -20), ("satisfaction", 3), ("share_of_wallet", 20), ("events", 0)):
            services.value_set(scorecard=now, metric=now.version.metrics.get(key=key), value=low, acting_user=None)
        assert not PlaybookRun.objects.exists()  # the check fires them
        for _ in range(3):
            services.alerts_sweep()
            playbooks_check()
            services.value_set(scorecard=now, metric=growth, value=-8, acting_user=None)
        runs = PlaybookRun.objects.filter(account=account_a)
        assert sorted((r.playbook.key, r.subject) for r in runs) == [("area_drop", "financial"), ("health_red", "")]
        items = ActionItem.objects.filter(playbook_run__in=runs)
        assert items.count() == sum(r.playbook.steps.count() for r in runs)
        assert all(a.owner == account_a.owner for a in items)
        assert OutboundEmail.objects.filter(idempotency_key__startswith="playbook:").count() == 2
        # the account recovers: both runs clear; it falls again: both fire again
        good = (("growth", 10), ("nps", 60), ("satisfaction", 5), ("share_of_wallet", 80), ("events", 6))
        for key, value in good:
            services.value_set(scorecard=now, metric=now.version.metrics.get(key=key), value=value, acting_user=None)
        assert playbooks_check() == 0
        assert not runs.filter(cleared_at__isnull=True).exists()
        bad = (("growth", -10), ("nps", -20), ("satisfaction", 3), ("share_of_wallet", 20), ("events", 0))
        for key, low in bad:
            services.value_set(scorecard=now, metric=now.version.metrics.get(key=key), value=low, acting_user=None)
        assert playbooks_check() == 2
        assert sorted(runs.values_list("playbook__key", flat=True)) == ["area_drop"] * 2 + ["health_red"] * 2


def test_execution_metrics_join_the_operations_review(tenant_a, account_a):
    from accounts import reports

    with tenant_a.ctx():
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        services.scorecard_fill_computed(card)
        context = reports.operations_review_context(account_a, {})
    section = next(s for s in context["extra_sections"] if s["title"].startswith("Execution metrics"))
    assert [row[0] for row in section["rows"]] == ["Actions closed on time", "Incidents in the period",
                                                    "Open recurring issues"]  # fmt: skip


def test_period_lengths_the_tenant_can_choose(tenant_a):
    assert period_bounds(date(2026, 11, 27), "month") == ("2026-11", date(2026, 11, 1), date(2026, 11, 30))
    assert period_bounds(date(2026, 12, 31), "month") == ("2026-12", date(2026, 12, 1), date(2026, 12, 31))
    assert period_bounds(date(2026, 2, 10), "month")[2] == date(2026, 2, 28)
    assert period_bounds(date(2026, 7, 1), "half") == ("2026-H2", date(2026, 7, 1), date(2026, 12, 31))
    assert period_bounds(date(2026, 6, 30), "half") == ("2026-H1", date(2026, 1, 1), date(2026, 6, 30))
    with tenant_a.ctx():
        ScorecardSettings.current()
        ScorecardSettings.objects.update(period_length="month")
        periods = services.recent_periods(8, today=date(2026, 2, 15))
        assert [p.label for p in periods] == ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
                                              "2026-01", "2026-02"]  # fmt: skip
        assert {p.length for p in periods} == {"month"}
        assert services.period_for(date(2026, 2, 3)).pk == periods[-1].pk


@pytest.mark.usefixtures("survey_metrics_by_hand")
def test_values_outside_the_metric_range_or_on_computed_metrics_are_refused(tenant_a, account_a):
    with tenant_a.ctx():
        card = services.scorecard_for(account=account_a, period=services.period_for(timezone.localdate()))
        metrics = {m.key: m for m in card.version.metrics.all()}
        for key, value, message in (
            ("nps", "500", "from -100 to 100 (Score)"),
            ("satisfaction", "-7", "from 1 to 5 (Score)"),
            ("reference", "12", "from 0 to 5"),
            ("suppliers", "-3", "of at least 0 (Number)"),
            ("growth", "5000", "from -1000 to 1000 (%)"),
            ("incidents", "4", "computed from the product's data"),
        ):
            with pytest.raises(ValidationError, match=re.escape(message)):
                services.value_set(scorecard=card, metric=metrics[key], value=value, acting_user=None)
        assert not MetricValue.objects.filter(scorecard=card, metric__source="manual").exists()
        services.value_set(scorecard=card, metric=metrics["nps"], value="-100", acting_user=None)  # the edge is fine


def test_computed_metrics_alone_give_area_scores_but_no_health(tenant_a, account_a):
    with tenant_a.ctx():
        services.alerts_sweep()  # makes the current period's scorecard and fills its computed metrics
        card = Scorecard.objects.get(account=account_a)
        assert card.health is None and card.area_scores.get("execution") == 100.0  # no incidents, no issues
        view = selectors.scorecard_view(card)
        assert view["health"] is None
        reference = card.version.metrics.get(key="reference")
        services.value_set(scorecard=card, metric=reference, value="1", acting_user=None)
        card.refresh_from_db()
        assert card.health is not None and card.health < 100
