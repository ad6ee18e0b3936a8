"""Reads of the accounts app used by pages, API and other apps."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import (
    RENEWAL_WINDOW_DAYS,
    Account,
    AccountsSettings,
    ActionItem,
    BuyerRole,
    Contact,
    Contract,
    CriterionAnswer,
    Deliverable,
    Incident,
    PlanGoal,
    PlanReview,
    RecurringIssue,
    TeamAssignment,
    TeamRole,
    Tier,
)
from sam.models import User
from sam.numbers import whole

SORTS: dict[str, tuple[Any, ...]] = {
    # Unscored accounts and unknown revenue go last whichever way the list is sorted.
    "score": (F("strategic_score").desc(nulls_last=True), "name"),
    "-score": (F("strategic_score").asc(nulls_last=True), "name"),
    "name": ("name",),
    "-name": ("-name",),
    "revenue": (F("annual_revenue").desc(nulls_last=True), "name"),
    "-revenue": (F("annual_revenue").asc(nulls_last=True), "name"),
    "tier": ("tier__order", "name"),
    "-tier": ("-tier__order", "name"),
    "owner": ("owner__full_name", "name"),
    "-owner": ("-owner__full_name", "name"),
    "actions": ("-open_actions", "name"),
    "-actions": ("open_actions", "name"),
    "renewal": (F("next_renewal").asc(nulls_last=True), "name"),
    "-renewal": (F("next_renewal").desc(nulls_last=True), "name"),
}
FLAGS = {
    "missing_roles": "Team roles missing",
    "stale": "Deliverables not reviewed",
    "overdue": "Overdue actions",
    "recurring": "Open recurring issues",
    "renewal": "Renewal within 180 days",
}


def _count(qs: QuerySet[Any]) -> Any:
    """A correlated COUNT per account (no join fan-out, one query for the whole list)."""
    return Coalesce(
        Subquery(
            qs.values("account").annotate(c=Count("pk", distinct=True)).values("c")[:1], output_field=IntegerField()
        ),
        Value(0),
    )


class RoleIn(Func):
    """``role = ANY(roles)``: a team role is one of an array of roles (an account's needed roles)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def portfolio(
    *,
    stale_days: int,
    search: str = "",
    tier: str = "",
    owner: str = "",
    flag: str = "",
    sort: str = "score",
    today: date | None = None,
) -> QuerySet[Account]:
    """Every live account with the figures of the portfolio list, filtered and sorted, in one query."""
    today = today or timezone.localdate()
    here = OuterRef("pk")
    open_actions = ActionItem.objects.filter(account=here, status__in=ActionItem.OPEN_STATUSES)
    qs = (
        Account.objects.alive()
        .select_related("tier", "owner", "parent")
        .annotate(
            open_actions=_count(open_actions),
            overdue_actions=_count(open_actions.filter(due__lt=today)),
            roles_wanted=Coalesce(F("needed_roles"), F("tier__needed_roles")),
            needed_count=Func(F("roles_wanted"), function="cardinality", output_field=IntegerField()),
            roles_held=Coalesce(
                Subquery(
                    TeamAssignment.objects.filter(RoleIn(F("role"), OuterRef("roles_wanted")), account=here)
                    .values("account")
                    .annotate(c=Count("role", distinct=True))
                    .values("c")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            stale_deliverables=_count(
                Deliverable.objects.filter(RoleIn(F("role"), OuterRef("roles_wanted")), account=here).filter(
                    Q(last_reviewed__isnull=True) | Q(last_reviewed__lt=today - timedelta(days=stale_days))
                )
            ),
            open_recurring=_count(RecurringIssue.objects.filter(account=here, status=RecurringIssue.Status.OPEN)),
            next_renewal=Subquery(
                Contract.objects.filter(account=here, end__gte=today).order_by("end").values("end")[:1]
            ),
            children_revenue=Coalesce(
                Subquery(
                    Account.objects.alive()
                    .filter(parent=here, currency=OuterRef("currency"))
                    .values("parent")
                    .annotate(s=Sum("annual_revenue"))
                    .values("s")[:1],
                    output_field=DecimalField(max_digits=18, decimal_places=2),
                ),
                Value(0, output_field=DecimalField(max_digits=18, decimal_places=2)),
            ),
        )
    )
    if search:
        qs = qs.filter(Q(name__icontains=search[:100]) | Q(industry__icontains=search[:100]))
    tier_id, owner_id = whole(tier), whole(owner)
    if tier_id is not None:
        qs = qs.filter(tier_id=tier_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    elif owner == "none":
        qs = qs.filter(owner__isnull=True)
    if flag == "missing_roles":
        qs = qs.filter(roles_held__lt=F("needed_count"))
    elif flag == "stale":
        qs = qs.filter(stale_deliverables__gt=0)
    elif flag == "overdue":
        qs = qs.filter(overdue_actions__gt=0)
    elif flag == "recurring":
        qs = qs.filter(open_recurring__gt=0)
    elif flag == "renewal":
        qs = qs.filter(next_renewal__lte=today + timedelta(days=RENEWAL_WINDOW_DAYS))
    return qs.order_by(*SORTS.get(sort, SORTS["score"]))


def stakeholder_map(account: Account) -> list[dict[str, Any]]:
    """Contacts grouped by buyer role, each group saying whether the role is covered and how well."""
    contacts = list(Contact.objects.filter(account=account).order_by("-influence", "name"))
    groups = []
    for value, label in BuyerRole.choices:
        members = [c for c in contacts if c.buyer_role == value]
        strongest = max((c.relationship_strength for c in members), default=0)
        if value == BuyerRole.OTHER and not members:
            continue
        state = "uncovered" if not members else ("weak" if strongest <= 2 else "covered")
        groups.append({"role": value, "label": label, "contacts": members, "state": state, "strongest": strongest})
    return groups


def my_open_actions(user: Any) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(owner=user, status__in=ActionItem.OPEN_STATUSES, account__deleted_at__isnull=True)
        .select_related("account")
        .order_by("due", "account__name", "pk")
    )


def strategic_count(*, exclude: Account | None = None) -> int:
    qs = Account.objects.alive().filter(tier__strategic=True)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def portfolio_cap_warning(tier: Tier, *, account: Account | None = None) -> str:
    """The warning shown when a strategic tier goes past the tenant's portfolio size guidance."""
    if not tier.strategic:
        return ""
    cap = AccountsSettings.current().portfolio_cap
    count = strategic_count(exclude=account) + 1
    if cap and count > cap:
        return (
            f"This makes {count} strategic accounts, above your program's guidance of {cap}. "
            "Start small: every strategic account needs real commitment, and removing accounts later breaks it."
        )
    return ""


def strategic_score_compute(account: Account) -> Decimal | None:
    """Weighted share of the best possible answers over the active criteria (0-100)."""
    answers = CriterionAnswer.objects.filter(account=account, criterion__active=True).select_related("criterion")
    total_weight = sum(a.criterion.weight for a in answers)
    if not total_weight:
        return None
    achieved = sum(a.criterion.weight * a.score for a in answers)
    return (Decimal(achieved) * 100 / (Decimal(total_weight) * 5)).quantize(Decimal("0.1"))


def account_descendants(account: Account) -> list[Account]:
    """Every live account below this one (children, their children, ...)."""
    found: list[Account] = []
    frontier = [account.pk]
    seen = {account.pk}
    while frontier:
        level = list(Account.objects.alive().filter(parent_id__in=frontier).select_related("tier", "owner"))
        level = [a for a in level if a.pk not in seen]
        seen.update(a.pk for a in level)
        found += level
        frontier = [a.pk for a in level]
    return found


def account_rollup(account: Account) -> dict[str, Any]:
    """A parent account's figures with everything below it: revenue per currency, counts, accounts at risk."""
    family = [account, *account_descendants(account)]
    revenue: dict[str, Decimal] = {}
    for member in family:
        if member.annual_revenue is not None:
            revenue[member.currency] = revenue.get(member.currency, Decimal(0)) + member.annual_revenue
    today = timezone.localdate()
    open_actions = ActionItem.objects.filter(account__in=family, status__in=ActionItem.OPEN_STATUSES)
    return {
        "children": [a for a in family[1:] if a.parent_id == account.pk],
        "descendants": family[1:],
        "revenue_by_currency": sorted(revenue.items()),
        "open_actions": open_actions.count(),
        "overdue_actions": open_actions.filter(due__lt=today).count(),
        "open_recurring": RecurringIssue.objects.filter(account__in=family, status=RecurringIssue.Status.OPEN).count(),
        "at_risk": sum(1 for a in family if a.status == Account.Status.AT_RISK),
        "contacts": Contact.objects.filter(account__in=family).count(),
        "incidents_90d": Incident.objects.filter(
            account__in=family, opened_at__gte=timezone.now() - timedelta(days=90)
        ).count(),
    }


def team_completeness(account: Account, *, stale_days: int, today: date | None = None) -> dict[str, Any]:
    """Which of the roles the account needs nobody holds, which roles it needs only as needed and nobody holds
    (not a gap), and which needed roles' deliverables have not been reviewed lately."""
    held = set(TeamAssignment.objects.filter(account=account).values_list("role", flat=True))
    needed = account.roles_needed
    deliverables = list(Deliverable.objects.filter(account=account, role__in=needed))
    return {
        "missing_roles": [TeamRole(r) for r in needed if r not in held],
        "as_needed_empty": [TeamRole(r) for r in TeamRole.values if r not in needed and r not in held],
        "stale_deliverables": [d for d in deliverables if d.is_stale(stale_days, today)],
    }


def plan_snapshot(account: Account) -> list[dict[str, Any]]:
    goals = PlanGoal.objects.filter(account=account).prefetch_related("objectives__actions__owner")
    return [
        {
            "goal": goal.title,
            "objectives": [
                {
                    "title": objective.title,
                    "measure": objective.measure,
                    "actions": [
                        {
                            "title": action.title,
                            "owner": action.owner.display_name if action.owner else "",
                            "due": action.due.isoformat() if action.due else "",
                            "status": action.get_status_display(),
                        }
                        for action in objective.actions.all()
                    ],
                }
                for objective in goal.objectives.all()
            ],
        }
        for goal in goals
    ]


def plan_is_stale(account: Account, *, stale_days: int, now: datetime | None = None) -> bool:
    last = PlanReview.objects.filter(account=account).order_by("-version").first()
    now = now or timezone.now()
    return last is None or (now - last.reviewed_at).days > stale_days


def recurring_issue_owner(account: Account) -> User | None:
    """The Customer Service Manager owns the whole service experience; else the account owner."""
    csm = (
        TeamAssignment.objects.filter(account=account, role=TeamRole.CUSTOMER_SERVICE_MANAGER)
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    return csm.user if csm else account.owner
