"""Reads of the core used by several views."""

from __future__ import annotations

from django.db.models import Case, Count, QuerySet, Value, When, Window

from sam.models import ApiToken, Invitation, Membership, User
from sam.tenancy.context import user_context


def memberships_of_user(user: User) -> list[Membership]:
    """Every active tenant this user belongs to (the tenant switcher).

    Crosses tenants on purpose: row-level security lets a signed-in user
    read their own membership rows, and nothing else of other tenants.
    """
    with user_context(user.pk):
        return list(
            Membership.unscoped.filter(user=user, tenant__active=True).select_related("tenant").order_by("tenant__name")
        )


# The top bar's workspace menu lists this many; the switcher page lists them all.
SWITCHER_SHOWN = 8


def switcher_memberships(user: User, current_tenant_id: int | None) -> tuple[list[Membership], int]:
    """The workspaces the top bar's menu lists (the current one first, then by name, at most ``SWITCHER_SHOWN``)
    and how many the user has in all, in one query whatever that number."""
    first = Case(When(tenant_id=current_tenant_id, then=Value(0)), default=Value(1))
    with user_context(user.pk):
        rows = list(
            Membership.unscoped.filter(user=user, tenant__active=True)
            .select_related("tenant")
            .annotate(workspaces=Window(Count("*")))
            .order_by(first, "tenant__name")[:SWITCHER_SHOWN]
        )
    return sorted(rows, key=lambda m: m.tenant.name.lower()), (rows[0].workspaces if rows else 0)


def tenant_members() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("user__full_name", "user__email")


def open_invitations() -> QuerySet[Invitation]:
    """Invitations not yet accepted nor withdrawn (an expired one shows as such, to send again)."""
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-created_at", "-pk")


def workspace_tokens() -> QuerySet[ApiToken]:
    """Every token of the workspace, with whose it is: the usable ones first, then the newest."""
    return ApiToken.objects.select_related("membership__user").order_by("revoked_at", "-created_at", "-pk")


def tokens_of_membership(membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=membership).order_by("-created_at")


def member_choices() -> QuerySet[User]:
    """The users who are members of the current tenant, by name: the choices of every "who" field."""
    return User.objects.filter(pk__in=Membership.objects.values("user_id")).order_by("full_name", "email")
