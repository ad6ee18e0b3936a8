"""Roles in a tenant and the one allow table (role x action).

Views, htmx partials and API permissions all ask ``allowed(...)``. An entry
is ANY (the role may do it anywhere in the tenant), TEAM (only on objects
whose team the user belongs to) or OWNER (only on objects the user owns);
apps register how to tell with ``register_object_checks``.
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
    ANY = "any"  # anywhere in the tenant
    TEAM = "team"  # on objects whose team includes the user (the owner is on the team)
    OWNER = "owner"  # on objects the user owns


A, E, M, T, V = Role.ADMIN, Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER
ANY, TEAM, OWNER = Grant.ANY, Grant.TEAM, Grant.OWNER

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
    "account.import": {A: ANY, M: ANY},
    # everything on the account: details, tier, contracts, contacts, team
    "account.edit": {A: ANY, M: OWNER},
    "account.delete": {A: ANY, M: OWNER},
    # which of the six team roles an account needs (a tier's default otherwise): the program's rule
    "account.set_roles_needed": {A: ANY},
    # the team's work: plan, actions, incidents
    "account.edit_team_work": {A: ANY, M: TEAM, T: TEAM},
    # a team role's key deliverable: its owner is the account's owner, or who holds that role on the
    # account, or who is named for it while on the team (reassigning it is "account.edit")
    "deliverable.edit": {A: ANY, M: OWNER, T: OWNER, E: OWNER},
    # escalations: a recurring issue (its owner, the decision needed, the root cause) is the team's,
    # the Executive Partner's included
    "recurring_issue.edit": {A: ANY, M: TEAM, T: TEAM, E: TEAM},
    # change control: anyone on the team requests a change (or records an emergency one); the account's
    # Technical Lead approves or rejects it, an admin when it has none ("owner" of a change: its Technical Lead)
    "change.request": {A: ANY, E: TEAM, M: TEAM, T: TEAM},
    "change.approve": {A: ANY, E: OWNER, M: OWNER, T: OWNER},
    # the customer's decisions: asked, answered and given up on by the team
    "decision.edit": {A: ANY, E: TEAM, M: TEAM, T: TEAM},
    # escalations: raised by anyone on the team, resolved by their owner (the Executive Partner) or an admin
    "escalation.raise": {A: ANY, E: TEAM, M: TEAM, T: TEAM},
    "escalation.resolve": {A: ANY, E: OWNER, M: OWNER, T: OWNER},
    # the account's timeline: logging notes, calls, meetings and emails (with follow-up actions), pinning them
    "timeline.log": {A: ANY, E: TEAM, M: TEAM, T: TEAM},
    # removing an entry the team logged: who logged it, or the account's owner ("owner" of an entry)
    "timeline.remove": {A: ANY, E: OWNER, M: OWNER, T: OWNER},
    # playbooks: what the team does when a signal appears (the program's rule)
    "playbook.manage": {A: ANY},
    # progress on an action (its status and detail): the team's; an executive's on the actions they own
    "action.progress": {A: ANY, M: TEAM, T: TEAM, E: OWNER},
    # reports
    "report.view": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    "report.request": {A: ANY, E: ANY, M: ANY, T: ANY},
    # voice of the customer: results, and running survey campaigns
    "survey.view": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    "survey.run": {A: ANY, M: ANY},
    # the 4 R's self-assessment: taking it, seeing rounds' rollups (averages only), running rounds
    "fourrs.take": {A: ANY, E: ANY, M: ANY, T: ANY},
    "fourrs.view": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
    "fourrs.run": {A: ANY},
    # executive views
    "dashboard.portfolio": {A: ANY, E: ANY, M: ANY, T: ANY, V: ANY},
}

ObjectCheck = Callable[[Any, Any], bool]
_checks: dict[type, dict[Grant, ObjectCheck]] = {}


def register_object_checks(model: type, *, team: ObjectCheck, owner: ObjectCheck) -> None:
    """Tell the allow table how to decide whether ``user`` is on ``obj``'s team, or owns it."""
    _checks[model] = {Grant.TEAM: team, Grant.OWNER: owner}


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
    # TEAM / OWNER: without an object the role may attempt the action in
    # general (e.g. show the button); with one, the object decides.
    if obj is None:
        return True
    for model, checks in _checks.items():
        if isinstance(obj, model):
            return bool(user is not None and checks[grant](obj, user))
    return False
