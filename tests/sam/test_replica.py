"""The dashboard's and the reports' reads from a real streaming replica, and the fallback to the primary.

The module starts a PostgreSQL primary of its own on a loopback port (the suite's server is never reconfigured),
gives it the suite's roles and schema (``pg_dump --schema-only`` of the suite's database), makes a replica of it
with ``pg_basebackup -R`` and points the ``default`` and ``replica`` databases at the two for its tests.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.db import InternalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from sam import replica as replica_module
from sam.documents.services import document_html
from sam.localstack import prepare
from sam.models import Document, Membership
from sam.replica import REPLICA, read_replica, recheck
from sam.tenancy.context import tenant_context
from tests.accounts.conftest import make_account
from tests.servers import Cluster, postgres_bindir

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases=["default", REPLICA])]

FIGURES = "accounts_contract"  # a table only the dashboard's figures read


@dataclass
class Pair:
    primary: Cluster
    replica: Cluster

    def replayed(self, timeout: float = 30.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far (each write also
        writes its record of changes; on a loaded 2-core machine this has taken more than 10 s)."""
        with self.primary.admin() as primary:
            lsn = primary.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]  # type: ignore[index]
        deadline = time.monotonic() + timeout
        with self.replica.admin() as replica:
            while not replica.execute("SELECT pg_last_wal_replay_lsn() >= %s", [lsn]).fetchone()[0]:  # type: ignore[index]
                assert time.monotonic() < deadline, "the replica did not catch up"
                time.sleep(0.02)

    def replica_sql(self, sql: str) -> Any:
        with self.replica.admin() as replica:
            return replica.execute(sql).fetchone()[0]  # type: ignore[index]


@pytest.fixture(scope="module")
def pair(django_db_setup: None, django_db_blocker: Any) -> Iterator[Pair]:
    with django_db_blocker.unblock():
        connection.ensure_connection()
        major = connection.pg_version // 10000
    bindir = postgres_bindir(major)
    if bindir is None:
        pytest.skip(f"no PostgreSQL {major} binaries (initdb, pg_basebackup) to start a primary and its replica")
    db = connections["default"].settings_dict
    owner = settings.DB_OWNER or {}
    dbname, app = str(db["NAME"]), str(db["USER"])
    primary = Cluster.primary(bindir)
    clusters = [primary]
    saved = {key: db[key] for key in ("HOST", "PORT")}
    try:
        primary.start()
        prepare(
            {"DATABASE_URL": primary.url(dbname, app), "DATABASE_OWNER_URL": primary.url(dbname, str(owner["USER"]))},
            primary.url(),
        )
        schema = primary.home / "schema.sql"
        subprocess.run(
            [bindir / "pg_dump", "--schema-only", "-h", owner.get("HOST") or "127.0.0.1",
             "-p", str(owner.get("PORT") or 5432), "-U", str(owner["USER"]), "-d", dbname, "-f", schema],
            check=True, capture_output=True, env={**os.environ, "PGPASSWORD": str(owner.get("PASSWORD") or "")},
        )  # fmt: skip
        subprocess.run(
            [bindir / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(primary.port),
             "-U", "postgres", "-d", dbname, "-f", schema],
            check=True, capture_output=True,
        )  # fmt: skip
        standby = primary.replica()
        clusters.append(standby)
        standby.start()
        with django_db_blocker.unblock():
            connections.close_all()
        db.update(HOST="127.0.0.1", PORT=str(primary.port))
        connections.settings[REPLICA] = {
            **db,
            "PORT": str(standby.port),
            "OPTIONS": {**db["OPTIONS"], "connect_timeout": 2},
            "TEST": {**db["TEST"], "MIRROR": "default"},
        }
        recheck()
        yield Pair(primary, standby)
    finally:
        with django_db_blocker.unblock():
            connections.close_all()
        if REPLICA in connections.settings:
            with contextlib.suppress(AttributeError):  # this thread never connected to it
                del connections[REPLICA]
            del connections.settings[REPLICA]
        db.update(saved)
        recheck()
        for cluster in clusters:
            cluster.remove()


@pytest.fixture
def world(pair: Pair, tenant_a: Any, tenant_b: Any) -> Any:
    """Tenant A's world; each tenant with an account, replayed on the replica."""
    make_account(tenant_a, name="Replicated Co")
    make_account(tenant_b, name="Bravo Only Co")
    pair.replayed()
    recheck()
    return tenant_a


def queries_on_both(run: Callable[[], Any]) -> tuple[Any, list[str], list[str]]:
    """``run()``'s result and the statements it ran on the primary and on the replica."""
    with CaptureQueriesContext(connections["default"]) as primary, _replica_queries() as on_replica:
        result = run()
    return result, [q["sql"] for q in primary.captured_queries], [q["sql"] for q in on_replica]


