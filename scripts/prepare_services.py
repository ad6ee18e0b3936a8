"""Check PostgreSQL and Redis, then create the roles and the database (idempotent).

Two roles: the owner (runs migrations, owns the tables, may create the test
database) and the app role (reads and writes rows; not a superuser, no
BYPASSRLS, owns nothing). Uses a superuser connection only for this set-up:
POSTGRES_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from psycopg import sql

HINT = "or run `docker compose up -d db redis` to start both in containers"


def fail(message: str) -> None:
    print(f"\n  ✗ {message} ({HINT}).\n", file=sys.stderr)
    sys.exit(1)


def check_redis(url: str) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    try:
        with socket.create_connection((host, port), timeout=3) as conn:
            conn.sendall(b"PING\r\n")
            if not conn.recv(16).startswith(b"+PONG"):
                fail(f"Redis at {host}:{port} did not answer PING")
    except OSError as exc:
        fail(f"Redis is not reachable at {host}:{port}: {exc.strerror or exc}")


def main() -> None:
    admin_url = os.environ.get("POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    app_url = urlparse(os.environ.get("DATABASE_URL", "postgres://sam_app@127.0.0.1:5432/sam"))
    owner_url = urlparse(os.environ.get("DATABASE_OWNER_URL", "postgres://sam_owner@127.0.0.1:5432/sam"))
    check_redis(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))

    admin = urlparse(admin_url)
    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection refused"
        fail(f"PostgreSQL is not reachable at {admin.hostname}:{admin.port or 5432} as {admin.username}: {first}")
        return

    dbname = unquote(app_url.path.lstrip("/"))
    owner, owner_pw = unquote(owner_url.username or "sam_owner"), unquote(owner_url.password or "")
    app, app_pw = unquote(app_url.username or "sam_app"), unquote(app_url.password or "")
    with conn:
        for role, password, extra in ((owner, owner_pw, "CREATEDB"), (app, app_pw, "NOCREATEDB")):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            stmt = sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE " + extra).format(
                sql.Identifier(role)
            )
            conn.execute(stmt)
            if password:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
            if not exists:
                print(f"  created role {role}")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(owner)))
            print(f"  created database {dbname} owned by {owner}")
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(dbname), sql.Identifier(app)))
    db_admin_url = admin._replace(path="/" + dbname).geturl()
    with psycopg.connect(db_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(app)))
    print(f"  PostgreSQL ready: database {dbname}, owner role {owner}, app role {app}; Redis ready.")


if __name__ == "__main__":
    main()
