"""Admin pages: members and roles, and everybody's API tokens page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sam.models import ApiToken, Invitation, Membership
from sam.roles import Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER])
def test_non_admins_cannot_manage_members(tenant_a, client_for, role):
    client = client_for(tenant_a.users[role])
    assert client.get(url("members")).status_code == 403
    target = tenant_a.memberships[Role.VIEWER]
    assert client.post(url("member_role", target.pk), {"role": "admin"}).status_code == 403
    with tenant_a.ctx():
        assert Membership.objects.get(pk=target.pk).role == Role.VIEWER


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": "not-an-email", "role": "member"}, "email"),
        ({"email": "", "role": "member"}, "email"),
        ({"email": "x@example.test", "role": "overlord"}, "role"),
        ({"email": "x" * 300 + "@example.test", "role": "member"}, "email"),
    ],
)
def test_invite_bad_input_changes_nothing(tenant_a, client_for, data, field):
    client = client_for(tenant_a.admin)
    response = client.post(url("members"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert b"Please correct the highlighted" in response.content
    with tenant_a.ctx():
        assert Membership.objects.count() == len(Role) and not Invitation.objects.exists()


def test_adding_an_existing_member_twice_is_refused(tenant_a, client_for):
    response = client_for(tenant_a.admin).post(url("members"), {"email": tenant_a.admin.email, "role": "viewer"})
    assert response.status_code == 400
    assert b"already a member" in response.content


def test_role_change_and_removal(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    target = tenant_a.memberships[Role.VIEWER]
    client.post(url("member_role", target.pk), {"role": "executive"})
    with tenant_a.ctx():
        assert Membership.objects.get(pk=target.pk).role == Role.EXECUTIVE
    client.post(url("member_remove", target.pk))
    with tenant_a.ctx():
        assert not Membership.objects.filter(pk=target.pk).exists()


def test_last_admin_cannot_leave_or_be_demoted(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    admin = tenant_a.memberships[Role.ADMIN]
    response = client.post(url("member_role", admin.pk), {"role": "viewer"}, follow=True)
    assert b"at least one admin" in response.content
    client.post(url("member_remove", admin.pk))
    with tenant_a.ctx():
        assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN


def test_members_page_query_count_is_constant(tenant_a, client_for, django_assert_max_num_queries):
    client = client_for(tenant_a.admin)
    with django_assert_max_num_queries(14):  # the workspace's session limits: read once a minute, and shown
        assert client.get(url("members")).status_code == 200
    with tenant_a.ctx():
        for _ in range(100):
            MembershipFactory(user=UserFactory())
    with django_assert_max_num_queries(14):
        response = client.get(url("members"))
    assert response.content.count(b'name="role"') >= 105


def test_dashboard_query_count(tenant_a, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.accounts.conftest import make_account

    client = client_for(tenant_a.admin)
    assert b"No strategic accounts yet" in client.get(url("dashboard")).content
    make_account(tenant_a, "First")
    fresh = url("dashboard") + "?fresh=1"  # computed anew, not from the dashboard's cache
    client.get(fresh)
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        response = client.get(fresh)
    assert b"Which accounts are at risk" in response.content
    for n in range(40):
        make_account(tenant_a, f"Account {n}")
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        response = client.get(fresh)
    assert b"Alpha Supplies" in response.content


def test_tokens_page_create_shows_secret_once(tenant_a, client_for):
    client = client_for(tenant_a.users[Role.VIEWER])
    assert b"No API tokens yet" in client.get(url("tokens")).content
    response = client.post(url("tokens"), {"name": "Script", "expires_in_days": "30"})
    assert response.status_code == 200
    secret = response.context["new_token"]
    assert secret.startswith(f"sam_{tenant_a.tenant.pk}_")
    assert secret.encode() not in client.get(url("tokens")).content
    with tenant_a.ctx():
        token = ApiToken.objects.get()
    client.post(url("token_revoke", token.pk))
    with tenant_a.ctx():
        assert ApiToken.objects.get().revoked_at is not None


def test_tokens_page_bad_input(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    for data in ({"name": "", "expires_in_days": "30"}, {"name": "x", "expires_in_days": "forever"}):
        assert client.post(url("tokens"), data).status_code == 400
    with tenant_a.ctx():
        assert ApiToken.objects.count() == 0


def test_cannot_revoke_a_colleagues_token(tenant_a, client_for):
    from sam.services import token_create

    with tenant_a.ctx():
        token, _ = token_create(membership=tenant_a.memberships[Role.MEMBER], name="theirs", expires_in_days=None)
    response = client_for(tenant_a.admin).post(url("token_revoke", token.pk))
    assert response.status_code == 404
    with tenant_a.ctx():
        assert ApiToken.objects.get().revoked_at is None


def test_role_change_with_htmx_returns_the_row(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    target = tenant_a.memberships[Role.VIEWER]
    response = client.post(url("member_role", target.pk), {"role": "executive"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="member-{target.pk}">')
    assert "<html" not in html
    assert 'value="executive" selected' in html
    response = client.post(url("member_role", target.pk), {"role": "emperor"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Choose one of the listed roles." in response.content.decode()
    with tenant_a.ctx():
        assert Membership.objects.get(pk=target.pk).role == Role.EXECUTIVE


def test_last_admin_demotion_with_htmx_shows_error_in_row(tenant_a, client_for):
    admin = tenant_a.memberships[Role.ADMIN]
    response = client_for(tenant_a.admin).post(url("member_role", admin.pk), {"role": "viewer"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "at least one admin" in response.content.decode()


def test_an_admin_sees_and_revokes_every_members_tokens_others_do_not(tenant_a, client_for):
    from django.test import Client

    from sam.services import token_create

    with tenant_a.ctx():
        token, secret = token_create(membership=tenant_a.memberships[Role.MEMBER], name="CRM sync", expires_in_days=30)
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/accounts/").status_code == 200
    for role in (Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER):
        other = client_for(tenant_a.users[role])
        assert other.get(url("workspace_tokens")).status_code == 403
        assert other.post(url("workspace_token_revoke", token.pk)).status_code == 403
    admin = client_for(tenant_a.admin)
    page = admin.get(url("workspace_tokens")).content.decode()
    assert "CRM sync" in page and tenant_a.users[Role.MEMBER].email in page and secret not in page
    assert admin.post(url("workspace_token_revoke", token.pk)).status_code == 302
    assert api.get("/api/v1/accounts/").status_code == 401
    with tenant_a.ctx():
        assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
