"""Backups of the whole database with PostgreSQL's own tools, as the backup role (``DATABASE_BACKUP_URL``): it
reads every workspace (row-level security binds the table owner too, so the owner alone cannot), and restores as
the owner it is a member of, so a restored database is owned, granted and protected as the original.

``manage.py backup`` writes ``pg_dump -Fc`` (compressed, restorable table by table); ``manage.py restore`` makes
a new database from one and reports its rows per table. Restoring never overwrites a database: a new one is made,
and the operator points the app at it (DATABASE_URL) once it looks right.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from sam import pgtools


def _role(name: str) -> dict[str, Any]:
    found = getattr(settings, name)
    if not found:
        variable = {"DB_BACKUP": "DATABASE_BACKUP_URL", "DB_OWNER": "DATABASE_OWNER_URL"}[name]
        raise CommandError(f"Missing required setting: the environment variable {variable} must be set (.env.example).")
    return dict(found)


def conninfo(role: dict[str, Any], dbname: str) -> str:
    """A libpq connection string for a role's settings and a database (the password travels in PGPASSWORD)."""
    parts = {
        "host": role["HOST"] or "127.0.0.1",
        "port": role["PORT"] or "5432",
        "user": role["USER"],
        "dbname": dbname,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items())


def _tools() -> Path:
    connection.ensure_connection()
    major = int(getattr(connection, "pg_version", 0)) // 10000
    bindir = pgtools.postgres_bindir(major)
    if bindir is None:
        raise CommandError(
            f"No pg_dump and pg_restore of PostgreSQL {major} or later here: install the client "
            f"(Debian: postgresql-client-{major})."
        )
    return bindir


def _run(command: list[str], role: dict[str, Any]) -> None:
    env = {**os.environ, "PGPASSWORD": str(role.get("PASSWORD") or "")}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def backup(output: Path) -> Path:
    """The current database (the app's) into ``output``; its size in bytes is the file's."""
    role = _role("DB_BACKUP")
    bindir = _tools()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    dbname = str(connection.settings_dict["NAME"])
    _run([str(bindir / "pg_dump"), "--format=custom", f"--file={partial}", conninfo(role, dbname)], role)
    partial.replace(output)  # a backup that stopped half-way is never mistaken for one
    return output


def restore(path: Path, into: str) -> dict[str, int]:
    """A new database ``into`` made from the backup at ``path``; its rows per table."""
    if not path.is_file():
        raise CommandError(f"No backup at {path}.")
    if not into or len(into) > 63 or not into.replace("_", "").isalnum():
        raise CommandError("Name the new database with letters, digits and underscores (at most 63).")
    owner, role = _role("DB_OWNER"), _role("DB_BACKUP")
    bindir = _tools()
    with psycopg.connect(conninfo(owner, "postgres"), password=owner.get("PASSWORD") or None, autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [into]).fetchone():
            raise CommandError(f"A database named {into} exists: restore into a new one.")
        c.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(into), sql.Identifier(owner["USER"])))
        app = str(settings.DATABASES["default"]["USER"])
        c.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(into), sql.Identifier(app)))
    _run([str(bindir / "pg_restore"), "--exit-on-error", "--no-comments", f"--dbname={conninfo(role, into)}",
          str(path)], role)  # fmt: skip
    return row_counts(into)


def row_counts(dbname: str) -> dict[str, int]:
    """Rows per table of the public schema, counted by the backup role (every workspace's)."""
    role = _role("DB_BACKUP")
    with psycopg.connect(conninfo(role, dbname), password=role.get("PASSWORD") or None) as c:
        tables = [r[0] for r in c.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )]  # fmt: skip
        return {
            table: int(c.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0])  # type: ignore[index]
            for table in tables
        }
