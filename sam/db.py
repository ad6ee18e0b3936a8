"""Raw SQL for the few hot paths: model columns and rows, and several statements in one round trip.

Django's own cursors bind parameters on the client, so PostgreSQL plans every statement afresh. For a hot
path, ``run_together(..., prepared=True)`` sends its statements in one pipeline with parameters bound on the
server, and the server keeps each statement's plan for the life of the connection (connections persist, see
``CONN_MAX_AGE``). The queries still pass through Django's cursor wrapper, so query logging and counting see
them. ``DB_PREPARED_STATEMENTS=false`` turns preparing off (``DB_TRANSACTION_POOLING=true`` does, for a pooler in
transaction mode); the statements then run unprepared, in the same single round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from django.db import DatabaseError, InterfaceError, OperationalError, connection

if TYPE_CHECKING:
    from django.db.models import Model

M = TypeVar("M", bound="Model")
Rows = list[tuple[Any, ...]]


def columns(model: type[Model], alias: str = "") -> str:
    """The model's concrete columns, quoted (and prefixed with ``alias.``), in field order, for raw SELECTs."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + quote(str(f.column)) for f in model._meta.concrete_fields)


def from_row(model: type[M], row: Sequence[Any], start: int = 0) -> M:
    """A model instance from a raw row selected with ``columns(model)`` starting at ``start``."""
    fields = model._meta.concrete_fields
    return model.from_db("default", [f.attname for f in fields], list(row[start : start + len(fields)]))


def run_together(statements: Sequence[tuple[str, Sequence[Any]]], *, prepared: bool = False) -> list[Rows]:
    """Run the statements in order in one round trip and return each one's rows (statements without rows,
    such as an UPDATE without RETURNING, give an empty list). Each statement sees the effects of the ones
    before it (e.g. a ``set_config``). Outside a transaction the statements form one transaction of their own,
    committed as the round trip ends; an error in any rolls back all of them."""
    if not prepared:
        with connection.cursor() as cursor:
            cursor.execute("; ".join(sql for sql, _ in statements), [v for _, values in statements for v in values])
            results = [_rows(cursor)]
            for _ in statements[1:]:
                cursor.nextset()
                results.append(_rows(cursor))
        return results
    if connection.in_atomic_block:
        connection.close_if_health_check_failed()  # as Django's own cursors do (CONN_HEALTH_CHECKS)
        return _pipeline(statements)
    # A transaction of its own. The connection is checked by using it: one the server dropped meanwhile (a
    # restart, an idle timeout) fails before anything ran, so it is replaced and the trip made again, once.
    try:
        return _pipeline(statements)
    except (OperationalError, InterfaceError):
        if connection.connection is not None and not connection.connection.broken:
            raise
        connection.close()
    return _pipeline(statements)


@dataclass
class AheadOf:
    """What ``run_ahead_of`` brought back: the statements' rows (None when they did not all run), the result of
    the statement behind them, and the database error the round trip raised (Django's kind), if any."""

    rows: list[Rows] | None
    result: Any = None
    error: DatabaseError | None = None


def run_ahead_of(statements: Sequence[tuple[str, Sequence[Any]]], then: Callable[[], Any]) -> AheadOf:
    """Send the statements (prepared, bound on the server) and, behind them in the same pipeline, the one
    statement ``then()`` executes on a Django cursor: one round trip for all. The caller looks at the rows
    before it uses the result; an error of the statement behind them leaves their rows readable."""
    connection.ensure_connection()
    raw = connection.connection
    cursors = [_server_bound(raw) for _ in statements]
    result = AheadOf(rows=None)
    try:
        logged = len(connection.queries_log) if connection.queries_logged else None
        try:
            with connection.wrap_database_errors, raw.pipeline():
                for cursor, (sql, values) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, values)
                result.result = then()
        except DatabaseError as exc:
            result.error = exc
        if logged is not None:
            for entry, (sql, _) in zip(list(connection.queries_log)[logged:], statements, strict=False):
                entry["sql"] = entry["sql"] or sql
        try:
            result.rows = [_rows(cursor) for cursor in cursors]
        except psycopg.Error:  # they did not all run: the error above says why
            result.rows = None
        return result
    finally:
        for cursor in cursors:
            cursor.close()


def _pipeline(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[Rows]:
    connection.ensure_connection()
    raw = connection.connection
    cursors = [_server_bound(raw) for _ in statements]
    try:
        logged = len(connection.queries_log) if connection.queries_logged else None
        with connection.wrap_database_errors, raw.pipeline():  # errors surface as Django's (e.g. IntegrityError)
            for cursor, (sql, values) in zip(cursors, statements, strict=True):
                cursor.execute(sql, values)
        if logged is not None:  # a pipelined statement is logged before it is sent: no text yet, so name it
            for entry, (sql, _) in zip(list(connection.queries_log)[logged:], statements, strict=False):
                entry["sql"] = entry["sql"] or sql
        return [_rows(cursor) for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _server_bound(raw: psycopg.Connection[Any]) -> Any:
    cursor: Any = psycopg.Cursor(raw)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


def _rows(cursor: Any) -> Rows:
    return list(cursor.fetchall()) if cursor.description is not None else []
