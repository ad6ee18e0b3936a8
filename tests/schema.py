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

from sam.tenancy.models import TenantOwned
from sam.tenancy.rls import EnableRLS, rls_sql


class NoMigrations(dict[str, Any]):
    """``MIGRATION_MODULES`` that names no migrations for any app: ``migrate`` then makes every table from its
    model (Django's syncdb)."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def tenant_owned_tables() -> list[str]:
    """The tables of the tenant-owned models, found in the app registry."""
    return sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwned))


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


def distribution_problems(cursor: Any, tables: list[str], column: str = "tenant_id") -> list[str]:
    """What would stop Citus from distributing these tables by ``column`` in one co-location group, read from
    the database's catalog; one line per problem, naming the table and the constraint or index.

    ``create_distributed_table`` refuses a primary key, unique index or exclusion constraint without the
    distribution column, and a foreign key between distributed tables that does not pair their distribution
    columns or sets them NULL or DEFAULT on delete or update; a table without these tables' column (a reference
    or local table) may not point into them; and Citus numbers identity columns of distributed tables only as
    bigint. Ours also keep: the column NOT NULL and bigint everywhere (tables in one group share its type), and a
    primary key (Citus moves shards by logical replication, which needs a replica identity).
    """
    cursor.execute("SELECT t, to_regclass(t)::oid FROM unnest(%s::text[]) AS t", [tables])
    oids = dict(cursor.fetchall())
    problems = [f"{table}: no such table" for table, oid in oids.items() if oid is None]
    by_oid = {oid: table for table, oid in oids.items() if oid is not None}
    cursor.execute(
        "SELECT attrelid, attnum, attname, attnotnull, format_type(atttypid, atttypmod), attidentity <> '' "
        "FROM pg_attribute WHERE attrelid = ANY(%s) AND attnum > 0 AND NOT attisdropped",
        [list(by_oid)],
    )
    names: dict[tuple[int, int], str] = {}
    key: dict[int, int] = {}
    for relid, attnum, name, not_null, type_, identity in cursor.fetchall():
        names[relid, attnum] = name
        if name == column:
            key[relid] = attnum
            if not not_null or type_ != "bigint":
                problems.append(f"{by_oid[relid]}: {column} must be bigint NOT NULL, is {type_}")
        if identity and type_ != "bigint":
            problems.append(f"{by_oid[relid]}: identity column {name} must be bigint, is {type_}")
    problems += [f"{by_oid[oid]}: no {column} column" for oid in by_oid if oid not in key]

    def columns(relid: int, attnums: list[int]) -> str:
        return ", ".join(names.get((relid, n), "(expression)") for n in attnums)

    cursor.execute(
        "SELECT c.relname, i.indrelid, i.indisprimary, i.indkey::int2[], i.indnkeyatts, c2.conname "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "LEFT JOIN pg_constraint c2 ON c2.conindid = i.indexrelid AND c2.contype = 'x' "
        "WHERE i.indrelid = ANY(%s) AND (i.indisunique OR c2.oid IS NOT NULL)",
        [list(by_oid)],
    )
    with_primary_key = set()
    for index, relid, primary, attnums, key_count, exclusion in cursor.fetchall():
        with_primary_key |= {relid} if primary else set()
        keys = list(attnums)[:key_count]  # INCLUDE columns do not make a row unique
        if key.get(relid) not in keys:
            kind = "primary key" if primary else "exclusion constraint" if exclusion else "unique index"
            problems.append(f"{by_oid[relid]}: {kind} {index} ({columns(relid, keys)}) lacks {column}")
    problems += [f"{table}: no primary key" for oid, table in by_oid.items() if oid not in with_primary_key]

    names_of = (
        "(SELECT array_agg(attname ORDER BY n) FROM unnest({0}) WITH ORDINALITY AS k(a, n) "
        "JOIN pg_attribute ON attrelid = {1} AND attnum = a)"
    )
    cursor.execute(
        "SELECT conname, conrelid, conrelid::regclass::text, confrelid, confrelid::regclass::text, conkey, confkey, "
        f"{names_of.format('conkey', 'conrelid')}, {names_of.format('confkey', 'confrelid')}, confdeltype, confupdtype "
        "FROM pg_constraint WHERE contype = 'f' AND (conrelid = ANY(%s) OR confrelid = ANY(%s))",
        [list(by_oid), list(by_oid)],
    )
    for name, relid, table, to_relid, to_table, attnums, to_attnums, cols, to_cols, on_delete, on_update in cursor:
        what = f"foreign key {name} ({', '.join(cols)}) -> {to_table} ({', '.join(to_cols)})"
        if relid not in by_oid:
            problems.append(f"{table}: {what} points into a distributed table from a table without {column}")
        elif to_relid not in by_oid:
            continue  # to a reference table: any columns will do
        elif (key.get(relid), key.get(to_relid)) not in zip(attnums, to_attnums, strict=True):
            problems.append(f"{table}: {what} does not pair {column} with {column}")
        elif {on_delete, on_update} & {"n", "d"}:
            problems.append(f"{table}: {what} sets columns NULL or DEFAULT, {column} with them")
    return sorted(problems)