@contextmanager
def _replica_queries() -> Iterator[list[dict[str, Any]]]:
    """The replica's statements, logged as Django's CaptureQueriesContext does, without connecting (it may be down)."""
    replica = connections[REPLICA]
    forced, replica.force_debug_cursor = replica.force_debug_cursor, True
    start = len(replica.queries_log)
    captured: list[dict[str, Any]] = []
    try:
        yield captured
    finally:
        replica.force_debug_cursor = forced
        captured.extend(list(replica.queries_log)[start:])


def figures_read(sqls: list[str]) -> bool:
    return any(FIGURES in sql for sql in sqls)


def test_the_replica_streams_from_the_primary_and_refuses_writes(pair, world):
    with pair.primary.admin() as primary:
        assert primary.execute("SELECT count(*) FROM pg_stat_replication").fetchone()[0] == 1  # type: ignore[index]
    assert pair.replica_sql("SELECT pg_is_in_recovery()") is True
    with tenant_context(world.tenant), pytest.raises(InternalError, match="read-only transaction"):
        read_replica(lambda: _raw(REPLICA, "UPDATE sam_membership SET role = role"))


def _raw(alias: str, sql: str) -> list[tuple[Any, ...]]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_row_level_security_holds_on_the_replica(pair, world, tenant_b):
    members = "SELECT DISTINCT tenant_id FROM sam_membership"
    with transaction.atomic(using=REPLICA):  # no tenant entered: no rows
        assert _raw(REPLICA, members) == []
    with tenant_context(world.tenant):
        rows, _, on_replica = queries_on_both(lambda: read_replica(lambda: _raw(REPLICA, members)))
        assert rows == [(world.tenant.pk,)]
        # The ORM's reads inside go to the replica, bound by the same policy (the unscoped manager included).
        seen, _, on_replica = queries_on_both(
            lambda: read_replica(lambda: set(Membership.unscoped.values_list("tenant_id", flat=True)))
        )
    assert seen == {world.tenant.pk} and any("sam_membership" in sql for sql in on_replica)
    with tenant_context(tenant_b.tenant):
        assert read_replica(lambda: _raw(REPLICA, members)) == [(tenant_b.tenant.pk,)]


def test_the_dashboard_reads_its_figures_from_the_replica(pair, world, client_for):
    browser = client_for(world.admin)
    # The first visit records the last workspace opened: that transaction wrote, so it reads from the primary.
    page, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/"))
    assert page.status_code == 200 and figures_read(on_primary) and not figures_read(on_replica)
    page, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
    assert page.status_code == 200 and figures_read(on_replica) and not figures_read(on_primary)
    # The same figures in the API.
    api, on_primary, on_replica = queries_on_both(
        lambda: browser.get("/api/v1/dashboard/?fresh=1", headers={"X-SAM-Tenant": "alpha"})
    )
    assert api.status_code == 200 and api.json()["accounts"] == 1
    assert figures_read(on_replica) and not figures_read(on_primary)


def test_a_report_reads_from_the_replica(pair, world):
    from dashboard import reports

    with world.ctx():  # the request for the PDF
        subject = reports.review_for_month(date.today())
        document = Document.objects.create(kind=reports.KIND, subject_type="dashboard.portfolioreview",
                                           subject_id=subject.pk, version=1, title="t")  # fmt: skip
    with world.ctx():  # a step of the render, once the request committed
        html, on_primary, on_replica = queries_on_both(lambda: document_html(document))
    assert "Replicated Co" in html and "Bravo Only Co" not in html
    assert figures_read(on_replica) and not figures_read(on_primary)
    assert any("dashboard_portfolioreview" in sql for sql in on_replica)  # the subject, just made, is there


def test_a_read_waits_for_the_change_that_led_to_it(pair, world, client_for):
    browser = client_for(world.admin)
    browser.get("/t/alpha/")
    pair.replica_sql("SELECT pg_wal_replay_pause()")
    try:
        make_account(world, name="Just Made Co")  # committed on the primary, not replayed on the replica
        started = time.monotonic()
        page, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
        waited = time.monotonic() - started
        assert page.status_code == 200 and figures_read(on_primary) and not figures_read(on_replica)
        assert waited >= settings.DB_REPLICA_WAIT_MS / 1000
    finally:
        pair.replica_sql("SELECT pg_wal_replay_resume()")
    pair.replayed()
    _, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
    assert figures_read(on_replica) and not figures_read(on_primary)


