"""Reads of the accounts app used by pages, API and other apps."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import (
    RENEWAL_WINDOW_DAYS,
    Account,
    ActionItem,
    BuyerRole,
    Contact,
    Contract,
    Deliverable,
    RecurringIssue,
    TeamAssignment,
    TeamRole,
)

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
            roles_held=Coalesce(
                Subquery(
                    TeamAssignment.objects.filter(account=here)
                    .values("account")
                    .annotate(c=Count("role", distinct=True))
                    .values("c")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            stale_deliverables=_count(
                Deliverable.objects.filter(account=here).filter(
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
    if tier.isdigit():
        qs = qs.filter(tier_id=int(tier))
    if owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    elif owner == "none":
        qs = qs.filter(owner__isnull=True)
    if flag == "missing_roles":
        qs = qs.filter(roles_held__lt=len(TeamRole.values))
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
