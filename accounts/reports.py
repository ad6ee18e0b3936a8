"""The Operations Review Report: what we have done for the customer lately, and what to fix before it hurts.

The Customer Service Manager's key deliverable. One function gathers the
data (a fixed number of queries, whatever the account's size); the same
body template is shown as an HTML preview and printed to PDF.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.governance_selectors import operations_review_governance
from accounts.models import (
    Account,
    ActionItem,
    Contract,
    Decision,
    Deliverable,
    Incident,
    OperationsReviewNarrative,
    RecurringIssue,
)
from sam.charts import Bar, bar_chart
from sam.documents import registry
from sam.tenancy.urls import tenant_reverse

KIND = "operations_review"
LIST_LIMIT = 300  # rows per table; a longer list says how many more there are
AGING_DAYS = 7
MILESTONE_DAYS = 90
RENEWAL_DAYS = 180
MAX_PERIOD_DAYS = 730


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=90), today


def period_of(params: dict[str, Any]) -> tuple[date, date]:
    """The report's period from its parameters (ISO dates), else the last 90 days."""
    try:
        start = parse_date(str(params.get("start", ""))[:10]) if params.get("start") else None
        end = parse_date(str(params.get("end", ""))[:10]) if params.get("end") else None
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        return default_period()
    if start is None or end is None or end < start or (end - start).days > MAX_PERIOD_DAYS:
        return default_period()
    return start, end


def narrative_of(account: Account) -> OperationsReviewNarrative:
    return OperationsReviewNarrative.objects.filter(account=account).first() or OperationsReviewNarrative(
        account=account
    )


def narrative_save(*, account: Account, summary: str, recommendations: str, acting_user: Any) -> None:
    OperationsReviewNarrative.objects.update_or_create(
        account=account,
        defaults={"summary": summary, "recommendations": recommendations, "updated_by": acting_user},
    )


def _hours(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 1)


def operations_review_context(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    start, end = period_of(params)
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end, time.max))
    now = timezone.now()
    today = timezone.localdate()
    to_resolve = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())

    resolved = Incident.objects.filter(account=account, resolved_at__gte=since, resolved_at__lte=until)
    by_category = list(
        resolved.values("category__name")
        .annotate(count=Count("pk"), avg=Avg(to_resolve))
        .order_by("-count", "category__name")
    )
    resolved_list = list(resolved.select_related("category").annotate(took=to_resolve).order_by("-resolved_at")[:300])
    done_actions = list(
        ActionItem.objects.filter(
            account=account, status=ActionItem.Status.DONE, closed_at__gte=since, closed_at__lte=until
        )
        .select_related("owner")
        .order_by("-closed_at")[:300]
    )
    deliverables = list(
        Deliverable.objects.filter(account=account, last_reviewed__gte=start, last_reviewed__lte=end)
        .select_related("owner")
        .order_by("role")
    )
    recurring = list(
        RecurringIssue.objects.filter(account=account)
        .filter(Q(status=RecurringIssue.Status.OPEN) | Q(closed_at__gte=since, closed_at__lte=until))
        .select_related("category", "owner")
        .annotate(incident_count=Count("links"))
        .order_by("status", "-opened_at")
    )
    asked: dict[int, list[Decision]] = {}
    for decision in Decision.objects.filter(account=account, recurring_issue__isnull=False).select_related("contact"):
        asked.setdefault(decision.recurring_issue_id or 0, []).append(decision)
    for issue in recurring:
        issue.decision_list = asked.get(issue.pk, [])
    overdue_qs = ActionItem.objects.filter(account=account, status__in=ActionItem.OPEN_STATUSES, due__lt=today)
    overdue = list(overdue_qs.select_related("owner").order_by("due")[:LIST_LIMIT])
    aging = list(
        Incident.objects.filter(
            account=account, resolved_at__isnull=True, opened_at__lt=now - timedelta(days=AGING_DAYS)
        )
        .select_related("category")
        .order_by("opened_at")[:300]
    )
    contracts = list(Contract.objects.filter(account=account, end__gte=today).order_by("end"))
    milestones = []
    for c in contracts:
        if account.tier.strategic and today <= c.midpoint <= today + timedelta(days=MILESTONE_DAYS):
            milestones.append({"contract": c, "what": "Mid-point: time for an account assessment", "when": c.midpoint})
        if c.end <= today + timedelta(days=RENEWAL_DAYS):
            milestones.append({"contract": c, "what": "Renewal", "when": c.end})
    open_recurring = [r for r in recurring if r.status == RecurringIssue.Status.OPEN]
    renewal_soon = any(m["what"] == "Renewal" for m in milestones)
    risk_reasons = []
    if renewal_soon and account.status == Account.Status.AT_RISK:
        risk_reasons.append("the account is marked at risk")
    if renewal_soon and open_recurring:
        risk_reasons.append(f"{len(open_recurring)} recurring issue(s) still open")
    if renewal_soon and overdue:
        risk_reasons.append(f"{len(overdue)} overdue action(s)")
    chart = bar_chart(
        "Incidents resolved in the period, by category",
        [
            Bar(row["category__name"], row["count"], f"avg {_hours(row['avg'])} h to resolve" if row["avg"] else "")
            for row in by_category
        ],
    )
    return {
        "account": account,
        "start": start,
        "end": end,
        "narrative": narrative_of(account),
        "by_category": [{**row, "avg_hours": _hours(row["avg"])} for row in by_category],
        "resolved": [(i, _hours(i.took)) for i in resolved_list],
        "resolved_total": sum(row["count"] for row in by_category),
        "done_actions": done_actions,
        "deliverables": deliverables,
        "recurring_closed": [r for r in recurring if r.status == RecurringIssue.Status.CLOSED],
        "recurring_open": open_recurring,
        "overdue": overdue,
        "overdue_total": overdue_qs.count() if len(overdue) == LIST_LIMIT else len(overdue),
        "aging": aging,
        "milestones": sorted(milestones, key=lambda m: m["when"]),
        "renewal_risk": risk_reasons,
        "chart": chart,
        "today": today,
        "governance": operations_review_governance(account, since, until),
        "extra_sections": [section for fn in _extra_sections if (section := fn(account, start, end))],
    }


# Sections other apps add to the report (e.g. scorecards: execution metrics), filled at start-up.
_extra_sections: list[Any] = []


def register_section(fn: Any) -> None:
    """``fn(account, start, end) -> dict | None`` adds {"title", "headers", "rows"} to the report."""
    _extra_sections.append(fn)


def register() -> None:
    registry.register(
        registry.DocumentKind(
            key=KIND,
            label="Operations Review Report",
            subject_model=Account,
            template="accounts/reports/operations_review_print.html",
            context=operations_review_context,
            title=lambda account, params: (
                f"Operations Review: {account.name}, {period_of(params)[0]:%d %b %Y} to {period_of(params)[1]:%d %b %Y}"
            ),
            page_url=lambda account, slug: tenant_reverse("operations_review", account.pk, slug=slug),
        )
    )