def test_beyond_the_lag_bound_reads_go_to_the_primary_without_asking_the_replica(
    pair, world, client_for, settings, caplog
):
    settings.DB_REPLICA_MAX_LAG = 1
    browser = client_for(world.admin)
    browser.get("/t/alpha/")
    pair.replica_sql("SELECT pg_wal_replay_pause()")
    try:
        make_account(world, name="Lagging Co")
        deadline = time.monotonic() + 10
        while pair.replica_sql(replica_module._LAG_SQL) <= 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with caplog.at_level(logging.WARNING, logger="sam.replica"):
            for _ in range(2):
                recheck()  # checked again every time: still said once
                page, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
                assert page.status_code == 200 and figures_read(on_primary)
                assert on_replica == [replica_module._LAG_SQL]  # the check only: no entry, no wait
        behind = [r.getMessage() for r in caplog.records if "behind the primary (the bound is 1 s)" in r.getMessage()]
        assert len(behind) == 1, caplog.text
    finally:
        pair.replica_sql("SELECT pg_wal_replay_resume()")
    pair.replayed()
    recheck()
    with caplog.at_level(logging.WARNING, logger="sam.replica"):
        _, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
    assert figures_read(on_replica) and "go to the replica again" in caplog.text


def test_with_the_replica_down_pages_answer_from_the_primary(pair, world, client_for, caplog):
    browser = client_for(world.admin)
    browser.get("/t/alpha/")
    browser.get("/t/alpha/?fresh=1")  # on the replica: its connection is open and the last check found it well
    pair.replica.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="sam.replica"):
            # Stopped since the last check: the read fails on the replica and runs again on the primary.
            page, on_primary, _ = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
            assert page.status_code == 200 and figures_read(on_primary)
            assert "A read on the replica failed" in caplog.text
            for _ in range(3):
                recheck()  # checked again every time: still said once
                page, on_primary, _ = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
                assert page.status_code == 200 and figures_read(on_primary)
        down = [r for r in caplog.records if "does not answer" in r.getMessage()]
        assert len(down) == 1, caplog.text
    finally:
        pair.replica.start()
    pair.replayed()
    recheck()
    _, on_primary, on_replica = queries_on_both(lambda: browser.get("/t/alpha/?fresh=1"))
    assert figures_read(on_replica) and not figures_read(on_primary)


def test_the_remembered_entry_is_checked_on_the_primary_before_the_replica_reads(pair, world):
    from sam.models import Tenant
    from sam.roles import Role
    from sam.tenancy.context import RememberedEntry, StaleEntry, entry_snapshot, member_context_remembered

    with tenant_context(world.tenant):
        member = Membership.objects.get(pk=world.memberships[Role.VIEWER].pk)
    snapshot = entry_snapshot(Tenant.objects.get(pk=world.tenant.pk), member)
    members = "SELECT DISTINCT tenant_id FROM sam_membership"

    entry = RememberedEntry(snapshot, user_id=member.user_id)
    with member_context_remembered(entry):  # the request's first statement is read_replica's, on the primary
        rows, on_primary, _ = queries_on_both(lambda: read_replica(lambda: _raw(REPLICA, members)))
    assert rows == [(world.tenant.pk,)] and not entry.stale
    # The entry's check (the tenant, then the membership), before anything else.
    assert "sam_tenant" in on_primary[0] and "sam_membership" in on_primary[1]

    with tenant_context(world.tenant):
        Membership.objects.filter(pk=member.pk).delete()
    pair.replayed()
    entry = RememberedEntry(snapshot, user_id=member.user_id)
    with pytest.raises(StaleEntry), member_context_remembered(entry):
        read_replica(lambda: _raw(REPLICA, members))
    assert entry.stale


def test_a_replica_failing_during_a_read_is_read_again_from_the_primary(pair, world, caplog):
    from django.db import router

    where: list[str] = []

    def compute() -> list[int]:
        where.append(router.db_for_read(Membership))
        if len(where) == 1:  # the replica's server ends this connection in the middle of the read
            (pid,) = _raw(REPLICA, "SELECT pg_backend_pid()")[0]
            with pair.replica.admin() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        return sorted(set(Membership.unscoped.values_list("tenant_id", flat=True)))

    with tenant_context(world.tenant), caplog.at_level(logging.WARNING, logger="sam.replica"):
        assert read_replica(compute) == [world.tenant.pk]
    assert where == [REPLICA, "default"]
    assert "A read on the replica failed" in caplog.text
    with tenant_context(world.tenant):  # checked again at the next read: well, so read there again
        assert read_replica(lambda: router.db_for_read(Membership)) == REPLICA
