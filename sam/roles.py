"""Roles in a tenant and the one allow table (role x action).

Views, htmx partials and API permissions all ask ``allowed(...)``. An entry
is either ANY (the role may do it anywhere in the tenant) or TEAM (only on
objects whose team the user belongs to; apps register how to tell with
``register_team_check``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    EXECUTIVE = "executive", "Executive"
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    MEMBER = "member", "Account-team member"
    VIEWER = "viewer", "Viewer"


class Grant(Enum):
    ANY = "any"
    TEAM = "team"


A, E, M, T, V = Role.ADMIN, Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER
ANY, TEAM = Grant.ANY, Grant.TEAM

# action -> {role: grant}. A role missing from an entry is denied.
ALLOW: dict[str, dict[Role, Grant]] = {
    # the tenant itself
    "tenant.view": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    "tenant.manage_members": {A: ANY},
    "tenant.manage_settings": {A: ANY},
    "tenant.manage_templates": {A: ANY},
    "tenant.view_audit": {A: ANY, E: ANY},
    # own API tokens (each token belongs to the membership that made it)
    "token.manage_own": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    # strategic accounts and everything on them
    "account.view": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    "account.create": {A: ANY, M: ANY},
    "account.edit": {A: ANY, M: TEAM},
    "account.delete": {A: ANY, M: TEAM},
    "account.edit_team_work": {A: ANY, M: TEAM, T: TEAM},
    # reports
    "report.view": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    "report.request": {A: ANY, E: ANY, M: ANY, T: ANY},
    # executive views
    "dashboard.portfolio": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
}

TeamCheck = Callable[[Any, Any], bool]
_team_checks: dict[type, TeamCheck] = {}


def register_team_check(model: type, check: TeamCheck) -> None:
    """Tell the allow table how to decide whether ``user`` is on ``obj``'s team."""
    _team_checks[model] = check


def allowed(role: str | Role | None, action: str, *, user: Any = None, obj: Any = None) -> bool:
    """Whether a member with ``role`` may perform ``action`` (on ``obj``, when given)."""
    if action not in ALLOW:
        raise KeyError(f"Unknown action {action!r}: add it to sam.roles.ALLOW.")
    if role is None:
        return False
    grant = ALLOW[action].get(Role(role))
    if grant is None:
        return False
    if grant is Grant.ANY:
        return True
    # TEAM: without an object the role may attempt the action in general
    # (e.g. show the button); with one, the team decides.
    if obj is None:
        return True
    for model, check in _team_checks.items():
        if isinstance(obj, model):
            return bool(user is not None and check(obj, user))
    return False
