"""The current tenant: a contextvar for the ORM, a transaction-local setting for PostgreSQL.

Requests get it from the middleware, Celery tasks from the task base, and
everything else from ``with tenant_context(tenant):``. The database setting
is ``set_config(..., is_local => true)``: it lives only as long as the
surrounding transaction, so a pooled connection never carries a tenant into
the next request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction

if TYPE_CHECKING:
    from sam.models import Membership, Tenant


class NoTenantActive(RuntimeError):
    """A tenant-owned model was queried with no tenant in context."""


@dataclass(frozen=True)
class _State:
    tenant_id: int | None
    user_id: int | None
    tenant: Tenant | None


_state: ContextVar[_State | None] = ContextVar("sam_tenant_state", default=None)

_SET_SQL = "SELECT set_config('sam.tenant_id', %s, true), set_config('sam.user_id', %s, true)"


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


def _apply(state: _State | None) -> None:
    tenant = "" if state is None or state.tenant_id is None else str(state.tenant_id)
    user = "" if state is None or state.user_id is None else str(state.user_id)
    with connection.cursor() as cursor:
        cursor.execute(_SET_SQL, [tenant, user])


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
def member_context_by_slug(slug: str, *, user_id: int) -> Iterator[tuple[Tenant | None, Membership | None]]:
    """Enter the active tenant with this slug and find the user's membership in it, in one round trip.

    The per-request fast path of the middleware: two statements sent
    together, the second running after the first has set the tenant, so
    row-level security applies to the membership lookup as to any other.
    Yields ``(None, None)`` with nothing entered when no active tenant has
    the slug, and ``(tenant, None)`` (entered) when the user is no member.
    """
    from sam.models import Membership, Tenant

    tenant_fields = Tenant._meta.concrete_fields
    member_fields = Membership._meta.concrete_fields
    quote = connection.ops.quote_name
    # Column names come from the models' own metadata, quoted; values are parameters.
    sql = (
        "SELECT set_config('sam.tenant_id', id::text, true), set_config('sam.user_id', %s, true), "  # noqa: S608
        + ", ".join(quote(str(f.column)) for f in tenant_fields)
        + " FROM sam_tenant WHERE slug = %s AND active; "
        + "SELECT "
        + ", ".join(quote(str(f.column)) for f in member_fields)
        + " FROM sam_membership WHERE user_id = %s AND tenant_id = "
        + "NULLIF(current_setting('sam.tenant_id', true), '')::bigint"
    )
    previous = _state.get()
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [str(user_id), slug, user_id])
            tenant_row = cursor.fetchone()
            cursor.nextset()
            member_row = cursor.fetchone()
        if tenant_row is None:
            yield None, None
            return
        tenant = Tenant.from_db("default", [f.attname for f in tenant_fields], list(tenant_row[2:]))
        membership = None
        if member_row is not None:
            membership = Membership.from_db("default", [f.attname for f in member_fields], list(member_row))
            membership.tenant = tenant
        token = _state.set(_State(tenant_id=tenant.pk, user_id=user_id, tenant=tenant))
        try:
            yield tenant, membership
            if nested and not transaction.get_rollback():
                _apply(previous)
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
