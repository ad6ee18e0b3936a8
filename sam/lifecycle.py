"""The end of a workspace's data: deleting a whole workspace, table by table.

``workspace_delete`` (``manage.py delete_workspace``, and the benchmarks' clean-up) runs in one transaction: every
row of every table with a ``tenant_id`` column, found in the database's catalog rather than in the models (so a table
added later cannot be forgotten), then the record of changes those deletes wrote, then the workspace itself. The
files its rows named (reports, logos, deliverables) are removed once the transaction has committed. The people who
were its members keep their logins (they may belong to other workspaces); only their membership goes.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, models, transaction

from sam import history
from sam.models import Tenant
from sam.tenancy.models import TenantOwned

log = logging.getLogger(__name__)
HISTORY_TABLE = "sam_datachange"


def tenant_tables() -> list[str]:
    """Every table of the database with a ``tenant_id`` column, by name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema "
            "WHERE c.column_name = 'tenant_id' AND c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name"
        )
        return [row[0] for row in cursor.fetchall()]


def rows_left(tenant_id: int) -> dict[str, int]:
    """How many rows of the workspace each tenant table holds (read inside the workspace: row-level security)."""
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('sam.tenant_id', %s, true)", [str(tenant_id)])
        for table in tenant_tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} WHERE tenant_id = %s", [tenant_id])  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _files(tenant_id: int) -> list[tuple[Any, str]]:
    """The stored files the workspace's rows name: (storage, name)."""
    found = []
    for model in (m for m in _models() if issubclass(m, TenantOwned)):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names = (
                    model.unscoped.filter(tenant_id=tenant_id)
                    .exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                )
                found += [(field.storage, name) for name in names if name]
    return found


def _models() -> list[type[models.Model]]:
    from django.apps import apps

    return list(apps.get_models())


def workspace_delete(tenant: Tenant) -> dict[str, int]:
    """Delete the workspace and everything of it; answers the rows deleted per table."""
    tenant_id = tenant.pk
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('sam.tenant_id', %s, true), set_config('sam.origin', %s, true)",
            [str(tenant_id), "workspace deletion"],
        )
        files = _files(tenant_id)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        tables = tenant_tables()
        for table in [t for t in tables if t != HISTORY_TABLE]:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)} WHERE tenant_id = %s", [tenant_id])  # noqa: S608
            deleted[table] = cursor.rowcount
        cursor.execute("UPDATE sam_user SET last_tenant_id = NULL WHERE last_tenant_id = %s", [tenant_id])
        cursor.execute("DELETE FROM sam_tenant WHERE id = %s", [tenant_id])
        deleted["sam_tenant"] = cursor.rowcount
        # Last, with what those deletes recorded: through the one function that may delete from the record, which
        # does so only for a workspace that no longer exists.
        deleted[HISTORY_TABLE] = history.forget_workspace()
        cursor.execute("SELECT set_config('sam.tenant_id', '', true)")

        def remove_files() -> None:
            for storage, name in files:
                try:
                    storage.delete(name)
                except OSError:
                    log.warning("workspace %s: could not remove the file %s", tenant_id, name)

        transaction.on_commit(remove_files)
    return deleted
