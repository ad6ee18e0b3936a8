"""The dashboard's and the reports' reads from a streaming replica, when one is configured and keeps up.

``read_replica(compute)`` runs ``compute`` with its reads on the ``replica`` database (``DATABASE_REPLICA_URL``, a
hot standby of the primary) and everything else on the primary, or all of it on the primary when the replica
cannot serve it:

* none is configured, or a check (every ``DB_REPLICA_CHECK_INTERVAL`` seconds) found it not answering or more than
  ``DB_REPLICA_MAX_LAG`` seconds behind (said once in the log when it happens, and once when it is well again);
* the primary's transaction has written: its own rows are on the primary only until it commits;
* the replica has not replayed, within ``DB_REPLICA_WAIT_MS``, everything the primary had written when the read
  began: a page never shows figures older than the change that led to it (the dashboard's cache is renewed on
  every write and would keep them), nor a report the state before the edit made just before asking for it;
* the replica fails during the read (it is then checked again at the next one).

On the replica the reads run in a transaction of their own that enters the current tenant (and user) with the
same transaction-local settings as the primary's, so row-level security holds there as it does on the primary;
the statement that enters it also says whether the replica has caught up. A write inside ``compute`` goes to the
primary (``ReplicaRouter``), and the reads after it too.

The primary's statement that asks whether its transaction wrote is also the request's first, when it has run none
yet: the remembered tenant entry (sam/tenancy/context.py) is checked by it, whatever database serves the reads.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections, transaction

from sam.tenancy.context import enter_on

REPLICA = "replica"
T = TypeVar("T")
log = logging.getLogger(__name__)

# How far behind the replica is: nothing when it has replayed all it received (an idle primary writes nothing, so
# the time of the last replayed commit says nothing then), else the age of the last commit it replayed.
_LAG_SQL = (
    "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, 'Infinity') END"
)
# Whether the primary's transaction wrote, and where its WAL ends (every commit so far, asynchronous ones too).
_PRIMARY_SQL = "SELECT pg_current_xact_id_if_assigned() IS NOT NULL, pg_current_wal_insert_lsn()::text"
# Whether the replica has replayed up to a point of the primary's WAL (a server not in recovery has it all).
_REPLAYED = "COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, true)"
_POLL = 0.01


@dataclass(frozen=True)
class _Health:
    checked_at: float
    usable: bool
    known: bool  # checked at least once: the log says only what changed since


_health = _Health(checked_at=-math.inf, usable=False, known=False)


@dataclass
class _Block:
    """A ``read_replica`` under way: where its reads go, and whether the replica failed it."""

    alias: str
    wrote: bool = False
    failed: bool = False

    def watch(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            self.failed = True
            raise


_block: ContextVar[_Block | None] = ContextVar("sam_replica_block", default=None)


class ReplicaRouter:
    """Reads inside ``read_replica`` go where it chose; everything else, every write, to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        block = _block.get()
        return block.alias if block is not None and not block.wrote else DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        block = _block.get()
        if block is not None:
            block.wrote = True  # what it wrote is on the primary only: the block's later reads go there too
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return None if db == DEFAULT_DB_ALIAS else False  # a replica follows the primary's schema


def configured() -> bool:
    return REPLICA in connections.settings


def recheck() -> None:
    """Check the replica again at the next read (after a failover, and in tests)."""
    global _health
    _health = replace(_health, checked_at=-math.inf)


def replica_usable() -> bool:
    """Whether the last check (made now when the previous one is older than ``DB_REPLICA_CHECK_INTERVAL``) found the
    replica answering and no further behind than ``DB_REPLICA_MAX_LAG`` seconds."""
    if not configured():
        return False
    now = time.monotonic()
    if now - _health.checked_at >= settings.DB_REPLICA_CHECK_INTERVAL:
        _check(now)
    return _health.usable


def _check(now: float) -> None:
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(_LAG_SQL)
            row = cursor.fetchone()
        lag = float(row[0]) if row else math.inf
    except (OperationalError, InterfaceError) as exc:
        replica.close()
        _judge(now, f"does not answer ({_first_line(exc)})")
        return
    bound = settings.DB_REPLICA_MAX_LAG
    _judge(now, f"is {lag:.1f} s behind the primary (the bound is {bound} s)" if lag > bound else "")


def _judge(now: float, trouble: str) -> None:
    global _health
    was = _health
    _health = _Health(checked_at=now, usable=not trouble, known=True)
    if trouble and (was.usable or not was.known):
        log.warning("Dashboard and report reads go to the primary: the replica %s.", trouble)
    elif not trouble and was.known and not was.usable:
        log.warning("Dashboard and report reads go to the replica again.")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def read_replica(compute: Callable[[], T]) -> T:
    """``compute()`` with its reads on the replica when it can serve them, else on the primary (see above)."""
    if _block.get() is not None or not configured() or not replica_usable():
        return compute()
    wrote, lsn = _primary_state()
    if wrote:
        return compute()
    block = _Block(REPLICA)
    try:
        with ExitStack() as stack:
            try:
                caught_up = _enter(stack, block, lsn)
            except (OperationalError, InterfaceError):
                block.failed = True
                raise
            if caught_up:
                with _reading(block):
                    return compute()
    except DatabaseError as exc:
        if not block.failed or block.wrote:  # what wrote is not run twice
            raise
        _failed(exc)
    # The replica failed, or is still behind the primary (its transaction ended with the stack).
    return compute()


def _primary_state() -> tuple[bool, str]:
    primary = connections[DEFAULT_DB_ALIAS]
    with primary.cursor() as cursor:
        cursor.execute(_PRIMARY_SQL)
        row = cursor.fetchone()
    return (bool(row[0]), str(row[1])) if row else (True, "")


def _enter(stack: ExitStack, block: _Block, lsn: str) -> bool:
    """Open the replica's transaction, enter the current tenant there, and wait (up to ``DB_REPLICA_WAIT_MS``) for
    the replica to replay the primary's WAL up to ``lsn``; whether it did."""
    replica = connections[REPLICA]
    stack.enter_context(transaction.atomic(using=REPLICA))
    stack.enter_context(replica.execute_wrapper(block.watch))
    (caught_up,) = enter_on(REPLICA, also=_REPLAYED, params=[lsn])
    deadline = time.monotonic() + settings.DB_REPLICA_WAIT_MS / 1000
    while not caught_up and time.monotonic() < deadline:
        time.sleep(_POLL)
        with replica.cursor() as cursor:
            cursor.execute(f"SELECT {_REPLAYED}", [lsn])
            row = cursor.fetchone()
        caught_up = bool(row and row[0])
    return bool(caught_up)


@contextmanager
def _reading(block: _Block) -> Iterator[None]:
    token = _block.set(block)
    try:
        yield
    finally:
        _block.reset(token)


def _failed(exc: BaseException) -> None:
    log.warning("A read on the replica failed (%s); it is read from the primary.", _first_line(exc))
    recheck()
