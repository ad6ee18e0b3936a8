"""The demo data, seeded once per test session and copied for every test that asks for it.

Seeding the demo runs the whole product (scorecards computed, surveys answered, QBRs scheduled) and takes
seconds; PostgreSQL copies a database from a template in a fraction of one. So the first test that asks for
the demo seeds it into a database of its own, which then serves as the template of a fresh copy for each
test. While the test runs, every connection of the process (the live server's threads and a Celery worker
started by the test included) goes to that copy; afterwards the suite's own database is back, untouched.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections
from psycopg import sql

from sam.models import Tenant

_IN_USE = "55006"  # object_in_use: a database still has a connection


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
        self.seeded = f"{self.home}_demo"
        self.copies: list[str] = []
        self.made = 0
        self.ready = False

    def _admin(self) -> psycopg.Connection[Any]:
        owner = settings.DB_OWNER or {}
        return psycopg.connect(
            host=owner.get("HOST") or "127.0.0.1", port=owner.get("PORT") or 5432, user=owner.get("USER"),
            password=owner.get("PASSWORD") or None, dbname="postgres", autocommit=True,
        )  # fmt: skip

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
                [self.blank, self.seeded.replace("_", "\\_") + "%"],
            ).fetchall()
        for (name,) in stale:
            self._drop(name, wait=5)
        self._create(self.blank, self.home)

    def enter(self) -> list[Tenant]:
        from sam.demo import TENANTS, seed_demo

        if not self.ready:
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
        copy = f"{self.seeded}_{self.made}"
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

    def drop_all(self) -> None:
        connections.close_all()
        for name in [*self.copies, self.seeded, self.blank]:
            if not self._drop(name, wait=10):
                warnings.warn(f"{name} is still in use and was left behind; the next run removes it.", stacklevel=1)
        self.copies.clear()
