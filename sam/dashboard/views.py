from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import RENEWAL_WINDOW_DAYS, Account, ActionItem, Contract, RecurringIssue, TeamRole
from accounts.selectors import portfolio
from sam.charts import Bar, bar_chart
from sam.facts import dashboard_tiles
from sam.permissions import can, tenant_view


@tenant_view("tenant.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    accounts = Account.objects.alive()
    actions = ActionItem.objects.filter(status__in=ActionItem.OPEN_STATUSES, account__deleted_at__isnull=True)
    totals = actions.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due__lt=today)),
        mine=Count("pk", filter=Q(owner=request.user)),
        mine_overdue=Count("pk", filter=Q(owner=request.user, due__lt=today)),
    )
    ranked = list(portfolio(stale_days=request.tenant.review_stale_days, today=today)[:100])
    busiest = sorted((a for a in ranked if a.open_actions), key=lambda a: (-a.open_actions, a.name))[:8]
    context = {
        "actions_chart": bar_chart(
            "Open actions by account",
            [Bar(a.name, a.open_actions, f"{a.overdue_actions} overdue" if a.overdue_actions else "") for a in busiest],
        ),
        "active_nav": "dashboard",
        "can_manage_members": can(request, "tenant.manage_members"),
        "account_count": len(ranked),
        "strategic_count": sum(1 for a in ranked if a.tier.strategic),
        "top_accounts": ranked[:6],
        "missing_roles": sum(1 for a in ranked if a.roles_held < len(TeamRole.values)),
        "open_recurring": RecurringIssue.objects.filter(status="open", account__deleted_at__isnull=True).count(),
        "renewals": Contract.objects.filter(
            account__deleted_at__isnull=True, end__gte=today, end__lte=today + timedelta(days=RENEWAL_WINDOW_DAYS)
        ).count(),
        "totals": totals,
        "has_accounts": accounts.exists(),
        "tiles": dashboard_tiles(request),
    }
    return render(request, "sam/dashboard.html", context)
