"""Scorecard pages: one account's scorecard (grid with inline editing), and the portfolio heatmap."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.forms import member_choices
from accounts.models import Account, Tier
from sam.permissions import can, require, tenant_view
from scorecards import selectors, services
from scorecards.models import Area, MetricDefinition, Period, Scorecard


def _period(label: str | None) -> Period:
    if label:
        period = Period.objects.filter(label=label[:20]).first()
        if period is None:
            raise Http404("No such period.")
        return period
    return services.period_for(timezone.localdate())


def _recent_periods() -> list[Period]:
    today = timezone.localdate()
    for months_back in range(0, 24, 3):  # make sure the last eight quarters exist
        day = today.replace(day=1)
        year, month = day.year, day.month - months_back
        while month <= 0:
            month += 12
            year -= 1
        services.period_for(day.replace(year=year, month=month))
    return list(Period.objects.order_by("-start")[:12])


@tenant_view("account.view")
def account_scorecard(request: HttpRequest, account_id: int) -> HttpResponse:
    account = Account.objects.alive().select_related("tier", "owner").filter(pk=account_id).first()
    if account is None:
        raise Http404
    period = _period(request.GET.get("period"))
    scorecard = services.scorecard_for(account=account, period=period)
    if not period.closed:
        services.scorecard_fill_computed(scorecard)
        services.scorecard_compute(scorecard)
        scorecard.refresh_from_db()
    return render(request, "scorecards/scorecard.html", _context(request, scorecard))


def _context(request: HttpRequest, scorecard: Scorecard, **extra: object) -> dict[str, object]:
    can_edit = can(request, "account.edit_team_work", scorecard.account) and (
        not scorecard.period.closed or can(request, "tenant.manage_settings")
    )
    return {
        **selectors.scorecard_view(scorecard),
        "account": scorecard.account,
        "periods": _recent_periods(),
        "can_edit": can_edit,
        "active_nav": "scorecards",
        **extra,
    }


@tenant_view("account.view")
@require_POST
def value_save(request: HttpRequest, scorecard_id: int, metric_id: int) -> HttpResponse:
    """Save one value (htmx: answers with the refreshed scorecard; errors next to the value)."""
    scorecard = (
        Scorecard.objects.filter(pk=scorecard_id, account__deleted_at__isnull=True)
        .select_related("account", "period", "version")
        .first()
    )
    metric = MetricDefinition.objects.filter(pk=metric_id).first()
    if scorecard is None or metric is None or metric.version_id != scorecard.version_id:
        raise Http404
    require(request, "account.edit_team_work", scorecard.account)
    error = ""
    try:
        services.value_set(
            scorecard=scorecard,
            metric=metric,
            value=request.POST.get("value", "").strip()[:40],
            comment=request.POST.get("comment", "").strip()[:500],
            evidence=request.POST.get("evidence", "").strip()[:500],
            acting_user=request.user,
            is_admin=can(request, "tenant.manage_settings"),
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except PermissionDenied:
        raise
    scorecard.refresh_from_db()
    context = _context(request, scorecard, error_metric=metric.pk if error else None, error=error)
    template = "scorecards/scorecard.html#card" if request.htmx else "scorecards/scorecard.html"
    return render(request, template, context, status=422 if error and request.htmx else 400 if error else 200)


@tenant_view("account.view")
def heatmap(request: HttpRequest) -> HttpResponse:
    """Accounts x areas for a period: colour and the number, sortable, filtered by tier and owner."""
    periods = _recent_periods()
    period = _period(request.GET.get("period"))
    accounts = Account.objects.alive().select_related("tier", "owner").order_by("name")
    tier, owner = request.GET.get("tier", ""), request.GET.get("owner", "")
    if tier.isdigit():
        accounts = accounts.filter(tier_id=int(tier))
    if owner.isdigit():
        accounts = accounts.filter(owner_id=int(owner))
    sort = request.GET.get("sort", "health")
    if sort.lstrip("-") not in {"health", "name", *Area.values}:
        sort = "health"
    rows = selectors.heatmap(period=period, accounts=accounts[:200], sort=sort)
    context = {
        "rows": rows,
        "period": period,
        "periods": periods,
        "areas": Area.choices,
        "tiers": Tier.objects.all(),
        "owners": member_choices(),
        "filters": {"tier": tier, "owner": owner, "sort": sort},
        "active_nav": "scorecards",
    }
    return render(request, "scorecards/heatmap.html", context)
