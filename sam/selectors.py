"""Reads of the core used by several views."""

from __future__ import annotations

from django.db.models import QuerySet

from sam.models import ApiToken, Membership, User
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


def tenant_members() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("user__full_name", "user__email")


def tokens_of_membership(membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=membership).order_by("-created_at")


def member_choices() -> QuerySet[User]:
    """The users who are members of the current tenant, by name: the choices of every "who" field."""
    return User.objects.filter(pk__in=Membership.objects.values("user_id")).order_by("full_name", "email")
