"""PgBouncer in transaction mode in front of the suite's PostgreSQL: a client's consecutive transactions land on
different server connections, and the tenant setting, row-level security and the request path hold all the same.

A real PgBouncer (Debian's ``pgbouncer``, installed by scripts/system_deps.sh) runs on a loopback port with two
server connections, handed out in turn (``server_round_robin``), so that consecutive transactions of one client
alternate between them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from sam.db import run_together
from sam.models import Membership, Tenant
from sam.roles import Role
from sam.tenancy.context import tenant_context
from sam.tenancy.middleware import ENTRIES_KEY
from tests.servers import PGBOUNCER, PgBouncer

pytestmark = [
    pytest.mark.pgbouncer,
    pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed (scripts/system_deps.sh installs it)"),
    pytest.mark.django_db(transaction=True),  # rows committed, so every server connection sees them
]

TRANSACTION_POOL = {
    "pool_mode": "transaction",
    "default_pool_size": 2,
    "server_round_robin": 1,
    "max_client_conn": 50,
    "server_reset_query": "DISCARD ALL",  # used in session mode only; transaction mode resets nothing
    "ignore_startup_parameters": "extra_float_digits",
}
SETTING = "SELECT current_setting('sam.tenant_id', true)"
MEMBERS = "SELECT count(*) FROM sam_membership"
BACKEND = "SELECT pg_backend_pid()"


def start_pgbouncer(**config: Any) -> PgBouncer:
    db = settings.DATABASES["default"]
    users = [str(db["USER"]), *([str(settings.DB_OWNER["USER"])] if settings.DB_OWNER else [])]
    return PgBouncer(
        server_host=str(db["HOST"] or "127.0.0.1"),
        server_port=int(db["PORT"] or 5432),
        users=users,
        **{**TRANSACTION_POOL, **config},
    )


@pytest.fixture(scope="module")
def pgbouncer() -> Iterator[PgBouncer]:
    bouncer = start_pgbouncer()
    try:
        yield bouncer
    finally:
        bouncer.stop()


def client(bouncer: PgBouncer, **kwargs: Any) -> psycopg.Connection[Any]:
    """A connection of the app role through PgBouncer, as the app makes them (nothing prepared)."""
    db = connections["default"].settings_dict
    return psycopg.connect(
        host="127.0.0.1", port=bouncer.port, dbname=db["NAME"], user=db["USER"], prepare_threshold=None, **kwargs
    )


def open_both_servers(bouncer: PgBouncer) -> set[int]:
    """Two clients in a transaction at once make PgBouncer open both server connections; their pids."""
    with client(bouncer) as one, client(bouncer) as two:
        pids = {one.execute(BACKEND).fetchone()[0], two.execute(BACKEND).fetchone()[0]}  # type: ignore[index]
    assert len(pids) == 2
    return pids


@pytest.fixture
def through_pgbouncer(pgbouncer: PgBouncer, transactional_db: None) -> Iterator[PgBouncer]:
    """Every connection of the app goes through PgBouncer, set up as docs/scaling.md says."""
    open_both_servers(pgbouncer)
    db = connections["default"].settings_dict
    saved = {key: db[key] for key in ("HOST", "PORT", "OPTIONS", "DISABLE_SERVER_SIDE_CURSORS")}
    # What DB_TRANSACTION_POOLING=true makes of the settings (sam/settings.py).
    connections.close_all()
    db.update(
        HOST="127.0.0.1",
        PORT=str(pgbouncer.port),
        OPTIONS={**db["OPTIONS"], "prepare_threshold": None},  # as tests/sam/test_settings.py checks
        DISABLE_SERVER_SIDE_CURSORS=True,
    )
    try:
        yield pgbouncer
    finally:
        connections.close_all()
        db.update(saved)


def test_consecutive_transactions_move_between_servers_and_carry_no_tenant(through_pgbouncer, tenant_a, tenant_b):
    servers = set()
    for world, other in ((tenant_a, tenant_b), (tenant_b, tenant_a)) * 3:
        with tenant_context(world.tenant):
            (pid, setting, members, seen_other), *_ = run_together(
                [
                    (
                        f"SELECT pg_backend_pid(), ({SETTING}), ({MEMBERS}), "
                        "(SELECT count(*) FROM sam_membership WHERE tenant_id = %s)",
                        [other.tenant.pk],
                    )
                ]
            )[0]
        assert (setting, members, seen_other) == (str(world.tenant.pk), len(Role), 0)
        servers.add(pid)
        # The next transaction, on the other server connection: no tenant, no rows.
        [[(after_pid, after_setting, after_members)]] = run_together(
            [(f"SELECT pg_backend_pid(), ({SETTING}), ({MEMBERS})", [])]
        )
        assert (after_setting, after_members) == ("", 0)
        servers.add(after_pid)
    assert len(servers) == 2, "PgBouncer should have handed out both server connections"


def test_interleaved_clients_of_two_tenants_never_see_each_others_rows(pgbouncer, tenant_a, tenant_b):
    a, b = tenant_a.tenant.pk, tenant_b.tenant.pk
    with client(pgbouncer) as one, client(pgbouncer) as two, client(pgbouncer) as three:
        for _ in range(4):
            with one.transaction(), two.transaction():  # both servers busy: each client holds one
                (pid_one,) = one.execute("SELECT pg_backend_pid(), set_config('sam.tenant_id', %s, true)",
                                         [str(a)]).fetchone()[:1]  # type: ignore[index]  # fmt: skip
                (pid_two,) = two.execute("SELECT pg_backend_pid(), set_config('sam.tenant_id', %s, true)",
                                         [str(b)]).fetchone()[:1]  # type: ignore[index]  # fmt: skip
                assert pid_one != pid_two
                assert one.execute("SELECT DISTINCT tenant_id FROM sam_membership").fetchall() == [(a,)]
                assert two.execute("SELECT DISTINCT tenant_id FROM sam_membership").fetchall() == [(b,)]
            with three.transaction():  # lands on a server one of them just left
                assert three.execute(f"SELECT ({SETTING}), ({MEMBERS})").fetchone() == ("", 0)
            with pytest.raises(psycopg.errors.DivisionByZero), one.transaction():  # an entry rolled back...
                one.execute("SELECT set_config('sam.tenant_id', %s, true)", [str(a)])
                one.execute("SELECT 1 / 0")
            assert two.execute(f"SELECT ({SETTING}), ({MEMBERS})").fetchone() == ("", 0)  # ...leaves nothing
            two.commit()


def test_a_session_setting_would_leak_to_other_clients(tenant_a):
    """Why the tenant is ``set_config(..., true)``: in transaction mode a session-level setting stays on the server
    connection for whichever client gets it next (its own PgBouncer: the setting stays there)."""
    bouncer = start_pgbouncer()
    try:
        open_both_servers(bouncer)
        with client(bouncer, autocommit=True) as leaking, client(bouncer, autocommit=True) as other:
            leaking.execute("SELECT set_config('sam.tenant_id', %s, false)", [str(tenant_a.tenant.pk)])
            seen = {other.execute(MEMBERS).fetchone()[0] for _ in range(4)}  # type: ignore[index]
        assert len(Role) in seen  # another client read tenant A's rows
    finally:
        bouncer.stop()


def test_prepared_statements_do_not_survive_transaction_pooling(pgbouncer, tenant_a):
    """Why ``DB_TRANSACTION_POOLING`` turns preparing off: PgBouncer before 1.21 (or with ``max_prepared_statements
    = 0``) passes a prepared statement's name to whichever server runs the next transaction."""
    open_both_servers(pgbouncer)
    with client(pgbouncer, autocommit=True) as prepared:
        prepared.prepare_threshold = 0
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            for _ in range(4):
                prepared.execute("SELECT %s::int", [1])


