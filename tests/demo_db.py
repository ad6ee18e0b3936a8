"""The demo data, seeded once per test run and copied for every test that asks for it.

Seeding the demo runs the whole product (scorecards computed, surveys answered, QBRs scheduled) and takes
seconds; PostgreSQL copies a database from a template in a fraction of one. So the first test of the run that
asks for the demo seeds it into a database of its own, which then serves as the template of a fresh copy for
each test, in every worker process: the others wait for it under a file lock rather than seed it again.
While the test runs, every connection of the process (the live server's threads and a Celery worker started by
the test included) goes to that copy; afterwards the worker's own database is back, untouched.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

from sam.models import Tenant

_IN_USE = "55006"  # object_in_use: a database still has a connection
# One run of the suite: the same in its worker processes (pytest-xdist), different from any other run
# (conftest.py's pytest_configure names it in the main process, before the workers start).
IN_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))


def shared_prefix() -> str:
    """Seeded demos are named after the run's test database, so that runs with their own test database
    (``TEST_DATABASE_NAME``) on one server never drop each other's."""
    from django.conf import settings

    return re.sub(r"\W", "", settings.DATABASES["default"]["TEST"]["NAME"] or "test_sam")[:30] + "_demo_"


class DemoDatabases:
    """The suite's database, an empty migrated template of it, the seeded demo and the per-test copies."""

    _session: DemoDatabases | None = None

    @classmethod
    def start(cls) -> DemoDatabases:
        """Called once the test database is migrated (conftest.py's django_db_setup)."""
        cls._session = cls()
        cls._session.save_blank()
        return cls._session

    @classmethod
    def current(cls) -> DemoDatabases:
        assert cls._session is not None, "the test database is not set up"
        return cls._session

    def __init__(self) -> None:
        self.settings_dict = connections["default"].settings_dict  # the one dict every thread's connection reads
        self.home = str(self.settings_dict["NAME"])
        self.blank = f"{self.home}_blank"
        self.seeded = shared_name()
        self.copies: list[str] = []
        self.made = 0
        self.ready = False

    def _admin(self) -> psycopg.Connection[Any]:
        return _admin()

    def _create(self, name: str, template: str) -> None:
        with self._admin() as conn:
            for _ in range(100):  # the template may keep a closing connection for a moment
                try:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
                    )
                    return
                except psycopg.errors.ObjectInUse:
                    time.sleep(0.05)
            raise RuntimeError(f"{template} is still in use; cannot copy it to {name}")

    def _drop(self, name: str, *, wait: float) -> bool:
        deadline = time.monotonic() + wait
        with self._admin() as conn:
            while True:
                try:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                    return True
                except psycopg.errors.ObjectInUse:
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.05)

    def _use(self, name: str) -> None:
        connections.close_all()
        self.settings_dict["NAME"] = name

    def save_blank(self) -> None:
        """Right after the migrations, while nothing else is connected: the empty database, kept as a template."""
        connections.close_all()
        with self._admin() as conn:  # what an interrupted run left behind
            stale = conn.execute(
                "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
                [self.blank, f"{self.home}_demo_".replace("_", "\\_") + "%"],
            ).fetchall()
        for (name,) in stale:
            self._drop(name, wait=5)
        self._create(self.blank, self.home)

    def enter(self) -> list[Tenant]:
        from sam.demo import TENANTS, seed_demo

        if not self.ready:
            with _run_lock("demo"):  # another worker may be seeding it right now: wait, then copy it
                if not self._exists(self.seeded):
                    self._create(self.seeded, self.blank)
                    self._use(self.seeded)
                    try:
                        seed_demo()
                    except BaseException:
                        self._use(self.home)
                        self._drop(self.seeded, wait=5)  # the next test seeds again and shows the same error
                        raise
                    self._use(self.home)
            self.ready = True
        while self.copies and self._drop(self.copies[0], wait=0):
            self.copies.pop(0)
        copy = f"{self.home}_demo_{self.made}"
        self.made += 1
        self._create(copy, self.seeded)
        self.copies.append(copy)
        self._use(copy)
        try:
            tenants = {t.slug: t for t in Tenant.objects.filter(slug__in=[spec.slug for spec in TENANTS])}
            return [tenants[spec.slug] for spec in TENANTS]
        except BaseException:
            self._use(self.home)  # never leave the worker's later tests on the copy
            raise

    def leave(self) -> None:
        self._use(self.home)

    def _exists(self, name: str) -> bool:
        with self._admin() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None

    def drop_all(self) -> None:
        """The worker's own databases; the shared demo goes when the whole run ends (drop_shared)."""
        connections.close_all()
        own = [*self.copies, self.blank] if IN_WORKER else [*self.copies, self.seeded, self.blank]
        for name in own:
            if not self._drop(name, wait=10):
                warnings.warn(f"{name} is still in use and was left behind; the next run removes it.", stacklevel=1)
        self.copies.clear()


def end_app_sessions(name: str) -> None:
    """End the app role's sessions on a database, so that it can be dropped: a connection a test left open in
    another thread or context outlives ``connections.close_all()``. (A role may end its own sessions.)"""
    app = connections["default"].settings_dict
    with psycopg.connect(
        host=app.get("HOST") or "127.0.0.1",
        port=app.get("PORT") or 5432,
        user=app.get("USER"),
        password=app.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND usename = current_user AND backend_type = 'client backend'",
            [name],
        )


def run_id() -> str:
    return re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_TESTRUNUID", ""))[:12] or f"p{os.getpid()}"


def shared_name() -> str:
    """The run's seeded demo, one for all its workers."""
    return f"{shared_prefix()}{run_id()}"


def _admin() -> psycopg.Connection[Any]:
    owner = settings.DB_OWNER or {}
    return psycopg.connect(
        host=owner.get("HOST") or "127.0.0.1", port=owner.get("PORT") or 5432, user=owner.get("USER"),
        password=owner.get("PASSWORD") or None, dbname="postgres", autocommit=True,
    )  # fmt: skip


@contextmanager
def _run_lock(name: str) -> Iterator[None]:
    """A lock the worker processes of this run share (a file, released when its holder ends, however it ends)."""
    path = Path(tempfile.gettempdir()) / f"{shared_prefix()}{run_id()}-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def drop_shared(*, stale: bool = False) -> None:
    """From the main process: at the end of a run with workers, the seeded demo they shared; at the start of any
    run (``stale``), what earlier runs that were interrupted left behind."""
    with _admin() as conn:
        pattern = shared_prefix().replace("_", "\\_") + "%"
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern])]
        for name in [n for n in names if n != shared_name()] if stale else [shared_name()]:
            for _ in range(1 if stale else 200):
                try:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                    break
                except psycopg.errors.ObjectInUse:
                    time.sleep(0.05)
            else:
                warnings.warn(f"{name} is still in use and was left behind.", stacklevel=1)
    ours = f"{shared_prefix()}{run_id()}-"
    for lock in Path(tempfile.gettempdir()).glob(f"{shared_prefix()}*.lock"):
        if lock.name.startswith(ours) != stale:
            lock.unlink(missing_ok=True)
    for folder in Path(tempfile.gettempdir()).glob(f"{shared_prefix()}*-axe"):  # pages checked clean (e2e)
        if folder.name.startswith(ours) != stale:
            shutil.rmtree(folder, ignore_errors=True)
