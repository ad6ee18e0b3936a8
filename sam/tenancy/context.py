"""The current tenant: a contextvar for the ORM, a transaction-local setting for PostgreSQL.

Requests get it from the middleware, Celery tasks from the task base, and
everything else from ``with tenant_context(tenant):``. The database setting
is ``set_config(..., is_local => true)``: it lives only as long as the
surrounding transaction, so a pooled connection never carries a tenant into
the next request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections, transaction
from django.db.models import DateTimeField
from django.http import Http404
from django.utils.dateparse import parse_datetime

from sam.db import Rows, columns, from_row, run_ahead_of, run_together
from sam.tenancy.rls import TENANT_EXPR

if TYPE_CHECKING:
    from sam.models import Membership, Tenant


def _model(name: str) -> Any:
    """A model of the core, looked up when used: ``sam.models`` imports this module (through the tenant-owned
    base), so this module does not import it back."""
    return apps.get_model("sam", name)


class NoTenantActive(RuntimeError):
    """A tenant-owned model was queried with no tenant in context."""


@dataclass(frozen=True)
class _State:
    tenant_id: int | None
    user_id: int | None
    tenant: Tenant | None


_state: ContextVar[_State | None] = ContextVar("sam_tenant_state", default=None)
# Where the work comes from (a request's id, a task's name and id): set with the tenant, so that the database's
# record of each data change (sam/history.py) names it.
_origin: ContextVar[str] = ContextVar("sam_origin", default="")

_SET_SQL = (
    "SELECT set_config('sam.tenant_id', %s, true), set_config('sam.user_id', %s, true), "
    "set_config('sam.origin', %s, true)"
)
_SETTINGS = 3  # the columns _SET_SQL and _entering answer before any other


@contextmanager
def origin(text: str) -> Iterator[None]:
    """Name where the block's work comes from (e.g. "request <id>", "task <name> <id>") in the database's record of
    the data it changes; the tenant contexts entered inside the block carry it."""
    token = _origin.set(text[:200])
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> str:
    return _origin.get()


def current_tenant_id(*, required: bool = True) -> int | None:
    state = _state.get()
    if state is None or state.tenant_id is None:
        if required:
            raise NoTenantActive(
                "No tenant is active. Use tenant_context(tenant) or the tenant-scoped request, "
                "or the explicit Model.unscoped manager in platform code."
            )
        return None
    return state.tenant_id


def current_tenant() -> Tenant | None:
    state = _state.get()
    return state.tenant if state else None


def required_tenant() -> Tenant:
    """The current tenant, where work cannot go on without one (raises ``NoTenantActive``)."""
    tenant = current_tenant()
    if tenant is None:
        raise NoTenantActive("No tenant is active.")
    return tenant


def _settings(state: _State | None) -> list[str]:
    tenant = "" if state is None or state.tenant_id is None else str(state.tenant_id)
    user = "" if state is None or state.user_id is None else str(state.user_id)
    return [tenant, user, _origin.get()]


def _apply(state: _State | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_SET_SQL, _settings(state))


def enter_on(using: str, *, also: str = "", params: Sequence[Any] = ()) -> tuple[Any, ...]:
    """Set the current tenant and user for the transaction open on the connection ``using`` (a replica's), so that
    its statements pass row-level security as those of the default connection do; ``also`` adds columns to the same
    statement (with ``params``), whose values are returned."""
    assert using != DEFAULT_DB_ALIAS and connections[using].in_atomic_block, "a transaction of another connection"
    with connections[using].cursor() as cursor:
        cursor.execute(_SET_SQL + (f", {also}" if also else ""), [*_settings(_state.get()), *params])
        row = cursor.fetchone()
    return tuple(row[_SETTINGS:]) if row else ()


@contextmanager
def tenant_context(tenant: Tenant | None, *, user_id: int | None = None) -> Iterator[Tenant | None]:
    """Run the block for one tenant (and optionally one user) inside a transaction.

    ``tenant=None`` with a ``user_id`` is the signed-in user outside any
    tenant: it can read its own memberships and nothing tenant-owned.
    """
    previous = _state.get()
    state = _State(tenant_id=tenant.pk if tenant else None, user_id=user_id, tenant=tenant)
    token = _state.set(state)
    nested = connection.in_atomic_block
    try:
        with transaction.atomic():
            _apply(state)
            yield tenant
            # On an exception, or a block marked for rollback, the rollback
            # (of the savepoint or the transaction) undoes the setting. The
            # end of an outermost transaction drops it too; only a nested
            # block must restore the outer setting.
            if nested and not transaction.get_rollback():
                _apply(previous)
    finally:
        _state.reset(token)


@contextmanager
def tenant_chosen(tenant: Tenant) -> Iterator[Tenant]:
    """Make ``tenant`` the current one without opening a transaction, for work that commits in steps (a long
    render): each step runs in ``tenant_context(current_tenant())``. Outside a step, PostgreSQL has no tenant
    setting, so row-level security shows no tenant's rows and refuses every write."""
    token = _state.set(_State(tenant_id=tenant.pk, user_id=None, tenant=tenant))
    try:
        yield tenant
    finally:
        _state.reset(token)


def _entering(where: str, params: Sequence[Any], user_id: int | None) -> tuple[str, list[Any]]:
    """The statement that sets the transaction-local settings to the active tenant matching ``where`` and returns
    its row; when none matches it sets the tenant to none (so the statements after it see no tenant's rows, even
    inside another tenant's transaction) and the row's columns are null."""
    Tenant = _model("Tenant")
    # Column names come from the model's own metadata; ``where`` is the caller's constant text naming the
    # tenant's columns; values are parameters.
    sql = (
        "SELECT set_config('sam.tenant_id', COALESCE(t.id::text, ''), true), "  # noqa: S608
        "set_config('sam.user_id', %s, true), set_config('sam.origin', %s, true), "
        + columns(Tenant, "t")
        + f" FROM (SELECT 1) AS one LEFT JOIN sam_tenant t ON ({where}) AND t.active"
    )
    return sql, ["" if user_id is None else str(user_id), _origin.get(), *params]


def _tenant_of(rows: Rows) -> Tenant | None:
    Tenant = _model("Tenant")
    return from_row(Tenant, rows[0], _SETTINGS) if rows and rows[0][_SETTINGS] is not None else None


@contextmanager
def tenant_context_fetching(
    where: str,
    params: Sequence[Any],
    then: Sequence[tuple[str, Sequence[Any]]] = (),
    *,
    user_id: int | None = None,
    prepared: bool = False,
) -> Iterator[tuple[Tenant | None, list[Rows]]]:
    """Enter the active tenant matching ``where`` and run the ``then`` statements under it, in one round trip
    (``sam.db.run_together``; ``prepared`` for the hottest paths).

    The statements are sent together, each after the first running once it
    has set the tenant, so row-level security applies to them as to any
    other query. Yields the tenant and the rows of each ``then`` statement;
    ``(None, rows)`` when no active tenant matches (the statements then saw
    no tenant's rows).
    """
    previous = _state.get()
    nested = connection.in_atomic_block
    with transaction.atomic():
        tenant_rows, *rows = run_together([_entering(where, params, user_id), *then], prepared=prepared)
        tenant = _tenant_of(tenant_rows)
        if tenant is None:
            yield None, rows
            if nested and not transaction.get_rollback():
                _apply(previous)
            return
        token = _state.set(_State(tenant_id=tenant.pk, user_id=user_id, tenant=tenant))
        try:
            yield tenant, rows
            if nested and not transaction.get_rollback():
                _apply(previous)
        finally:
            _state.reset(token)


def tenant_run_once(
    where: str, params: Sequence[Any], then: Sequence[tuple[str, Sequence[Any]]]
) -> tuple[Tenant | None, list[Rows]]:
    """Enter the active tenant matching ``where``, run the ``then`` statements under it and commit: one
    transaction in one round trip, for the hottest writes (``tenant_context_fetching`` without the BEGIN and
    COMMIT round trips). Outside any transaction the statements go as one pipeline, whose implicit transaction
    commits as the round trip ends (an error rolls all of it back); inside one they run in a savepoint and the
    caller's tenant settings come back after. Returns the tenant (None when none matched: the statements then
    saw no tenant's rows) and each statement's rows."""
    if connection.in_atomic_block:
        with tenant_context_fetching(where, params, then, prepared=True) as (tenant, rows):
            return tenant, rows
    tenant_rows, *rows = run_together([_entering(where, params, None), *then], prepared=True)
    return _tenant_of(tenant_rows), rows


def _member_statement(user_id: int) -> tuple[str, list[Any]]:
    """The user's membership in the tenant the transaction has entered: the one statement that finds it."""
    Membership = _model("Membership")
    sql = f"SELECT {columns(Membership)} FROM sam_membership WHERE user_id = %s AND tenant_id = {TENANT_EXPR}"  # noqa: S608
    return sql, [user_id]


def _membership_of(rows: Rows, tenant: Tenant) -> Membership | None:
    Membership = _model("Membership")
    if not rows:
        return None
    membership = from_row(Membership, rows[0])
    membership.tenant = tenant
    return membership


def current_membership(user_id: int) -> Membership | None:
    """The user's membership in the current tenant (entered with ``tenant_context``), or None."""
    tenant = current_tenant()
    if tenant is None:
        return None
    sql, params = _member_statement(user_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _membership_of(cursor.fetchall(), tenant)


@contextmanager
def member_context_by_slug(slug: str, *, user_id: int) -> Iterator[tuple[Tenant | None, Membership | None]]:
    """Enter the active tenant with this slug and find the user's membership in it, in one round trip.

    The per-request fast path of the middleware. Yields ``(None, None)``
    with no tenant entered when no active tenant has the slug, and
    ``(tenant, None)`` (entered) when the user is no member.
    """
    with tenant_context_fetching("slug = %s", [slug], [_member_statement(user_id)], user_id=user_id) as (
        tenant,
        rows,
    ):
        membership = _membership_of(rows[0], tenant) if tenant is not None else None
        yield (tenant, membership) if tenant is not None else (None, None)


# --- The remembered entry: a request that runs no query touches no database ---------------------------------


def entry_snapshot(tenant: Tenant, membership: Membership) -> list[Any]:
    """The tenant's and the membership's rows as plain JSON values, to keep in the session."""
    return [_plain(tenant), _plain(membership)]


def _plain(obj: Any) -> list[Any]:
    values = (getattr(obj, f.attname) for f in obj._meta.concrete_fields)
    return [value.isoformat() if isinstance(value, datetime) else value for value in values]


def _thaw(model: Any, values: Sequence[Any]) -> Any:
    fields = model._meta.concrete_fields
    row = [
        parse_datetime(v) if isinstance(f, DateTimeField) and isinstance(v, str) else v
        for f, v in zip(fields, values, strict=True)
    ]
    return from_row(model, row)


class RememberedEntry:
    """The tenant and membership a session remembers, checked by the request's first statement.

    A request on the remembered path opens its transaction without a round trip. Its first statement (any
    statement, a SAVEPOINT included) is preceded by the usual entry: the tenant's settings and the fresh tenant and
    membership rows, in one round trip. When those rows differ from the remembered ones (a role changed, a member
    removed, a workspace renamed or deactivated) or the connection turns out broken before anything ran, the entry
    is ``stale``: the settings are cleared, so every later statement of the transaction sees no tenant's rows, the
    statement fails, and the middleware rolls back and runs the request again on the full path. A request that runs
    no statement reads nothing, so it is answered from the remembered rows alone.
    """

    def __init__(self, snapshot: Sequence[Any], *, user_id: int) -> None:
        tenant_model, membership_model = _model("Tenant"), _model("Membership")
        shapes = (len(tenant_model._meta.concrete_fields), len(membership_model._meta.concrete_fields))
        if not (
            isinstance(snapshot, list)
            and len(snapshot) == 2
            and all(isinstance(rows, list) and len(rows) == n for rows, n in zip(snapshot, shapes, strict=True))
        ):
            raise ValueError("Not a remembered entry of this version of the rows.")
        self.snapshot = [list(snapshot[0]), list(snapshot[1])]
        self.user_id = user_id
        self.tenant: Tenant = _thaw(tenant_model, snapshot[0])
        self.membership: Membership = _thaw(membership_model, snapshot[1])
        if self.membership.tenant_id != self.tenant.pk:
            raise ValueError("The remembered membership is not of the remembered workspace.")
        self.membership.tenant = self.tenant
        self.pending = True
        self.stale = False

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not self.pending:
            return execute(sql, params, many, context)
        cursor = getattr(context.get("cursor"), "cursor", None)
        if many or not isinstance(cursor, psycopg.ClientCursor) or connection.connection is None:
            self.verify()
            return execute(sql, params, many, context)
        # The request's first statement rides behind the entry, in the same round trip; its rows are handed
        # over only when the entry holds.
        self.pending = False
        ahead = run_ahead_of(self._statements(), lambda: execute(sql, params, many, context))
        if ahead.rows is None:
            if ahead.error is not None and self._lost(ahead.error):
                self.stale = True
                raise StaleEntry("The database connection was lost before the request ran.") from None
            raise ahead.error or StaleEntry("The entry did not run.")
        # After an error the transaction takes no more statements: nothing to clear then.
        self._compare(ahead.rows, clear=ahead.error is None)
        if ahead.error is not None:
            raise ahead.error
        return ahead.result

    def _statements(self) -> list[tuple[str, list[Any]]]:
        return [_entering("id = %s", [self.tenant.pk], self.user_id), _member_statement(self.user_id)]

    @staticmethod
    def _lost(error: BaseException) -> bool:
        return isinstance(error, OperationalError | InterfaceError) and (
            connection.connection is None or bool(connection.connection.broken)
        )

    def verify(self) -> None:
        """Enter the tenant and check the remembered rows, once: before the first statement, or for an answer
        decided on the remembered rows alone (a refusal). Raises ``StaleEntry`` when they no longer hold."""
        if self.pending:
            self.pending = False
            self._check()

    def _check(self) -> None:
        try:
            rows = run_together(self._statements(), prepared=True)
        except (OperationalError, InterfaceError) as exc:
            if self._lost(exc):
                self.stale = True
                raise StaleEntry("The database connection was lost before the request ran.") from None
            raise
        self._compare(rows)

    def _compare(self, rows: list[Rows], *, clear: bool = True) -> None:
        tenant_rows, member_rows = rows
        tenant = _tenant_of(tenant_rows)
        membership = _membership_of(member_rows, tenant) if tenant is not None else None
        if tenant is None or membership is None or entry_snapshot(tenant, membership) != self.snapshot:
            self.stale = True
            if clear:
                _apply(None)  # fail closed, whatever catches the error below
            raise StaleEntry("The workspace or the membership changed since the session remembered them.")


class StaleEntry(Http404):
    """The remembered entry no longer holds; nothing of the request has run (see ``RememberedEntry``). Django
    turns it into a quiet 404 response, which the middleware throws away to run the request again."""


@contextmanager
def member_context_remembered(entry: RememberedEntry) -> Iterator[RememberedEntry]:
    """Run the block in the remembered tenant: one transaction, opened without a round trip, entered before its
    first statement, checked by it. The caller looks at ``entry.stale`` afterwards."""
    token = _state.set(_State(tenant_id=entry.tenant.pk, user_id=entry.user_id, tenant=entry.tenant))
    try:
        with transaction.atomic(), connection.execute_wrapper(entry):
            # The entry's own round trip tells whether the connection works (as CONN_HEALTH_CHECKS' SELECT 1
            # would); set after BEGIN, which ensures the connection and runs the health check of a reused one.
            connection.health_check_done = True  # type: ignore[attr-defined]
            yield entry
            if entry.stale:
                transaction.set_rollback(True)
    finally:
        _state.reset(token)


@contextmanager
def user_context(user_id: int) -> Iterator[None]:
    """Let the signed-in user read their own rows of every tenant (e.g. memberships).

    Inside a request of that same user this adds nothing; elsewhere it opens
    a user-only context without any tenant.
    """
    state = _state.get()
    if state is not None and state.user_id == user_id and connection.in_atomic_block:
        yield
        return
    with tenant_context(None, user_id=user_id):
        yield


@contextmanager
def no_tenant() -> Iterator[None]:
    """Explicitly leave any tenant: platform code that must not see tenant rows."""
    token = _state.set(None)
    try:
        yield
    finally:
        _state.reset(token)
