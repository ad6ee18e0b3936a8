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
    from sam.models import Tenant


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
    try:
        with transaction.atomic():
            _apply(state)
            yield tenant
            # On an exception, or a block marked for rollback, the rollback
            # (of the savepoint or the transaction) undoes the setting; on
            # success restore the outer one here.
            if not transaction.get_rollback():
                _apply(previous)
    finally:
        _state.reset(token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Explicitly leave any tenant: platform code that must not see tenant rows."""
    token = _state.set(None)
    try:
        yield
    finally:
        _state.reset(token)
