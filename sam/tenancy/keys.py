"""Keys that carry the tenant: the table's primary key and its foreign keys to other tenants' tables.

Every tenant-owned table can be distributed by ``tenant_id`` (Citus) as it is, because no key of it spans
tenants: its primary key is ``(tenant_id, id)`` and each foreign key to another tenant-owned table is
``(tenant_id, x_id) REFERENCES x (tenant_id, id)``, which also makes a row pointing to another tenant's row
impossible in the database itself. Django keeps ``id`` as the model's primary key and cannot express a
composite foreign key, so a model states both in its ``Meta.constraints``, and ``makemigrations`` writes them
into migrations like any constraint::

    account = models.ForeignKey(Account, on_delete=models.CASCADE, db_constraint=False)

    class Meta:
        constraints = [TenantPrimaryKey(), TenantForeignKey("account"), ...]

``db_constraint=False`` leaves out Django's own foreign key on ``account_id`` alone (it would need ``id``
unique by itself); ``on_delete`` works as before, Django carries it out. The foreign keys are checked at the
end of the transaction, as Django's own are. ``sam/checks.py`` refuses a model that misses one of these, and
``tests/sam/test_citus_ready.py`` reads the result from the database's catalog.

When: both are made once the migration's other operations have run (Django's deferred SQL, where it makes its
own foreign keys), every primary key before any foreign key, because a foreign key may reference a table made
or changed later in the same migration (or, for the suite's database, made from the models in one go, in any
order). So ``constraint_sql`` and ``create_sql`` answer no SQL to run at once: an empty answer, which Django
leaves out of CREATE TABLE and does not run for ``AddConstraint`` (where a new table has a column with
parameters, as the search's generated columns have, Django makes its constraints with ``create_sql`` after
the table and runs the empty answer as an empty statement, which does nothing).
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.ddl_references import Columns, Statement, Table

TENANT_FIELD = "tenant"
# PostgreSQL's own name for a primary key declared with its column: the table's name and this (names longer
# than 63 bytes are cut, which the check below refuses).
PG_PRIMARY_KEY_SUFFIX = "_pkey"
MAX_NAME = 63


def is_tenant_owned(model: type[models.Model]) -> bool:
    """A model (also a migration's historical one, which has no base classes of ours) is tenant-owned when it has
    the tenant column."""
    try:
        field = model._meta.get_field(TENANT_FIELD)
    except FieldDoesNotExist:
        return False
    return bool(field.many_to_one) and field.related_model._meta.label_lower == "sam.tenant"  # type: ignore[union-attr]


def _tenant_column(model: type[models.Model]) -> str:
    return str(model._meta.get_field(TENANT_FIELD).column)  # type: ignore[union-attr]


def _too_long(name: str, model: type[models.Model]) -> list[checks.CheckMessage]:
    if len(name) <= MAX_NAME:
        return []
    return [
        checks.Error(
            f"{model.__name__}: the name {name!r} is longer than PostgreSQL's {MAX_NAME} characters.",
            hint="Give the constraint (or the table) a shorter name.",
            obj=model,
            id="sam.E006",
        )
    ]


class TenantPrimaryKey(models.BaseConstraint):
    """The table's primary key in the database is ``(tenant_id, id)``; ``id`` stays the model's ``pk``.

    ``id`` is still unique by itself (one identity sequence numbers every tenant's rows) but no longer as a
    constraint: Citus refuses a distributed table with a unique key that lacks the distribution column. Every
    query of the app carries ``tenant_id`` (the row-level security policy adds it), so lookups by ``id`` use the
    index. The other tables' foreign keys reference these two columns.
    """

    def __init__(self, *, name: str = f"%(app_label)s_%(class)s{PG_PRIMARY_KEY_SUFFIX}") -> None:
        super().__init__(name=name)

    def _swap(self, model: type[models.Model], schema_editor: Any, old_name: str) -> Statement:
        table = model._meta.db_table
        quote = schema_editor.quote_name
        return Statement(
            "ALTER TABLE %(table)s DROP CONSTRAINT %(old)s, ADD CONSTRAINT %(name)s PRIMARY KEY (%(columns)s)",
            table=Table(table, quote),
            old=quote(old_name),
            name=quote(self.name),
            columns=Columns(table, [_tenant_column(model), str(model._meta.pk.column)], quote),
        )

    def constraint_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        """A new table (its ``id`` is made the primary key with the column, PostgreSQL names it ``<table>_pkey``)."""
        assert model is not None
        schema_editor.deferred_sql.insert(
            0, self._swap(model, schema_editor, model._meta.db_table + PG_PRIMARY_KEY_SUFFIX)
        )
        return ""

    def create_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        """An existing table (``AddConstraint``; or a new one Django makes this way, see the module). Its old key
        is dropped: PostgreSQL refuses while another table still has a foreign key on ``id`` alone to it."""
        assert model is not None
        table = model._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            found = schema_editor.connection.introspection.get_constraints(cursor, table)
        old = next((name for name, info in found.items() if info["primary_key"]), table + PG_PRIMARY_KEY_SUFFIX)
        schema_editor.deferred_sql.insert(0, self._swap(model, schema_editor, old))
        return ""

    def remove_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        """Back to ``id`` alone (refused while another table's ``TenantForeignKey`` still references the key)."""
        assert model is not None
        table = model._meta.db_table
        quote = schema_editor.quote_name
        return str(
            Statement(
                "ALTER TABLE %(table)s DROP CONSTRAINT %(name)s, ADD CONSTRAINT %(name)s PRIMARY KEY (%(columns)s)",
                table=Table(table, quote),
                name=quote(self.name),
                columns=Columns(table, [str(model._meta.pk.column)], quote),
            )
        )

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        """Nothing to check before saving: ``id`` comes from the sequence and the tenant from the context."""

    def _check(self, model: type[models.Model], connection: Any) -> list[checks.CheckMessage]:
        errors = _too_long(self.name, model) + _too_long(model._meta.db_table + PG_PRIMARY_KEY_SUFFIX, model)
        if not is_tenant_owned(model) or model._meta.pk.name != "id":
            errors.append(
                checks.Error(
                    f"{model.__name__}: TenantPrimaryKey is for tenant-owned models whose primary key is 'id'.",
                    obj=model,
                    id="sam.E007",
                )
            )
        return errors

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TenantPrimaryKey):
            return self.name == other.name
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: name={self.name!r}>"


class TenantForeignKey(models.BaseConstraint):
    """The foreign key of one field to another tenant-owned model, with the tenant in it:
    ``(tenant_id, <field>_id) REFERENCES <target> (tenant_id, id)``. The field itself has ``db_constraint=False``.
    """

    def __init__(self, field: str, *, name: str | None = None) -> None:
        self.field = field
        super().__init__(name=name or f"%(app_label)s_%(class)s_{field}_fk")

    def _statement(self, model: type[models.Model], schema_editor: Any) -> Statement:
        field: Any = model._meta.get_field(self.field)
        target = field.related_model
        table, to_table = model._meta.db_table, target._meta.db_table
        quote = schema_editor.quote_name
        return Statement(
            schema_editor.sql_create_fk,
            table=Table(table, quote),
            name=quote(self.name),
            column=Columns(table, [_tenant_column(model), field.column], quote),
            to_table=Table(to_table, quote),
            to_column=Columns(to_table, [_tenant_column(target), field.target_field.column], quote),
            deferrable=schema_editor.connection.ops.deferrable_sql(),
        )

    def constraint_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        assert model is not None
        schema_editor.deferred_sql.append(self._statement(model, schema_editor))
        return ""

    def create_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        assert model is not None
        schema_editor.deferred_sql.append(self._statement(model, schema_editor))
        return ""

    def remove_sql(self, model: type[models.Model] | None, schema_editor: Any) -> str:
        assert model is not None
        table, name = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(self.name)
        return str(schema_editor.sql_delete_fk % {"table": table, "name": name})

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        """Nothing more than the field checks: its choices come from the current tenant's rows."""

    def _check(self, model: type[models.Model], connection: Any) -> list[checks.CheckMessage]:
        errors = _too_long(self.name, model)
        try:
            field = model._meta.get_field(self.field)
        except FieldDoesNotExist:
            field = None
        target = getattr(field, "related_model", None)
        if field is None or not field.many_to_one or target is None:
            errors.append(
                checks.Error(
                    f"{model.__name__}: TenantForeignKey({self.field!r}) names no foreign key of the model.",
                    obj=model,
                    id="sam.E008",
                )
            )
        elif not (is_tenant_owned(model) and is_tenant_owned(target)):
            errors.append(
                checks.Error(
                    f"{model.__name__}.{self.field}: TenantForeignKey joins two tenant-owned models only.",
                    obj=model,
                    id="sam.E008",
                )
            )
        return errors

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, _, kwargs = super().deconstruct()
        return path, (self.field,), kwargs

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TenantForeignKey):
            return (self.name, self.field) == (other.name, other.field)
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.field))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: field={self.field!r} name={self.name!r}>"
