"""Lock 1: the scoped ORM manager, and the tenant context."""

from __future__ import annotations

import pytest
from django.db import connection

from sam.models import Membership
from sam.tenancy.context import NoTenantActive, current_tenant_id, tenant_context

pytestmark = pytest.mark.django_db


def db_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('sam.tenant_id', true)")
        return cursor.fetchone()[0] or ""


def test_manager_raises_without_tenant(tenant_a):
    with pytest.raises(NoTenantActive):
        list(Membership.objects.all())


def test_manager_filters_by_current_tenant(tenant_a, tenant_b):
    with tenant_a.ctx():
        tenants = set(Membership.objects.values_list("tenant_id", flat=True))
    assert tenants == {tenant_a.tenant.pk}


def test_the_kept_scoped_query_is_per_tenant_and_copied(tenant_a, tenant_b):
    """The manager keeps each tenant's filtered query and hands out copies: a queryset changed later (a filter, an
    ordering) changes nothing of the next one, and each tenant's query names that tenant."""
    with tenant_a.ctx():
        first = Membership.objects.all()
        first.query.add_ordering("-id")
        narrowed = Membership.objects.filter(role="nonexistent")
        again = Membership.objects.all()
        assert not again.query.order_by and not narrowed.exists()
        assert {m.tenant_id for m in again} == {tenant_a.tenant.pk} and again.count() == len(tenant_a.memberships)
        sql_a = str(Membership.objects.all().query)
    with tenant_b.ctx():
        sql_b = str(Membership.objects.all().query)
        assert {m.tenant_id for m in Membership.objects.all()} == {tenant_b.tenant.pk}
    assert f"= {tenant_a.tenant.pk}" in sql_a and f"= {tenant_b.tenant.pk}" in sql_b


def test_unscoped_still_bound_by_rls(tenant_a, tenant_b):
    with tenant_a.ctx():
        assert {m.tenant_id for m in Membership.unscoped.all()} == {tenant_a.tenant.pk}
    assert Membership.unscoped.count() == 0


def test_save_refuses_other_tenant_row(tenant_a, tenant_b):
    with tenant_a.ctx():
        membership = Membership.objects.first()
    with tenant_b.ctx(), pytest.raises(ValueError, match="another tenant"):
        membership.save()


def test_new_row_takes_the_active_tenant(tenant_a):
    from tests.factories import UserFactory

    with tenant_a.ctx():
        m = Membership.objects.create(user=UserFactory(), role="viewer")
    assert m.tenant_id == tenant_a.tenant.pk


def test_context_nests_and_restores(tenant_a, tenant_b):
    assert db_setting() == ""
    with tenant_context(tenant_a.tenant):
        assert db_setting() == str(tenant_a.tenant.pk)
        with tenant_context(tenant_b.tenant):
            assert current_tenant_id() == tenant_b.tenant.pk
            assert db_setting() == str(tenant_b.tenant.pk)
        assert current_tenant_id() == tenant_a.tenant.pk
        assert db_setting() == str(tenant_a.tenant.pk)
    assert current_tenant_id(required=False) is None
    assert db_setting() == ""


def test_context_restores_after_error(tenant_a):
    with pytest.raises(ZeroDivisionError), tenant_context(tenant_a.tenant):
        1 / 0
    assert current_tenant_id(required=False) is None
    assert db_setting() == ""


def test_unique_constraints_include_tenant():
    from django.core import checks

    errors = [e for e in checks.run_checks() if e.id and e.id.startswith("sam.E")]
    assert errors == []


def test_every_tenant_owned_default_manager_is_scoped():
    """A custom manager must not undo lock 1 (e.g. Account.objects with its own queryset)."""
    from django.apps import apps

    from sam.tenancy.models import TenantManager, TenantOwned

    unscoped = [
        m.__name__
        for m in apps.get_models()
        if issubclass(m, TenantOwned) and not isinstance(m._default_manager, TenantManager)
    ]
    assert unscoped == []
    for m in apps.get_models():
        if issubclass(m, TenantOwned):
            with pytest.raises(NoTenantActive):
                list(m.objects.all()[:1])
