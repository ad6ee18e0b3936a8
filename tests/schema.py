"""The suite's database, made from the models in one step, with the row-level security the migrations add.

Applying the migrations one by one re-renders Django's model states after every operation and takes about
15 seconds in every worker; making the tables from the models takes about one. Three checks keep the two
ways equal: ``makemigrations --check`` (run before the suite: the migrations describe exactly these models),
``tests/security/test_rls.py`` (the migrations enable row-level security on every tenant-owned model, read
here from the migration files, and hold no operation beyond the schema, that and listed data copies) and
``make check-fresh`` in CI (a new database migrated step by step).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.postgres.operations import CreateExtension
from django.db import connection
from django.db.migrations import DeleteModel, RenameModel
from django.db.migrations.loader import MigrationLoader

from sam.tenancy.rls import EnableRLS, rls_sql


class NoMigrations(dict[str, Any]):
    """``MIGRATION_MODULES`` that names no migrations for any app: ``migrate`` then makes every table from its
    model (Django's syncdb)."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def rls_by_model() -> dict[tuple[str, str], str | None]:
    """Each model the migrations enable row-level security on, as (app label, model name) after every rename,
    with the user column of its read-own-rows policy (or None)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list[tuple[str, str]] = []
    for leaf in loader.graph.leaf_nodes():
        plan += [key for key in loader.graph.forwards_plan(leaf) if key not in plan]
    enabled: dict[tuple[str, str], str | None] = {}
    for app_label, name in plan:
        for operation in loader.graph.nodes[app_label, name].operations:
            if isinstance(operation, EnableRLS):
                enabled[app_label, operation.model_name.lower()] = operation.user_column
            elif isinstance(operation, RenameModel) and (app_label, operation.old_name_lower) in enabled:
                enabled[app_label, operation.new_name_lower] = enabled.pop((app_label, operation.old_name_lower))
            elif isinstance(operation, DeleteModel):
                enabled.pop((app_label, operation.name_lower), None)
    return enabled


def extensions() -> list[str]:
    """The PostgreSQL extensions the migrations create (e.g. pg_trgm for the search's name matching)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        {
            operation.name
            for migration in loader.disk_migrations.values()
            for operation in migration.operations
            if isinstance(operation, CreateExtension)
        }
    )


def extensions_creator(names: list[str]) -> Any:
    """A ``pre_migrate`` receiver making these extensions before the tables are made from the models (their
    indexes need them). The names are read first: with no migrations to read, the loader finds none."""

    def create(**kwargs: Any) -> None:
        from django.db import connections

        with connections[kwargs.get("using", "default")].cursor() as cursor:
            for name in names:
                cursor.execute(f"CREATE EXTENSION IF NOT EXISTS {connection.ops.quote_name(name)}")

    return create


def schema_finish() -> None:
    """Row-level security on the tables, as the migrations enable it (run as the owner role); and, for the suite
    only, TRUNCATE for the app role, with which transactional tests empty the tables between tests."""
    with connection.cursor() as cursor:
        app_role = connection.ops.quote_name(settings.DB_APP_ROLE)
        cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {app_role}")
        for (app_label, model_name), user_column in rls_by_model().items():
            table = apps.get_model(app_label, model_name)._meta.db_table
            for statement in rls_sql(table, user_column=user_column)[0]:
                cursor.execute(statement)
