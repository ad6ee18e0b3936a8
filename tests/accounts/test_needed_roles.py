"""As-needed roles: each account says which of the six team roles it needs (its tier's default otherwise); team
completeness, the portfolio's roles flag, the dashboard's at-risk reasons and the deliverables chased count
only those."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import selectors, services
from accounts.models import Account, AccountsSettings, TeamRole, Tier
from sam.roles import Role
from sam.services import token_create
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db

ALL_BUT_PS = [r for r in TeamRole.values if r != TeamRole.PROFESSIONAL_SERVICES]


def fill(world, account, roles):
    with world.ctx():
        for role in roles:
            services.team_assign(account=account, user_id=world.users[Role.MEMBER].pk, role=role)


def test_a_new_tier_needs_all_six_roles_and_an_account_follows_its_tier(tenant_a, account_a):
    with tenant_a.ctx():
        account = Account.objects.select_related("tier").get(pk=account_a.pk)
        assert account.needed_roles is None and account.roles_follow_tier
        assert account.roles_needed == TeamRole.values
        tier = services.tier_save(tier=None, name="Watch list", strategic=False)
        assert tier.needed_roles == TeamRole.values


def test_tier_default_and_account_choice(tenant_a, account_a):
    with tenant_a.ctx():
        tier = Tier.objects.get(pk=account_a.tier_id)
        services.tier_save(tier=tier, name="", strategic=True, needed_roles=list(reversed(ALL_BUT_PS)))
        tier.refresh_from_db()
        assert tier.needed_roles == ALL_BUT_PS  # kept in the roles' order
        account = Account.objects.select_related("tier").get(pk=account_a.pk)
        assert account.roles_needed == ALL_BUT_PS
        # the account's own choice wins over its tier's, even "none"
        services.account_roles_needed_set(account=account, roles=["technical_lead"], acting_user=tenant_a.admin)
        assert Account.objects.select_related("tier").get(pk=account.pk).roles_needed == ["technical_lead"]
        services.account_roles_needed_set(account=account, roles=[], acting_user=tenant_a.admin)
        assert Account.objects.select_related("tier").get(pk=account.pk).roles_needed == []
        services.account_roles_needed_set(account=account, roles=None, acting_user=tenant_a.admin)
        assert Account.objects.select_related("tier").get(pk=account.pk).roles_needed == ALL_BUT_PS
        with pytest.raises(ValidationError):
            services.account_roles_needed_set(account=account, roles=["astronaut"], acting_user=tenant_a.admin)
        # a tier saved without its roles on the form keeps them
        services.tier_save(tier=tier, name="Renamed", strategic=True)
        tier.refresh_from_db()
        assert tier.needed_roles == ALL_BUT_PS and tier.name == "Renamed"


def test_completeness_counts_only_needed_roles(tenant_a, account_a):
    fill(tenant_a, account_a, ALL_BUT_PS)
    with tenant_a.ctx():
        account = Account.objects.select_related("tier").get(pk=account_a.pk)
        result = selectors.team_completeness(account, stale_days=90)
        assert [r.value for r in result["missing_roles"]] == [TeamRole.PROFESSIONAL_SERVICES]
        assert result["as_needed_empty"] == []
        assert len(result["stale_deliverables"]) == 6
        services.account_roles_needed_set(account=account, roles=ALL_BUT_PS, acting_user=tenant_a.admin)
        result = selectors.team_completeness(account, stale_days=90)
        assert result["missing_roles"] == []
        assert [r.value for r in result["as_needed_empty"]] == [TeamRole.PROFESSIONAL_SERVICES]
        # its deliverable is not chased either
        assert TeamRole.PROFESSIONAL_SERVICES not in {d.role for d in result["stale_deliverables"]}
        assert len(result["stale_deliverables"]) == 5


def test_portfolio_flag_and_count_follow_the_needed_roles(tenant_a, account_a):
    fill(tenant_a, account_a, ALL_BUT_PS)
    other = make_account(tenant_a, name="Initech")
    with tenant_a.ctx():
        stale = AccountsSettings.current().review_stale_days
        rows = {a.name: a for a in selectors.portfolio(stale_days=stale)}
        assert (rows["Globex"].roles_held, rows["Globex"].needed_count) == (5, 6)
        assert {a.name for a in selectors.portfolio(stale_days=stale, flag="missing_roles")} == {"Globex", "Initech"}
        services.account_roles_needed_set(account=account_a, roles=ALL_BUT_PS, acting_user=tenant_a.admin)
        rows = {a.name: a for a in selectors.portfolio(stale_days=stale)}
        assert (rows["Globex"].roles_held, rows["Globex"].needed_count) == (5, 5)
        assert rows["Globex"].stale_deliverables == 5
        assert {a.name for a in selectors.portfolio(stale_days=stale, flag="missing_roles")} == {"Initech"}
        # a tier that needs no role flags none of its accounts
        services.tier_save(tier=other.tier, name="", strategic=True, needed_roles=[])
        assert {a.name for a in selectors.portfolio(stale_days=stale, flag="missing_roles")} == set()


def test_team_tab_marks_as_needed_roles_and_only_admins_change_them(tenant_a, account_a, client_for):
    fill(tenant_a, account_a, ALL_BUT_PS)
    path = reverse("account_roles_needed", args=["alpha", account_a.pk])
    tab = reverse("account_detail", args=["alpha", account_a.pk]) + "?tab=team"
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])  # the owner: may edit the team, not the program's rule
    assert am.post(path, {"roles": ALL_BUT_PS}).status_code == 403
    assert "Save needed roles" not in am.get(tab).content.decode()
    admin = client_for(tenant_a.admin)
    page = admin.get(tab).content.decode()
    assert "Save needed roles" in page and "As needed" not in page
    response = admin.post(path, {"roles": [*ALL_BUT_PS, "astronaut"]})
    assert response.status_code == 400 and "astronaut" in response.content.decode()  # the form's error
    with tenant_a.ctx():
        assert Account.objects.get(pk=account_a.pk).needed_roles is None
    admin.post(path, {"roles": ALL_BUT_PS})
    page = admin.get(tab).content.decode()
    assert "As needed" in page and "Nobody, called in when needed" in page
    overview = admin.get(reverse("account_detail", args=["alpha", account_a.pk])).content.decode()
    assert "Nobody is the Professional Services" not in overview
    admin.post(path, {"follow_tier": "on", "roles": []})
    with tenant_a.ctx():
        assert Account.objects.get(pk=account_a.pk).needed_roles is None


def test_other_tenants_account_is_not_found(tenant_a, tenant_b, account_a, client_for):
    admin_b = client_for(tenant_b.admin)
    response = admin_b.post(reverse("account_roles_needed", args=["bravo", account_a.pk]), {"roles": []})
    assert response.status_code == 404


def test_api_sets_and_reports_needed_roles(tenant_a, tenant_b, account_a, client_for):
    def client(world, role):
        with world.ctx():
            _, secret = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
        return client_for(world.users[role], HTTP_AUTHORIZATION=f"Token {secret}")

    path = f"/api/v1/accounts/{account_a.pk}/needed-roles/"
    admin = client(tenant_a, Role.ADMIN)
    put = lambda c, body: c.put(path, json.dumps(body), content_type="application/json")  # noqa: E731
    assert put(client(tenant_a, Role.ACCOUNT_MANAGER), {"roles": []}).status_code == 403
    assert put(admin, {"roles": ["astronaut"]}).status_code == 400
    assert put(admin, {"roles": "technical_lead"}).status_code == 400
    assert put(admin, {}).status_code == 400
    response = put(admin, {"roles": ["technical_lead", "account_manager"]})
    assert response.status_code == 200
    body = response.json()
    assert body["needed_roles"] == ["account_manager", "technical_lead"]
    assert body["roles_needed"] == ["account_manager", "technical_lead"]
    assert put(admin, {"roles": None}).json()["roles_needed"] == TeamRole.values
    other = client(tenant_b, Role.ADMIN).put(path, json.dumps({"roles": []}), content_type="application/json")
    assert other.status_code == 404
    tier = admin.patch(
        f"/api/v1/tiers/{account_a.tier_id}/", json.dumps({"needed_roles": ["x"]}), content_type="application/json"
    )
    assert tier.status_code == 400


def test_the_dashboard_and_the_deliverables_api_leave_as_needed_roles_alone(tenant_a, account_a, client_for):
    from dashboard.selectors import Filters, portfolio_review

    fill(tenant_a, account_a, ALL_BUT_PS)
    with tenant_a.ctx():
        today = timezone.localdate()

        def reasons():
            review = portfolio_review(Filters(start=today - timedelta(days=365), end=today), tenant=tenant_a.tenant)
            row = next(r for r in [*review["at_risk"], *review["watch"]] if r.account.pk == account_a.pk)
            return " ".join(row.reason_texts)

        assert "Team incomplete: no Professional Services" in reasons()
        services.account_roles_needed_set(account=account_a, roles=ALL_BUT_PS, acting_user=tenant_a.admin)
        cache.clear()
        assert "Team incomplete" not in reasons()
        _, secret = token_create(membership=tenant_a.memberships[Role.ADMIN], name="t", expires_in_days=None)
    api = client_for(tenant_a.admin, HTTP_AUTHORIZATION=f"Token {secret}")
    rows = api.get(f"/api/v1/deliverables/?account={account_a.pk}").json()["results"]
    assert {r["role"]: r["needed"] for r in rows}[TeamRole.PROFESSIONAL_SERVICES] is False
    assert all(r["needed"] for r in rows if r["role"] != TeamRole.PROFESSIONAL_SERVICES)
    page = client_for(tenant_a.admin).get(reverse("account_detail", args=["alpha", account_a.pk]) + "?tab=team")
    assert "Not chased while the role is held as needed." in page.content.decode()


def test_the_demo_has_an_as_needed_role_left_empty_without_a_flag(demo, client_for):
    from sam.models import Tenant, User
    from sam.tenancy.context import tenant_context

    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        account = next(a for a in Account.objects.select_related("tier") if a.needed_roles is not None)
        assert TeamRole.PROFESSIONAL_SERVICES not in account.roles_needed
        assert not account.team.filter(role=TeamRole.PROFESSIONAL_SERVICES).exists()
    client = client_for(User.objects.get(email="admin@northwind.example"))
    page = client.get(reverse("account_detail", args=["northwind", account.pk]) + "?tab=team").content.decode()
    assert "Nobody, called in when needed" in page and "Not chased while the role is held as needed." in page
    overview = client.get(reverse("account_detail", args=["northwind", account.pk])).content.decode()
    assert "Nobody is the Professional Services" not in overview


def test_the_service_itself_lets_only_admins_set_the_needed_roles(tenant_a, account_a):
    from django.core.exceptions import PermissionDenied

    with tenant_a.ctx():
        for role in (Role.ACCOUNT_MANAGER, Role.EXECUTIVE, Role.MEMBER, Role.VIEWER):
            with pytest.raises(PermissionDenied):
                services.account_roles_needed_set(account=account_a, roles=[], acting_user=tenant_a.users[role])
        assert Account.objects.get(pk=account_a.pk).needed_roles is None
