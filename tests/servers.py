"""Servers a test starts for itself on loopback ports: a PostgreSQL cluster (a primary, or a streaming replica of
one made with ``pg_basebackup``) and a PgBouncer in front of a server. Each lives in a temporary directory and is
stopped by its own pid; nothing here touches the suite's shared server beyond reading from it.

Started by root, they run as the same system user as the embedded servers of ``sam.localstack`` (neither
PostgreSQL nor PgBouncer runs as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

from sam import pgtools
from sam.localstack import _as_user, _run_user

PGBOUNCER = shutil.which("pgbouncer") or next(
    (str(p) for p in (Path("/usr/sbin/pgbouncer"), Path("/usr/bin/pgbouncer")) if p.exists()), None
)
START_TIMEOUT = 30.0


def free_port() -> int:
    """A loopback port nothing listens on now (the kernel's choice, so parallel workers get different ones)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bindir(major: int) -> Path | None:
    """Binaries of PostgreSQL ``major``, else of a later version, which dumps an older server's schema and serves
    it too (sam.pgtools)."""
    return pgtools.postgres_bindir(major, ("postgres", "initdb", "pg_basebackup", "pg_dump", "psql"))


def _home(prefix: str) -> tuple[Path, Any]:
    user = _run_user()
    home = Path(tempfile.mkdtemp(prefix=prefix))
    if user is not None:
        os.chown(home, user.pw_uid, user.pw_gid)
    return home, user


def _wait_gone(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
        return
    process.kill()
    process.wait(timeout=5)


class Cluster:
    """One PostgreSQL server in a temporary directory, started as its own process (so stopped by its pid)."""

    def __init__(self, bindir: Path, home: Path, user: Any, port: int) -> None:
        self.bindir, self.home, self.user, self.port = bindir, home, user, port
        self.data = home / "data"
        self.log = home / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def primary(cls, bindir: Path) -> Cluster:
        """A fresh cluster ready to stream its WAL to replicas (trust authentication on loopback only)."""
        home, user = _home("sam-primary-")
        cluster = cls(bindir, home, user, free_port())
        cluster._run([bindir / "initdb", "-D", cluster.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C", "-N"])  # fmt: skip
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
                "full_page_writes = off\nshared_buffers = 32MB\nmax_connections = 40\n"
            )
        return cluster

    def replica(self) -> Cluster:
        """A streaming replica of this running cluster: ``pg_basebackup -R`` (which writes standby.signal and the
        connection back to the primary), on a port of its own."""
        home, user = _home("sam-replica-")
        replica = Cluster(self.bindir, home, user, free_port())
        replica._run([self.bindir / "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                      "-D", replica.data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])  # fmt: skip
        return replica

    def _run(self, command: list[Any]) -> None:
        with self.log.open("ab") as log:
            subprocess.run(
                [str(part) for part in command],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                **_as_user(self.user),
            )

    def start(self) -> None:
        with self.log.open("ab") as log:
            command = [self.bindir / "postgres", "-D", self.data, "-p", self.port, "-c", "listen_addresses=127.0.0.1"]
            self.process = subprocess.Popen(
                [*map(str, command), "-c", "unix_socket_directories="],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **_as_user(self.user),
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL in {self.home} stopped while starting: {self.log.read_text()[-500:]}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"PostgreSQL in {self.home} did not start within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """The fast shutdown (SIGINT) of the server this object started."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            _wait_gone(self.process)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.url(dbname), autocommit=True)


class PgBouncer:
    """A PgBouncer on a loopback port in front of one PostgreSQL server, configured by keyword (``pool_mode``,
    ``default_pool_size``...). Every database of the server is reachable under its own name."""

    def __init__(self, *, server_host: str, server_port: int, users: list[str], **config: Any) -> None:
        assert PGBOUNCER is not None
        self.home, self.user = _home("sam-pgbouncer-")
        self.port = free_port()
        (self.home / "users.txt").write_text("".join(f'"{user}" ""\n' for user in users))
        settings = {
            "listen_addr": "127.0.0.1",
            "listen_port": self.port,
            "unix_socket_dir": "",
            "auth_type": "trust",
            "auth_file": self.home / "users.txt",
            "logfile": self.home / "pgbouncer.log",
            "pidfile": "",
            **config,
        }
        lines = [
            "[databases]",
            f"* = host={server_host} port={server_port}",
            "[pgbouncer]",
            *(f"{key} = {value}" for key, value in settings.items()),
        ]
        (self.home / "pgbouncer.ini").write_text("\n".join(lines) + "\n")
        if self.user is not None:
            for path in self.home.iterdir():
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        self.process = subprocess.Popen(
            [PGBOUNCER, str(self.home / "pgbouncer.ini")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            **_as_user(self.user),
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"PgBouncer stopped while starting: {self.log()[-500:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"PgBouncer did not start within {START_TIMEOUT:.0f} s")

    def log(self) -> str:
        try:
            return (self.home / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # PgBouncer's immediate shutdown
            _wait_gone(self.process)
        shutil.rmtree(self.home, ignore_errors=True)
