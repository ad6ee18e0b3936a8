"""The allow table as a matrix: every role x every action, spelled out here on purpose."""

from __future__ import annotations

import pytest

from sam.roles import ALLOW, Role, allowed, register_object_checks

A, E, M, T, V = "admin", "executive", "account_manager", "member", "viewer"
EVERYONE = {A, E, M, T, V}

# The expected matrix, written independently of sam/roles.py: a change to
# one without the other fails here. "team" = only on the user's own team.
EXPECTED: dict[str, dict[str, str]] = {
    "tenant.view": dict.fromkeys(EVERYONE, "any"),
    "tenant.manage_members": {A: "any"},
    "tenant.manage_settings": {A: "any"},
    "tenant.manage_templates": {A: "any"},
    "tenant.view_audit": {A: "any", E: "any"},
    "token.manage_own": dict.fromkeys(EVERYONE, "any"),
    "account.view": dict.fromkeys(EVERYONE, "any"),
    "account.create": {A: "any", M: "any"},
    "account.import": {A: "any", M: "any"},
    "account.edit": {A: "any", M: "owner"},
    "account.delete": {A: "any", M: "owner"},
    "account.edit_team_work": {A: "any", M: "team", T: "team"},
    "deliverable.edit": {A: "any", E: "owner", M: "owner", T: "owner"},
    "recurring_issue.edit": {A: "any", E: "team", M: "team", T: "team"},
    "account.set_roles_needed": {A: "any"},
    "change.request": {A: "any", E: "team", M: "team", T: "team"},
    "change.approve": {A: "any", E: "owner", M: "owner", T: "owner"},
    "decision.edit": {A: "any", E: "team", M: "team", T: "team"},
    "escalation.raise": {A: "any", E: "team", M: "team", T: "team"},
    "escalation.resolve": {A: "any", E: "owner", M: "owner", T: "owner"},
    "action.progress": {A: "any", E: "owner", M: "team", T: "team"},
    "timeline.log": {A: "any", E: "team", M: "team", T: "team"},
    "timeline.remove": {A: "any", E: "owner", M: "owner", T: "owner"},
    "playbook.manage": {A: "any"},
    "report.view": dict.fromkeys(EVERYONE, "any"),
    "report.request": {A: "any", E: "any", M: "any", T: "any"},
    "dashboard.portfolio": dict.fromkeys(EVERYONE, "any"),
    "survey.view": dict.fromkeys(EVERYONE, "any"),
    "survey.run": {A: "any", M: "any"},
    "fourrs.take": {A: "any", E: "any", M: "any", T: "any"},
    "fourrs.view": dict.fromkeys(EVERYONE, "any"),
    "fourrs.run": {A: "any"},
}


class TeamObject:
    def __init__(self, team: set[str], owner: str | None = None) -> None:
        self.team = team
        self.owner = owner


@pytest.fixture(autouse=True)
def _object_checks():
    register_object_checks(
        TeamObject, team=lambda obj, user: user in obj.team, owner=lambda obj, user: user == obj.owner
    )


def test_matrix_lists_every_action():
    assert set(EXPECTED) == set(ALLOW)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", [A, E, M, T, V])
def test_role_x_action(role: str, action: str):
    expected = EXPECTED[action].get(role)
    owned = TeamObject({"me"}, owner="me")
    on_team = TeamObject({"me"}, owner="someone else")
    theirs = TeamObject({"someone else"}, owner="someone else")
    if expected is None:
        assert not allowed(role, action, user="me")
        assert not allowed(role, action, user="me", obj=owned)
    elif expected == "any":
        assert allowed(role, action, user="me")
        assert allowed(role, action, user="me", obj=theirs)
    elif expected == "team":
        assert allowed(role, action, user="me", obj=on_team)
        assert not allowed(role, action, user="me", obj=theirs)
    else:
        assert allowed(role, action, user="me", obj=owned)
        assert not allowed(role, action, user="me", obj=on_team)


def test_unknown_action_is_an_error():
    with pytest.raises(KeyError):
        allowed(Role.ADMIN, "account.teleport")


def test_no_role_is_denied():
    assert not allowed(None, "tenant.view")
