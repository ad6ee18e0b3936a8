"""Lock 2: PostgreSQL row-level security, seen as the app role with raw SQL."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from sam.models import Membership
from sam.tenancy.models import TenantOwned
from tests.schema import rls_by_model, tenant_owned_tables

pytestmark = pytest.mark.django_db


def set_tenant(cursor, tenant_id) -> None:
    cursor.execute("SELECT set_config('sam.tenant_id', %s, true)", ["" if tenant_id is None else str(tenant_id)])


def test_connection_is_the_app_role_without_bypass():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, superuser, bypass = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user",
        )
        owned = cursor.fetchone()[0]
    assert user == "sam_app"
    assert not superuser and not bypass
    assert owned == 0, "the app role must not own any table (an owner could disable RLS)"


def test_no_tenant_set_sees_zero_rows(tenant_a, tenant_b):
    with connection.cursor() as cursor:
        set_tenant(cursor, None)
        for table in tenant_owned_tables():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            assert cursor.fetchone()[0] == 0, table


def test_tenant_a_cannot_read_or_write_b(tenant_a, tenant_b):
    a, b = tenant_a.tenant.pk, tenant_b.tenant.pk
    b_user = tenant_b.admin.pk
    with connection.cursor() as cursor:
        set_tenant(cursor, a)
        cursor.execute("SELECT DISTINCT tenant_id FROM sam_membership")
        assert [row[0] for row in cursor.fetchall()] == [a]
        cursor.execute("SELECT count(*) FROM sam_membership WHERE tenant_id = %s", [b])
        assert cursor.fetchone()[0] == 0
        # Writing a row for B while A is set is refused by the policy.
        with pytest.raises(Exception, match="row-level security"):
            cursor.execute("SAVEPOINT s1")
            cursor.execute(
                "INSERT INTO sam_auditevent (tenant_id, action, object_type, object_id, data, created_at) "
                "VALUES (%s, 'x', '', '', '{}', now())",
                [b],
            )
        cursor.execute("ROLLBACK TO SAVEPOINT s1")
        # Updating or deleting B's rows touches nothing.
        cursor.execute("UPDATE sam_membership SET role = 'viewer' WHERE tenant_id = %s", [b])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM sam_membership WHERE user_id = %s", [b_user])
        assert cursor.rowcount == 0
        # Moving one of A's rows into B is refused too.
        with pytest.raises(Exception, match="row-level security"):
            cursor.execute("SAVEPOINT s2")
            cursor.execute("UPDATE sam_membership SET tenant_id = %s WHERE tenant_id = %s", [b, a])
        cursor.execute("ROLLBACK TO SAVEPOINT s2")
        set_tenant(cursor, None)


def test_own_membership_rows_readable_across_tenants_only_for_that_user(tenant_a, tenant_b):
    with tenant_b.ctx():
        Membership.objects.create(user=tenant_a.admin, role="viewer")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('sam.user_id', %s, true)", [str(tenant_a.admin.pk)])
        cursor.execute("SELECT tenant_id FROM sam_membership ORDER BY tenant_id")
        assert [r[0] for r in cursor.fetchall()] == sorted([tenant_a.tenant.pk, tenant_b.tenant.pk])
        # ... and nothing else of either tenant.
        cursor.execute("SELECT count(*) FROM sam_apitoken")
        assert cursor.fetchone()[0] == 0
        # Reading is all: the user cannot change their membership of another tenant.
        cursor.execute("UPDATE sam_membership SET role = 'admin' WHERE user_id = %s", [tenant_a.admin.pk])
        assert cursor.rowcount == 0
        cursor.execute("SELECT set_config('sam.user_id', '', true)")


def test_every_tenant_owned_table_forces_rls_with_a_policy():
    tables = tenant_owned_tables()
    assert tables, "no tenant-owned models found"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "  (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname AND p.schemaname = 'public' "
            "   AND p.qual LIKE '%%sam.tenant_id%%') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(%s)",
            [tables],
        )
        rows = {name: (enabled, forced, policies) for name, enabled, forced, policies in cursor.fetchall()}
    assert sorted(rows) == tables
    missing = [t for t, (enabled, forced, policies) in rows.items() if not (enabled and forced and policies >= 1)]
    assert missing == [], f"tables without FORCE RLS and a tenant policy: {missing}"


def test_the_migrations_enable_rls_on_every_tenant_owned_model():
    """The suite's database takes its row-level security from the migration files (tests/schema.py): they must
    enable it on every tenant-owned model, under its name after every rename, and nowhere else."""
    enabled = rls_by_model()
    owned = {(m._meta.app_label, m._meta.model_name) for m in apps.get_models() if issubclass(m, TenantOwned)}
    assert set(enabled) == owned
    assert enabled["sam", "membership"] == "user_id"  # members read their own rows of every tenant
    assert enabled["assessments", "fourrsround"] is None  # enabled as SelfAssessmentRound, then renamed


def test_every_table_with_a_tenant_column_is_a_tenant_owned_model():
    """A table with tenant_id that is not a TenantOwned model would escape the meta-test above."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'tenant_id'"
        )
        with_column = sorted(r[0] for r in cursor.fetchall())
    assert with_column == tenant_owned_tables()


def test_the_migrations_do_nothing_the_models_made_test_database_misses():
    """The suite's database is made from the models plus the row-level security above (tests/schema.py). A
    migration operation beyond Django's schema operations would be missing there: mirror it in
    ``schema_finish`` and list it here. The data migrations listed copy or change rows, which an empty database
    has none of."""
    from django.contrib.postgres.operations import CreateExtension
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import fields, models
    from django.db.migrations.operations.special import RunPython

    from sam.tenancy.rls import EnableRLS

    schema_operations = tuple(
        op
        for module in (fields, models)
        for op in vars(module).values()
        if isinstance(op, type) and op.__module__ == module.__name__  # not the Operation base they import
    )
    copies = {
        ("accounts", "0010_settings_per_app"),
        ("accounts", "0013_recurring_issue_decisions"),
        ("accounts", "0014_action_sides"),
        ("accounts", "0015_action_plans_shared"),
        ("accounts", "0017_playbooks_from_follow_ups"),
        ("assessments", "0003_fourrs_names"),
        ("qbr", "0003_invitations_35_days_before"),
        ("qbr", "0006_sent_documents"),
        ("sam", "0011_workspace_settings"),
        ("sam", "0015_security_emails_scrub"),
        ("scorecards", "0006_settings_per_app"),
    }
    loader = MigrationLoader(None, ignore_no_migrations=True)
    other = []
    ours = {"sam", "accounts", "scorecards", "qbr", "voc", "assessments", "dashboard", "portal", "search"}
    for key, migration in loader.disk_migrations.items():
        if key[0] not in ours:  # Django's and third parties' data migrations run on their own tables
            continue
        for operation in migration.operations:
            if isinstance(operation, (*schema_operations, EnableRLS, CreateExtension)):  # extensions: tests/schema.py
                continue
            if isinstance(operation, RunPython) and key in copies:
                continue
            other.append((*key, type(operation).__name__))
    assert other == []
