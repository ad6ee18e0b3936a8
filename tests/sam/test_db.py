"""Several statements in one round trip: the same rows prepared or not, one transaction of their own outside
any, the tenant entered for them with row-level security, and the caller's tenant back after."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from sam.db import run_together
from sam.models import Membership
from sam.tenancy.context import tenant_context, tenant_run_once

pytestmark = pytest.mark.django_db

SETTING = "SELECT current_setting('sam.tenant_id', true)"
MEMBERS = "SELECT count(*) FROM sam_membership"


@pytest.mark.parametrize("prepared", [False, True])
def test_statements_run_in_order_and_give_their_rows(prepared):
    rows = run_together(
        [("SELECT set_config('sam.tenant_id', %s, true)", ["42"]), (SETTING, []), ("SELECT %s::int + 1", [1])],
        prepared=prepared,
    )
    assert rows == [[("42",)], [("42",)], [(2,)]]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_they_are_one_of_their_own(tenant_a):
    from sam.models import Tenant

    tenant = tenant_a.tenant
    with pytest.raises(IntegrityError):  # Django's error, whatever the statement that failed
        run_together(
            [("UPDATE sam_tenant SET name = %s WHERE id = %s", ["Renamed", tenant.pk]),
             ("UPDATE sam_tenant SET slug = (SELECT slug FROM sam_tenant WHERE id <> %s LIMIT 1) WHERE id = %s",
              [tenant.pk, tenant.pk]),
             ("SELECT 1", [])],
            prepared=True,
        )  # fmt: skip
    assert Tenant.objects.get(pk=tenant.pk).name == tenant.name  # the first statement was rolled back too
    assert not connection.in_atomic_block and run_together([(SETTING, [])], prepared=True) == [[("",)]]


@pytest.mark.django_db(transaction=True)
def test_tenant_run_once_enters_the_tenant_for_its_statements_only(tenant_a, tenant_b):
    with tenant_context(tenant_a.tenant):
        mine = Membership.objects.count()
    tenant, (setting, members) = tenant_run_once("id = %s", [tenant_a.tenant.pk], [(SETTING, []), (MEMBERS, [])])
    assert tenant == tenant_a.tenant and setting == [(str(tenant_a.tenant.pk),)] and members == [(mine,)]
    assert run_together([(SETTING, []), (MEMBERS, [])], prepared=True) == [[("",)], [(0,)]]  # nothing stays
    assert tenant_run_once("id = %s", [0], [(MEMBERS, [])]) == (None, [[(0,)]])  # no such tenant: no rows


def test_inside_a_tenant_the_callers_tenant_comes_back(tenant_a, tenant_b):
    with tenant_context(tenant_a.tenant), transaction.atomic():
        tenant, (setting,) = tenant_run_once("id = %s", [tenant_b.tenant.pk], [(SETTING, [])])
        assert tenant == tenant_b.tenant and setting == [(str(tenant_b.tenant.pk),)]
        assert run_together([(SETTING, [])]) == [[(str(tenant_a.tenant.pk),)]]
        # No tenant matches: the statements see none, not the caller's, and the caller's comes back after.
        assert tenant_run_once("id = %s", [0], [(SETTING, []), (MEMBERS, [])]) == (None, [[("",)], [(0,)]])
        assert run_together([(SETTING, [])]) == [[(str(tenant_a.tenant.pk),)]]


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_and_the_trip_made_again():
    import psycopg

    connection.ensure_connection()
    (pid,) = run_together([("SELECT pg_backend_pid()", [])], prepared=True)[0][0]
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k not in {"cursor_factory", "context"}},
                         autocommit=True) as other:  # fmt: skip
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    rows = run_together([("SELECT pg_backend_pid()", []), ("SELECT %s::int", [7])], prepared=True)
    assert rows[0][0][0] != pid and rows[1] == [(7,)]
