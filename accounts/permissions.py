"""How the allow table tells an account's team and owner (registered at start-up)."""

from __future__ import annotations

from typing import Any

from accounts.models import Account, TeamAssignment
from sam.roles import register_object_checks


def _account_of(obj: Any) -> Account:
    return obj if isinstance(obj, Account) else obj.account


def is_owner(obj: Any, user: Any) -> bool:
    return _account_of(obj).owner_id == user.pk


def is_on_team(obj: Any, user: Any) -> bool:
    account = _account_of(obj)
    if account.owner_id == user.pk:
        return True
    cache = getattr(account, "_team_user_ids", None)
    if cache is None:
        cache = set(TeamAssignment.objects.filter(account=account).values_list("user_id", flat=True))
        account._team_user_ids = cache  # type: ignore[attr-defined]
    return user.pk in cache


def register() -> None:
    register_object_checks(Account, team=is_on_team, owner=is_owner)
