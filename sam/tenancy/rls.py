"""Row-level security for tenant-owned tables, added to a migration in one line.

    operations = [..., EnableRLS("Account")]

Every policy compares the row's tenant with the transaction-local setting
``sam.tenant_id``; with no tenant set the expression is NULL and no row is
visible or writable. FORCE makes the policy bind the table owner too.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TENANT_EXPR = "NULLIF(current_setting('sam.tenant_id', true), '')::bigint"
USER_EXPR = "NULLIF(current_setting('sam.user_id', true), '')::bigint"


def rls_sql(table: str, *, user_column: str | None = None) -> tuple[list[str], list[str]]:
    """SQL to enable (and to undo) tenant row-level security on one table."""
    forward = [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY tenant_isolation ON "{table}" USING (tenant_id = {TENANT_EXPR}) '
        f"WITH CHECK (tenant_id = {TENANT_EXPR})",
    ]
    backward = [f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"']
    if user_column:
        # A signed-in user may read their own rows of every tenant (e.g. the
        # memberships behind the tenant switcher), never write them.
        forward.append(f'CREATE POLICY own_rows_read ON "{table}" FOR SELECT USING ({user_column} = {USER_EXPR})')
        backward.insert(0, f'DROP POLICY IF EXISTS own_rows_read ON "{table}"')
    backward += [
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]
    return forward, backward


class EnableRLS(migrations.operations.base.Operation):
    """Migration operation: FORCE row-level security with the tenant policy on a model's table."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, *, user_column: str | None = None) -> None:
        self.model_name = model_name
        self.user_column = user_column

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _table(self, app_label: str, state: Any) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        forward, _ = rls_sql(self._table(app_label, to_state), user_column=self.user_column)
        for statement in forward:
            schema_editor.execute(statement)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        _, backward = rls_sql(self._table(app_label, from_state), user_column=self.user_column)
        for statement in backward:
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {"user_column": self.user_column} if self.user_column else {}
        return ("sam.tenancy.rls.EnableRLS", [self.model_name], kwargs)
