"""How the allow table tells an account's team and owner (registered at start-up), and what a member
may change on a deliverable or an action: pages and API ask these same questions."""

from __future__ import annotations

from typing import Any

from accounts.models import (
    Account,
    ActionItem,
    ChangeRequest,
    Decision,
    Deliverable,
    Escalation,
    TeamAssignment,
    TeamRole,
    TimelineEntry,
)
from sam.roles import allowed, register_object_checks

DELIVERABLE_FIELDS = frozenset({"status", "owner", "last_reviewed", "link", "file", "note"})
ACTION_ITEM_FIELDS = frozenset(
    {"title", "detail", "owner", "due", "status", "objective", "side", "owner_contact", "joint"}
)
ACTION_PROGRESS_FIELDS = frozenset({"status", "detail"})


def _account_of(obj: Any) -> Account:
    return obj if isinstance(obj, Account) else obj.account


def _team_roles(account: Account) -> dict[int, set[str]]:
    """user id -> the team roles they hold on the account (looked up once per account object)."""
    cache: dict[int, set[str]] | None = getattr(account, "_team_roles", None)
    if cache is None:
        cache = {}
        for user_id, role in TeamAssignment.objects.filter(account=account).values_list("user_id", "role"):
            cache.setdefault(user_id, set()).add(role)
        account._team_roles = cache  # type: ignore[attr-defined]
    return cache


def is_owner(obj: Any, user: Any) -> bool:
    return _account_of(obj).owner_id == user.pk


def is_on_team(obj: Any, user: Any) -> bool:
    account = _account_of(obj)
    return account.owner_id == user.pk or user.pk in _team_roles(account)


def owns_deliverable(deliverable: Deliverable, user: Any) -> bool:
    """The account's owner answers for every deliverable; a team member for the deliverable of a role
    they hold on the account, or the one they are named owner of."""
    account = deliverable.account
    if account.owner_id == user.pk:
        return True
    roles = _team_roles(account).get(user.pk)
    return roles is not None and (deliverable.role in roles or deliverable.owner_id == user.pk)


def owns_action(item: ActionItem, user: Any) -> bool:
    """An action assigned to the user on an account whose team they are on."""
    return item.owner_id == user.pk and is_on_team(item, user)


def deliverable_fields(*, role: str | None, user: Any, deliverable: Deliverable) -> frozenset[str]:
    """What this member may change on a deliverable: nothing, all but who it is assigned to, or all."""
    if not allowed(role, "deliverable.edit", user=user, obj=deliverable):
        return frozenset()
    if allowed(role, "account.edit", user=user, obj=deliverable.account):
        return DELIVERABLE_FIELDS
    return DELIVERABLE_FIELDS - {"owner"}


def action_item_fields(*, role: str | None, user: Any, item: ActionItem) -> frozenset[str]:
    """What this member may change on an action: all of it for the account's team, its status and
    detail for an executive it is assigned to, nothing otherwise."""
    if allowed(role, "account.edit_team_work", user=user, obj=item.account):
        return ACTION_ITEM_FIELDS
    if allowed(role, "action.progress", user=user, obj=item):
        return ACTION_PROGRESS_FIELDS
    return frozenset()


def leads_change(change: ChangeRequest, user: Any) -> bool:
    """The account's Technical Lead answers for its configuration: they approve its changes."""
    return TeamRole.TECHNICAL_LEAD in _team_roles(change.account).get(user.pk, set())


def owns_escalation(escalation: Escalation, user: Any) -> bool:
    return escalation.owner_id == user.pk


def logged_entry(entry: TimelineEntry, user: Any) -> bool:
    """Who logged a timeline entry, or the account's owner, answers for it."""
    return entry.created_by_id == user.pk or is_owner(entry, user)


def register() -> None:
    register_object_checks(Account, team=is_on_team, owner=is_owner)
    register_object_checks(TimelineEntry, team=is_on_team, owner=logged_entry)
    register_object_checks(Deliverable, team=is_on_team, owner=owns_deliverable)
    register_object_checks(ActionItem, team=is_on_team, owner=owns_action)
    register_object_checks(ChangeRequest, team=is_on_team, owner=leads_change)
    register_object_checks(Decision, team=is_on_team, owner=is_owner)
    register_object_checks(Escalation, team=is_on_team, owner=owns_escalation)