def members_page(client, slug: str):
    return client.get(f"/t/{slug}/admin/members/")


def test_pages_answer_on_the_remembered_and_the_full_path(through_pgbouncer, tenant_a, tenant_b, client_for):
    alpha, bravo = client_for(tenant_a.admin), client_for(tenant_b.admin)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):  # the full path, then the remembered one, each transaction on either server
            for browser, slug, mine, theirs in ((alpha, "alpha", "ALPHA-SECRET", "BRAVO"),
                                                (bravo, "bravo", "BRAVO", "ALPHA-SECRET")):  # fmt: skip
                page = members_page(browser, slug)
                assert page.status_code == 200
                assert mine in page.content.decode() and theirs not in page.content.decode()
                assert slug in browser.session[ENTRIES_KEY]
                assert members_page(browser, "bravo" if slug == "alpha" else "alpha").status_code == 404
    # No named cursor (DECLARE) spans transactions. That nothing is prepared is the settings' part
    # (tests/sam/test_settings.py: DB_TRANSACTION_POOLING makes prepare_threshold None).
    assert not any("DECLARE" in q["sql"].upper() for q in queries.captured_queries)

    # A change seen by the next request's first statement, whatever server it runs on.
    with tenant_context(tenant_a.tenant):
        Membership.objects.filter(user=tenant_a.admin).update(role=Role.VIEWER)
    assert members_page(alpha, "alpha").status_code == 403
    Tenant.objects.filter(pk=tenant_b.tenant.pk).update(active=False)
    assert members_page(bravo, "bravo").status_code == 404


def test_a_write_and_the_api_through_pgbouncer(through_pgbouncer, tenant_a, client_for):
    from django.test import Client

    from sam.models import ApiToken

    admin = client_for(tenant_a.admin)
    assert admin.get("/t/alpha/").status_code == 200
    created = admin.post(
        "/api/v1/tokens/", {"name": "pooled"}, content_type="application/json", headers={"X-SAM-Tenant": "alpha"}
    )
    assert created.status_code == 201, created.content
    api = Client(headers={"Authorization": f"Token {created.json()['token']}"})
    for _ in range(3):  # the token's tenant, entered in the round trip that finds it, on either server
        listed = api.get("/api/v1/tokens/")
        assert listed.status_code == 200 and [t["name"] for t in listed.json()["results"]] == ["pooled"]
    with tenant_context(tenant_a.tenant):
        assert ApiToken.objects.filter(name="pooled").count() == 1
