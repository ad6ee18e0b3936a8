"""The record of every change to a workspace's data, kept by the database, and read back for people.

Every tenant-owned table whose model keeps ``track_changes`` has a row trigger that writes one ``DataChange`` per
row made, changed or deleted: the columns that changed with their old and new values, the signed-in user and the
request or task (the transaction-local settings ``sam.user_id`` and ``sam.origin`` that the tenant context sets),
and the account the row belongs to. Being in the database, it records bulk updates, raw SQL and data migrations as
it records the ORM's saves; row-level security keeps each record in its row's workspace.

The triggers are (re)made after every ``migrate`` (``install``), so a new table is tracked from its first
migration on; ``tests/sam/test_history.py`` checks that every tracked table has its trigger.

Not recorded: the row's id and workspace (the record has them), generated columns (a search vector follows its
text), and ``updated_at`` stamps. Columns that hold a hash of a secret (token, key, password) are recorded as
changed, without their values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db import connections, models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from sam.models import DataChange, User
from sam.tenancy.models import TenantOwned

FUNCTION = "sam_record_change"
TRIGGER = "sam_record_update"  # one of the three each tracked table has
TRIGGERS = [
    ("INSERT", "sam_record_insert", "NEW TABLE AS sam_new"),
    ("UPDATE", "sam_record_update", "OLD TABLE AS sam_old NEW TABLE AS sam_new"),
    ("DELETE", "sam_record_delete", "OLD TABLE AS sam_old"),
]
SKIPPED = ("id", "tenant_id", "updated_at")
HIDDEN = re.compile(r"hash|token|secret|password")
HIDDEN_VALUE = "(hidden)"  # as written by DIFF below
NAME_FIELDS = ("name", "title", "full_name", "summary", "subject", "label", "email", "kind")

DIFF = """(SELECT jsonb_object_agg(
                   key,
                   CASE WHEN key = ANY(hidden) THEN jsonb_build_array(
                       CASE WHEN jsonb_typeof(b.r -> key) IN ('string', 'number') THEN '"(hidden)"'::jsonb END,
                       CASE WHEN jsonb_typeof(a.r -> key) IN ('string', 'number') THEN '"(hidden)"'::jsonb END)
                   ELSE jsonb_build_array(b.r -> key, a.r -> key) END)
              FROM jsonb_object_keys(coalesce(a.r, b.r)) AS key
             WHERE NOT key = ANY(skipped) AND (b.r -> key) IS DISTINCT FROM (a.r -> key))"""
# One statement per statement: the rows it touched come as transition tables (sam_new, sam_old), so a bulk update
# of a thousand rows records them in one INSERT ... SELECT, planned once per table and kept.
RECORD = """
        INSERT INTO sam_datachange (tenant_id, "table", row_id, account_id, action, changes, actor_id, origin,
                                    created_at)
        SELECT (c.whole ->> 'tenant_id')::bigint, TG_TABLE_NAME, (c.whole ->> 'id')::bigint,
               CASE WHEN TG_ARGV[3] <> '' THEN sam_account_of(TG_ARGV[3], (c.whole ->> TG_ARGV[2])::bigint,
                                                             (c.whole ->> 'tenant_id')::bigint)
                    WHEN TG_ARGV[2] <> '' THEN (c.whole ->> TG_ARGV[2])::bigint END,
               lower(TG_OP), c.diff, actor, origin, clock_timestamp()
          FROM (SELECT coalesce(a.r, b.r) AS whole, {diff} AS diff FROM {rows}) AS c
         WHERE c.diff IS NOT NULL;"""
ROWS = {
    "INSERT": "(SELECT to_jsonb(n) AS r FROM sam_new n) a CROSS JOIN (SELECT NULL::jsonb AS r) b",
    "UPDATE": "(SELECT to_jsonb(n) AS r FROM sam_new n) a JOIN (SELECT to_jsonb(o) AS r FROM sam_old o) b "
    "ON (a.r -> 'id') = (b.r -> 'id')",
    "DELETE": "(SELECT NULL::jsonb AS r) a CROSS JOIN (SELECT to_jsonb(o) AS r FROM sam_old o) b",
}
ACCOUNT_OF_SQL = """
CREATE OR REPLACE FUNCTION sam_account_of(hops text, first_id bigint, tenant bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    current bigint := first_id;
    hop text;
BEGIN
    -- the account of the row that holds this one (an agenda item's QBR, a survey answer's invitation's contact...)
    FOREACH hop IN ARRAY string_to_array(hops, ',') LOOP
        EXIT WHEN current IS NULL;
        EXECUTE format('SELECT %I FROM %I WHERE id = $1 AND tenant_id = $2', split_part(hop, ':', 2),
                       split_part(hop, ':', 1)) INTO current USING current, tenant;
    END LOOP;
    RETURN current;
END
$fn$;
"""
FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
AS $fn$
DECLARE
    skipped text[] := string_to_array(TG_ARGV[0], ',');
    hidden text[] := string_to_array(TG_ARGV[1], ',');
    actor bigint := NULLIF(current_setting('sam.user_id', true), '')::bigint;
    origin text := left(coalesce(current_setting('sam.origin', true), ''), 200);
BEGIN
    IF TG_OP = 'INSERT' THEN{RECORD.format(diff=DIFF, rows=ROWS["INSERT"])}
    ELSIF TG_OP = 'UPDATE' THEN{RECORD.format(diff=DIFF, rows=ROWS["UPDATE"])}
    ELSE{RECORD.format(diff=DIFF, rows=ROWS["DELETE"])}
    END IF;
    RETURN NULL;
END
$fn$;
"""


ERASED = "(erased)"
ERASE_FUNCTION = "sam_history_erase"
FORGET_FUNCTION = "sam_history_forget"  # the whole record of the current workspace, as the workspace is deleted
# The one change the app may make to the record: a privacy request blanks the values recorded for a person's rows
# (the field names, times and people stay). It runs as the tables' owner, inside the caller's workspace (row-level
# security binds the owner too), and touches the rows of the table and ids it is given only.
BLANKED = f"""(SELECT coalesce(jsonb_object_agg(key, jsonb_build_array(
                         CASE WHEN jsonb_typeof(value -> 0) = 'null' THEN 'null'::jsonb ELSE '"{ERASED}"' END,
                         CASE WHEN jsonb_typeof(value -> 1) = 'null' THEN 'null'::jsonb ELSE '"{ERASED}"' END)),
                      '{{}}'::jsonb)
                FROM jsonb_each(d.changes))"""  # noqa: S608  (made of this module's constants)
ERASE_SQL = f"""
CREATE OR REPLACE FUNCTION {ERASE_FUNCTION}(p_table text, p_rows bigint[]) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    erased integer;
BEGIN
    UPDATE sam_datachange d SET changes = {BLANKED}
     WHERE d.tenant_id = NULLIF(current_setting('sam.tenant_id', true), '')::bigint
       AND d."table" = p_table AND d.row_id = ANY(p_rows);
    GET DIAGNOSTICS erased = ROW_COUNT;
    RETURN erased;
END
$fn$;
CREATE OR REPLACE FUNCTION {FORGET_FUNCTION}() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    forgotten integer;
BEGIN
    -- only once the workspace itself is gone: the record of a live workspace is never deleted
    DELETE FROM sam_datachange d
     WHERE d.tenant_id = NULLIF(current_setting('sam.tenant_id', true), '')::bigint
       AND NOT EXISTS (SELECT 1 FROM sam_tenant t WHERE t.id = d.tenant_id);
    GET DIAGNOSTICS forgotten = ROW_COUNT;
    RETURN forgotten;
END
$fn$;
CREATE OR REPLACE FUNCTION {ERASE_FUNCTION}_account(p_account bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
DECLARE
    erased integer;
BEGIN
    UPDATE sam_datachange d SET changes = {BLANKED}
     WHERE d.tenant_id = NULLIF(current_setting('sam.tenant_id', true), '')::bigint AND d.account_id = p_account;
    GET DIAGNOSTICS erased = ROW_COUNT;
    RETURN erased;
END
$fn$;
"""  # noqa: S608  (made of this module's constants)


def erase(model: type[models.Model], row_ids: list[int]) -> int:
    """Blank the recorded values of these rows of ``model`` (a privacy request); answers how many records."""
    if not row_ids:
        return 0
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT {ERASE_FUNCTION}(%s, %s)", [model._meta.db_table, list(row_ids)])
        return int(cursor.fetchone()[0])


def forget_workspace() -> int:
    """Delete the current workspace's whole record of changes, once the workspace itself has been deleted (in the
    same transaction); for a workspace that still exists it deletes nothing."""
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT {FORGET_FUNCTION}()")
        return int(cursor.fetchone()[0])


def erase_account(account_id: int) -> int:
    """Blank the recorded values of an account and of every row it held (an account purged for good)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT {ERASE_FUNCTION}_account(%s)", [account_id])
        return int(cursor.fetchone()[0])


def tracked_models() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models() if issubclass(m, TenantOwned) and m.track_changes and not m._meta.proxy),
        key=lambda m: m._meta.db_table,
    )


def _has_account(model: type[models.Model]) -> bool:
    return any(f.column == "account_id" for f in model._meta.concrete_fields)


def account_path(model: type[models.Model]) -> tuple[str, str]:
    """How a row of ``model`` names its account: (its column, then the hops to walk from the row it names:
    "table:column,..." ending on an ``account_id``; "" when the column is the account's id itself). Through
    required links first (a survey answer's invitation, then its contact), then optional ones; "" when none."""
    if model._meta.label == "accounts.Account":
        return "id", ""
    if _has_account(model):
        return "account_id", ""
    for required_only in (True, False):
        queue: list[tuple[type[models.Model], str, list[str]]] = [(model, "", [])]
        for _depth in range(3):
            following: list[tuple[type[models.Model], str, list[str]]] = []
            for current, first, hops in queue:
                for f in current._meta.concrete_fields:
                    target = f.related_model if f.is_relation else None
                    if not (isinstance(target, type) and issubclass(target, TenantOwned)) or target is current:
                        continue
                    if required_only and f.null:
                        continue
                    start = first or str(f.column)
                    walked = hops if not first else [*hops[:-1], f"{hops[-1]}:{f.column}"]
                    table = target._meta.db_table
                    if _has_account(target):
                        return start, ",".join([*walked, f"{table}:account_id"])
                    following.append((target, start, [*walked, table]))
            queue = following
    return "", ""


def trigger_arguments(model: type[models.Model]) -> list[str]:
    columns = [str(f.column) for f in model._meta.concrete_fields]
    skipped = [c for c in columns if c in SKIPPED] + [
        str(f.column) for f in model._meta.concrete_fields if isinstance(f, models.GeneratedField)
    ]
    hidden = [c for c in columns if HIDDEN.search(c)]
    return [",".join(skipped), ",".join(hidden), *account_path(model)]


def install(using: str = "default") -> None:
    """Make (or remake) the recording function and every tracked table's trigger; drop it from tables that are
    no longer tracked. Idempotent, run as the tables' owner after ``migrate``."""
    connection = connections[using]
    quote = connection.ops.quote_name
    tracked = {m._meta.db_table: m for m in tracked_models()}
    with connection.cursor() as cursor:
        cursor.execute(ACCOUNT_OF_SQL)
        cursor.execute(FUNCTION_SQL)
        cursor.execute(ERASE_SQL)
        for table, model in tracked.items():
            arguments = ", ".join("'" + a.replace("'", "''") + "'" for a in trigger_arguments(model))
            for event, name, tables in TRIGGERS:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {quote(table)} REFERENCING {tables} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}({arguments})"
                )
        names = [name for _, name, _ in TRIGGERS]
        cursor.execute(
            "SELECT DISTINCT event_object_table, trigger_name FROM information_schema.triggers "
            "WHERE trigger_name = ANY(%s)",
            [names],
        )
        for table, name in cursor.fetchall():
            if table not in tracked:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}")


# --- Reading it back ---------------------------------------------------------------------------------------------


def model_of_table(table: str) -> type[models.Model] | None:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    return None


def kind_of(model: type[models.Model]) -> str:
    """A model's name in addresses: ``app_label-modelname``."""
    return f"{model._meta.app_label}-{model._meta.model_name}"


def model_of_kind(kind: str) -> type[models.Model] | None:
    app_label, _, name = kind.partition("-")
    try:
        model = apps.get_model(app_label, name)
    except (LookupError, ValueError):
        return None
    return model if issubclass(model, TenantOwned) and model.track_changes else None


def kinds() -> list[tuple[str, str]]:
    """Every tracked kind of row, as (address name, label), by label."""
    return sorted(((kind_of(m), _label(m)) for m in tracked_models()), key=lambda k: k[1].lower())


def _label(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name).capitalize()


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class ChangeRow:
    change: DataChange
    kind: str
    kind_label: str
    object_label: str
    actor: str
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return DataChange.Action(self.change.action).label

    @property
    def row_query(self) -> str:
        """The filter (an address's query) that shows this row's whole history."""
        return f"kind={self.kind}&row={self.change.row_id}"


def _name_field(model: type[models.Model]) -> str | None:
    names = {f.name for f in model._meta.concrete_fields}
    return next((n for n in NAME_FIELDS if n in names), None)


def _names(wanted: dict[type[models.Model], set[Any]]) -> dict[type[models.Model], dict[Any, str]]:
    """What each wanted row is called, for the rows that still exist: one query for every kind of row at once (a
    UNION of one SELECT per kind), so a page costs the same whatever mix of rows it shows."""
    parts: list[str] = []
    params: list[Any] = []
    kinds: dict[str, type[models.Model]] = {}
    quote = connections["default"].ops.quote_name
    for model, ids in wanted.items():
        numbers = sorted(i for i in ids if isinstance(i, int) and not isinstance(i, bool))
        name = "coalesce(nullif(full_name, ''), email)" if model is User else _name_field(model)
        if not numbers or name is None:
            continue
        label = str(len(kinds))
        kinds[label] = model
        column = name if model is User else quote(name)
        scope = (
            " AND tenant_id = NULLIF(current_setting('sam.tenant_id', true), '')::bigint" if model is not User else ""
        )
        parts.append(
            f"SELECT %s, id, left(({column})::text, 120) FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE id = ANY(%s){scope}"
        )
        params += [label, numbers]
    found: dict[type[models.Model], dict[Any, str]] = {model: {} for model in wanted}
    if parts:
        with connections["default"].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for label, pk, value in cursor.fetchall():
                found[kinds[label]][pk] = value
    return found


def _shown(model_field: models.Field[Any, Any] | None, value: Any, names: dict[Any, str]) -> str:
    if value is None or value == "":
        return "—"
    if value == HIDDEN_VALUE:
        return value
    if model_field is not None and model_field.is_relation:
        return names.get(value, f"#{value}")
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        day = parse_date(value)
        return day.isoformat() if isinstance(day, date) else value
    if isinstance(value, dict | list):
        import json

        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= 400 else text[:399] + "…"


def rows(changes: Iterable[DataChange]) -> list[ChangeRow]:
    """The changes as people read them: labels for tables and fields, names for people and linked rows. A fixed
    number of queries for any number of changes: one per kind of linked row shown, and one for people."""
    changes = list(changes)
    by_table = {c.table: model_of_table(c.table) for c in changes}
    wanted: dict[type[models.Model], set[Any]] = {User: {c.actor_id for c in changes if c.actor_id}}
    for change in changes:
        model = by_table[change.table]
        if model is None:
            continue
        wanted.setdefault(model, set()).add(change.row_id)
        columns = {f.column: f for f in model._meta.concrete_fields}
        for column, pair in change.changes.items():
            f = columns.get(column)
            if f is not None and f.is_relation and isinstance(f.related_model, type):
                wanted.setdefault(f.related_model, set()).update(v for v in pair if v is not None)
    names = _names(wanted)
    result = []
    for change in changes:
        model = by_table[change.table]
        columns = {f.column: f for f in model._meta.concrete_fields} if model else {}
        fields = []
        for column, pair in sorted(change.changes.items()):
            f = columns.get(column)
            old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            target = f.related_model if f is not None and f.is_relation else None
            related = names.get(target, {}) if isinstance(target, type) else {}
            label = str(f.verbose_name).capitalize() if f is not None else column
            fields.append(FieldChange(label, _shown(f, old, related), _shown(f, new, related)))
        row_names = names.get(model, {}) if model else {}
        result.append(
            ChangeRow(
                change=change,
                kind=kind_of(model) if model else "",
                kind_label=_label(model) if model else change.table,
                object_label=row_names.get(change.row_id, f"#{change.row_id}"),
                actor=names[User].get(change.actor_id, "A removed person") if change.actor_id else "The system",
                fields=fields,
            )
        )
    return result


def when_text(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def of_account(account_id: int) -> models.QuerySet[DataChange]:
    """Every change to the account and to the rows that belong to it, newest first."""
    return DataChange.objects.filter(account_id=account_id)


def of_row(model: type[models.Model], row_id: int) -> models.QuerySet[DataChange]:
    """Every change to one row, newest first (also after it was deleted)."""
    return DataChange.objects.filter(table=model._meta.db_table, row_id=row_id)


def filtered(changes: models.QuerySet[DataChange], data: dict[str, Any]) -> models.QuerySet[DataChange]:
    """The changes a filter form's cleaned data asks for (``sam.forms.ChangeFilterForm``)."""
    if data.get("person"):
        changes = changes.filter(actor_id=data["person"].pk)
    if data.get("kind"):
        model = model_of_kind(data["kind"])
        changes = changes.filter(table=model._meta.db_table) if model else changes.none()
        if data.get("row"):
            changes = changes.filter(row_id=data["row"])
    if data.get("action"):
        changes = changes.filter(action=data["action"])
    if data.get("since"):
        changes = changes.filter(created_at__date__gte=data["since"])
    if data.get("until"):
        changes = changes.filter(created_at__date__lte=data["until"])
    return changes


def account_kinds() -> list[tuple[str, str]]:
    """The kinds of row that belong to an account (its own and those of the rows it holds)."""
    return sorted(
        ((kind_of(m), _label(m)) for m in tracked_models() if any(account_path(m))),
        key=lambda k: k[1].lower(),
    )


EXPORT_ROWS = 100_000
CSV_CHUNK = 10_000  # changes named per query (one UNION for the names of a batch)


def write_csv(out: Any, changes: models.QuerySet[DataChange]) -> None:
    """The changes as CSV, one line per field changed, newest first; every text cell made inert for spreadsheets."""
    import csv

    from sam.csvsafe import neutralise

    writer = csv.writer(out)
    writer.writerow(["When", "Person", "Action", "What", "Row", "Name", "Field", "Old value", "New value", "Origin"])
    batch: list[DataChange] = []
    for change in changes.iterator(chunk_size=CSV_CHUNK):
        batch.append(change)
        if len(batch) == CSV_CHUNK:
            _csv_rows(writer, batch, neutralise)
            batch = []
    _csv_rows(writer, batch, neutralise)


def _csv_rows(writer: Any, batch: list[DataChange], neutralise: Any) -> None:
    for row in rows(batch):
        head = [
            when_text(row.change.created_at),
            row.actor,
            row.action_label,
            row.kind_label,
            row.change.row_id,
            row.object_label,
        ]
        for f in row.fields or [FieldChange("", "", "")]:
            cells = [*head, f.label, f.old, f.new, row.change.origin]
            writer.writerow([neutralise(c) if isinstance(c, str) else c for c in cells])


def account_of(obj: models.Model) -> int | None:
    """The account a row belongs to (as its recorded changes name it), or None."""
    column, hops = account_path(type(obj))
    if not column:
        return None
    value = getattr(obj, column if column != "id" else "pk", None)
    for hop in [h for h in hops.split(",") if h]:
        table, _, next_column = hop.partition(":")
        target = model_of_table(table)
        if target is None or not isinstance(value, int):
            return None
        field = next(f for f in target._meta.concrete_fields if f.column == next_column)
        value = target._default_manager.filter(pk=value).values_list(field.attname, flat=True).first()
    return value if isinstance(value, int) else None
