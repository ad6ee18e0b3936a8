"""The figures of docs/scaling.md: the app through PgBouncer in transaction mode, and with a streaming replica.

Against the database the environment names (``DATABASE_URL``, seeded with the demo), on loopback:

1. a few pages and an API list served by gunicorn straight from PostgreSQL, then through a PgBouncer in
   transaction mode (``DB_TRANSACTION_POOLING=true``) with fewer server connections than gunicorn has clients;
2. a PostgreSQL primary of its own holding a copy of the database (``pg_dump``, read as the superuser
   ``POSTGRES_ADMIN_URL``, default postgres@ the same server) and its ``pg_basebackup`` replica: the dashboard with
   its figures computed afresh on every request, from the primary alone and with the replica, then the time from a
   commit on the primary to its replay on the replica.

    make bench-scaling    # or: python -m sam.localstack exec -- sh -c 'python manage.py migrate &&
                          #     python manage.py seed_demo --quiet-logins && python bench/scaling.py'

Prints a table; nothing is asserted. The servers it starts are stopped at the end.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("BENCH_REQUESTS", "400")
os.environ.setdefault("BENCH_CONCURRENCY", "4")

from bench import run  # noqa: E402  (after the environment it reads)
from bench.run import DEMO_TENANT, Result, Scenario  # noqa: E402

SCENARIOS = [
    Scenario("hello behind tenant + auth middleware", f"/t/{DEMO_TENANT}/bench/hello/", needs_login=True),
    Scenario("members page", f"/t/{DEMO_TENANT}/admin/members/", needs_login=True),
    Scenario("API members list", "/api/v1/members/", needs_login=True),
    Scenario("dashboard, figures computed afresh", f"/t/{DEMO_TENANT}/?scope=all&fresh=1", needs_login=True),
]
LAG_SAMPLES = 200


def measure(label: str, env: dict[str, str], scenarios: list[Scenario]) -> list[tuple[str, Result]]:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    server = run.start_server()
    try:
        cookie = run.login()
        return [(label, run.run_http(scenario, cookie)) for scenario in scenarios]
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def url_with(url: str, *, port: int, host: str = "127.0.0.1") -> str:
    parsed = urlparse(url)
    auth = parsed.netloc.rsplit("@", 1)[0] + "@" if "@" in parsed.netloc else ""
    return parsed._replace(netloc=f"{auth}{host}:{port}").geturl()


def through_pgbouncer(database_url: str) -> list[tuple[str, Result]]:
    from tests.servers import PgBouncer

    db = urlparse(database_url)
    bouncer = PgBouncer(
        server_host=db.hostname or "127.0.0.1",
        server_port=db.port or 5432,
        users=[db.username or "sam_app"],
        pool_mode="transaction",
        default_pool_size=2,  # fewer server connections than the bench's clients and gunicorn's workers
        max_client_conn=200,
    )
    try:
        pooled = {"DATABASE_URL": url_with(database_url, port=bouncer.port), "DB_TRANSACTION_POOLING": "true"}
        return measure("direct", {}, SCENARIOS) + measure("PgBouncer (transaction mode)", pooled, SCENARIOS)
    finally:
        bouncer.stop()


def with_replica(database_url: str) -> tuple[list[tuple[str, Result]], list[float]]:
    import psycopg

    from sam.localstack import prepare
    from tests.servers import Cluster, postgres_bindir

    db = urlparse(database_url)
    admin = os.environ.get("POSTGRES_ADMIN_URL") or f"postgres://postgres@{db.hostname}:{db.port or 5432}/postgres"
    with psycopg.connect(admin) as conn:
        major = conn.info.server_version // 10000
    bindir = postgres_bindir(major)
    if bindir is None:
        raise SystemExit(f"no PostgreSQL {major} binaries to start a primary and its replica")
    name = db.path.lstrip("/")
    primary = Cluster.primary(bindir)
    clusters = [primary]
    try:
        primary.start()
        copy = url_with(database_url, port=primary.port)
        owner = url_with(os.environ.get("DATABASE_OWNER_URL") or f"postgres://sam_owner@x/{name}", port=primary.port)
        prepare({"DATABASE_URL": copy, "DATABASE_OWNER_URL": owner}, primary.url())
        dump = primary.home / "dump.sql"
        source = urlparse(admin)._replace(path=f"/{name}").geturl()
        subprocess.run([bindir / "pg_dump", "-d", source, "-f", dump], check=True)
        subprocess.run([bindir / "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", primary.url(name), "-f", dump],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        with psycopg.connect(primary.url(name), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")  # the statistics the source had, before the replica copies them
        replica = primary.replica()
        clusters.append(replica)
        replica.start()
        dashboard = [s for s in SCENARIOS if s.name.startswith("dashboard")]
        results = measure("primary alone", {"DATABASE_URL": copy}, dashboard)
        results += measure(
            "primary + replica",
            {"DATABASE_URL": copy, "DATABASE_REPLICA_URL": url_with(database_url, port=replica.port)},
            dashboard,
        )
        return results, replay_lag(primary, replica)
    finally:
        for cluster in clusters:
            cluster.remove()


def replay_lag(primary: Any, replica: Any) -> list[float]:
    """Seconds from each of a series of small commits on the primary to its replay on the replica."""
    lags = []
    with primary.admin() as p, replica.admin() as r:
        p.execute("CREATE TABLE IF NOT EXISTS bench_lag (n int)")
        for n in range(LAG_SAMPLES):
            p.execute("INSERT INTO bench_lag VALUES (%s)", [n])  # autocommit: committed when it returns
            started = time.perf_counter()
            lsn = p.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
            while not r.execute("SELECT pg_last_wal_replay_lsn() >= %s", [lsn]).fetchone()[0]:
                time.sleep(0.0002)
            lags.append(time.perf_counter() - started)
    return lags


def main() -> None:
    import django

    django.setup()
    from django.conf import settings

    database_url = settings.DATABASE_URL
    results = through_pgbouncer(database_url)
    replica_results, lags = with_replica(database_url)
    results += replica_results
    print(f"\n{'setup':<30} {'scenario':<40} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'err':>4}")
    for label, r in results:
        print(f"{label:<30} {r.name:<40} {r.throughput:>7} {r.p50_ms:>7} {r.p95_ms:>7} {r.errors:>4}")
    ordered = sorted(lags)
    print(
        f"\nreplay lag over {len(lags)} commits: median {statistics.median(ordered) * 1000:.2f} ms, "
        f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"
    )
    print(f"(requests per scenario {run.REQUESTS}, concurrency {run.CONCURRENCY}, gunicorn 2 workers)")


if __name__ == "__main__":
    main()
