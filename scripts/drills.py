"""Fault drills: the product under a real fault, on loopback, with servers of its own.

    python scripts/drills.py            # every drill (make drills)
    DRILL=b python scripts/drills.py    # one (or several: DRILL=a,c)

Each drill starts its own PostgreSQL and Redis (from the wheels `make install` brings, as `make run` does) on
free loopback ports in a temporary folder, with a copy of one migrated database holding the demo data; runs
gunicorn, a Celery worker and beat as child processes; applies load with a few HTTP clients; injects its fault;
and prints one line, PASS or FAIL, with the counts it checked. Emails go to an SMTP sink in this process that
counts every message by its outbox key. Only processes this script started are stopped; the shared servers on
the usual ports are never touched. The exit status is 1 when any drill fails (a drill that cannot run here says
SKIP and does not fail the run).

    a  SIGKILL the Celery worker (its whole process group) while 20 PDFs render and 50 emails wait, restart it:
       every document ready once, every email sent once.
    b  Stop Redis for DRILL_B_OUTAGE seconds (60) under load: pages, sign-in and the API keep answering,
       /readyz says Redis is down while /healthz stays up, the PDFs and emails asked for meanwhile are done
       once Redis is back.
    c  Restart PostgreSQL with an immediate shutdown (SIGQUIT to the postmaster, as `pg_ctl -m immediate`)
       under load: the app answers again by itself and every write it confirmed is there.
    d  Two beat processes by mistake for DRILL_D_SECONDS (300), each job 60 times as often: no QBR, reminder,
       prompt or email twice.
    e  A full media storage (a tiny tmpfs, so root is needed) during a render: a readable failure, no partial
       file, and a request once space is freed succeeds.

Other knobs: DRILL_A_TIMEOUT; DRILL_KEEP=1 keeps the temporary folder of a drill that passes (one that fails
always keeps it: the log of every process is there).
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
TENANT = "northwind"
ADMIN, PASSWORD = "admin@northwind.example", "demo-pass-2026"  # the demo data's (sam/demo.py)
REPORT_KIND = "operations_review"
KEEP = os.environ.get("DRILL_KEEP") == "1"
FOLDERS: list[Path] = []  # the folders of the drill under way: removed when it passes (unless DRILL_KEEP=1)


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return True
        time.sleep(step)
    with contextlib.suppress(Exception):
        return check()
    return False


# --- An SMTP sink that counts messages by their outbox key ------------------------------------------------------


class SmtpSink:
    """A minimal SMTP server on loopback: accepts every message and counts it by its Message-ID (one per outbox
    row: the same key may be used by two workspaces), remembering each one's outbox key (X-SAM-Key)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.messages: Counter[str] = Counter()
        self.key_of: dict[str, str] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(ConnectionResetError):  # a worker killed in the middle of a message
                    self.converse()

            def converse(self) -> None:
                time.sleep(sink.delay)  # a relay slow to greet (a handshake, a busy server), not slow to answer
                self.wfile.write(b"220 drill sink\r\n")
                while line := self.rfile.readline():
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        self.wfile.write(b"250 drill sink\r\n")
                    elif verb == b"DATA":
                        self.wfile.write(b"354 go on\r\n")
                        data = []
                        while (chunk := self.rfile.readline()) != b".\r\n":
                            if not chunk:
                                return  # the client went away in the middle of the message: nothing was sent
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        # Like a mail server, it holds a whole message as taken once it has it, and says so at once.
                        sink.received(b"".join(data))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, raw: bytes) -> None:
        message = email.message_from_bytes(raw)
        message_id, key = str(message.get("Message-ID", "?")), str(message.get("X-SAM-Key", "?"))
        with self.lock:
            self.messages[message_id] += 1
            self.key_of[message_id] = key

    def count(self, prefix: str) -> tuple[int, int]:
        """Distinct messages whose key has the prefix, and how many of them arrived more than once."""
        with self.lock:
            mine = [n for mid, n in self.messages.items() if self.key_of[mid].startswith(prefix)]
        return len(mine), sum(1 for n in mine if n > 1)

    def total(self) -> int:
        with self.lock:
            return sum(self.messages.values())

    def duplicates(self) -> dict[str, int]:
        """Messages that arrived more than once: '<key> <Message-ID>' and how many times."""
        with self.lock:
            return {f"{self.key_of[mid]} {mid}": n for mid, n in self.messages.items() if n > 1}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- The stack of one drill ------------------------------------------------------------------------------------


class Template:
    """One migrated database with the demo data, copied for each drill (migrating takes a while)."""

    def __init__(self, base: Path) -> None:
        self.home = base / "template-postgres"
        self.ready = False

    def make(self) -> None:
        from sam.localstack import EmbeddedServer, prepare

        started = time.monotonic()
        server = EmbeddedServer("postgres", self.home, free_port())
        server.start()
        try:
            env = app_env(server.port, 1, 1, Path(tempfile.gettempdir()))
            prepare(env, server.admin_url())
            manage(env, "migrate", "--no-input", "-v", "0")
            manage(env, "seed_demo", "--quiet-logins")
        finally:
            server.stop()
        self.ready = True
        say(f"(a migrated database with the demo data, made once in {time.monotonic() - started:.0f} s)")


def app_env(pg_port: int, redis_port: int, smtp_port: int, media: Path, **extra: str) -> dict[str, str]:
    """The environment of the app's processes: only this drill's servers, whatever the caller's shell names."""
    drop = ("DATABASE_", "REDIS_", "CELERY_", "SAM_", "EMAIL_", "DJANGO_", "MEDIA_", "PYTEST")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        {
            "SAM_ENV": "development",
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "sam.settings",
            "DATABASE_URL": f"postgres://sam_app@127.0.0.1:{pg_port}/sam",
            "DATABASE_OWNER_URL": f"postgres://sam_owner@127.0.0.1:{pg_port}/sam",
            "SAM_POSTGRES_ADDRESS": f"127.0.0.1:{pg_port}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "SAM_REDIS_ADDRESS": f"127.0.0.1:{redis_port}",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "MEDIA_ROOT": str(media),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "LOGIN_RATE_LIMIT": "1000",  # every client of the load signs in from 127.0.0.1
        }
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")


@dataclass
class Stack:
    """PostgreSQL, Redis, an SMTP sink and the app's processes of one drill, all in one temporary folder."""

    name: str
    template: Template
    smtp_delay: float = 0.0
    extra_env: dict[str, str] = field(default_factory=dict)
    media: Path | None = None

    def __post_init__(self) -> None:
        from sam.localstack import EmbeddedServer

        self.dir = Path(tempfile.mkdtemp(prefix=f"sam-drill-{self.name}-"))
        self.dir.chmod(0o755)
        self.media = self.media or self.dir / "media"
        self.pg = EmbeddedServer("postgres", self.dir / "postgres", free_port())
        self.redis = EmbeddedServer("redis", self.dir / "redis", free_port())
        self.sink = SmtpSink(self.smtp_delay)
        self.web_port = free_port()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.base = f"http://127.0.0.1:{self.web_port}"

    def env(self, **extra: str) -> dict[str, str]:
        return app_env(
            self.pg.port,
            self.redis.port,
            self.sink.port,
            self.media or self.dir / "media",
            SITE_URL=self.base,
            **{**self.extra_env, **extra},
        )

    def up(self) -> Stack:
        (self.dir / "postgres").mkdir()
        subprocess.run(["cp", "-a", str(self.template.home / "data"), str(self.dir / "postgres" / "data")], check=True)
        self.pg.start()
        self.redis.start()
        return self

    def spawn(self, name: str, command: list[str], **extra: str) -> subprocess.Popen[bytes]:
        log = (self.dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(**extra),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped (or killed) with its children, and only it
        )
        log.close()
        self.procs[name] = proc
        return proc

    def web(self) -> None:
        self.spawn(
            "web",
            [PY, "-m", "gunicorn", "sam.wsgi:application", "-c", "gunicorn.conf.py", "--bind",
             f"127.0.0.1:{self.web_port}", "--workers", "2", "--threads", "4", "--worker-class", "gthread",
             "--timeout", "60"],
        )  # fmt: skip
        if not wait_until(lambda: http_status(self.base + "/healthz") == 200, 60):
            raise RuntimeError(f"gunicorn did not start (see {self.dir / 'web.log'})")

    def worker(self, name: str = "worker", **extra: str) -> None:
        self.spawn(
            name,
            [PY, "-m", "celery", "-A", "sam", "worker", "-Q", "default,reports,email", "-c", "2", "--without-gossip",
             "--without-mingle", "-n", f"drill-{self.name}-{name}@%h", "--loglevel", "INFO"],
            **extra,
        )  # fmt: skip

    def beat(self, name: str = "beat", **extra: str) -> None:
        self.spawn(
            name,
            [PY, "-m", "celery", "-A", "sam", "beat", "--schedule", str(self.dir / f"{name}-schedule"), "--loglevel",
             "INFO"],
            **extra,
        )  # fmt: skip

    def kill(self, name: str, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        # Children that outlived their parent (a pool process of a killed worker): same group, ours.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def app(self, *args: str) -> Any:
        """A step inside the app (Django set up against this drill's servers): ``python scripts/drills.py app ...``."""
        done = subprocess.run(
            [PY, __file__, "app", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"app step {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A query as the superuser (no row-level security: the drill counts every tenant's rows)."""
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.pg.port}/sam", connect_timeout=5) as conn:
            return list(conn.execute(query, params).fetchall())  # type: ignore[arg-type]

    def down(self) -> None:
        """Stop everything it started; its folder (the logs) stays until the drill's verdict (see main)."""
        for name in list(self.procs):
            self.kill(name)
        self.sink.close()
        self.redis.stop()
        self.pg.stop()
        FOLDERS.append(self.dir)


@contextlib.contextmanager
def stack(name: str, template: Template, **options: Any) -> Iterator[Stack]:
    if not template.ready:
        template.make()
    drill = Stack(name, template, **options)
    try:
        yield drill.up()
    finally:
        drill.down()


# --- HTTP ------------------------------------------------------------------------------------------------------


def http_status(url: str) -> int:
    import httpx

    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0


def signed_in(base: str) -> Any:
    """An HTTP client signed in as the demo admin (the login form, its CSRF token and the session cookie)."""
    import httpx

    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    page = client.get("/auth/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    response = client.post(
        "/auth/login/",
        data={"username": ADMIN, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
        headers={"Referer": base + "/auth/login/"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in answered {response.status_code}")
    return client


def form_token(client: Any, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


class Load:
    """A few HTTP clients repeating a mix of requests until stopped; every answer is counted by phase."""

    def __init__(self, base: str, token: str, account_ids: list[int], *, writes: bool = False) -> None:
        self.base, self.token, self.accounts, self.writes = base, token, account_ids, writes
        self.phase = "before"
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, str, int]] = Counter()  # (phase, what, status)
        self.committed: list[tuple[int, str]] = []  # (id, title) of each write the API confirmed
        self.timeline: list[tuple[float, str, int]] = []
        self.pool = ThreadPoolExecutor(max_workers=4)

    def record(self, what: str, status: int) -> None:
        with self.lock:
            self.answers[(self.phase, what, status)] += 1
            self.timeline.append((time.monotonic(), what, status))

    def start(self) -> Load:
        for n in range(4):
            self.pool.submit(self.client, n)
        return self

    def client(self, n: int) -> None:
        import httpx

        session = None
        api = httpx.Client(base_url=self.base, timeout=30, headers={"Authorization": f"Token {self.token}"})
        i = 0
        while not self.stop.is_set():
            i += 1
            try:
                if session is None:
                    session = signed_in(self.base)
                    self.record("sign-in", 302)
                account = self.accounts[(n + i) % len(self.accounts)]
                if n % 2 == 0:
                    self.record("page", session.get(f"/t/{TENANT}/").status_code)
                    self.record("page", session.get(f"/t/{TENANT}/accounts/{account}/").status_code)
                    if i % 25 == 0:  # a PDF now and then: its render task is published after commit
                        path = f"/t/{TENANT}/accounts/{account}/operations-review/"
                        data = {"start": "2026-01-01", "end": f"2026-03-{1 + i % 28:02d}", "summary": "Drill"}
                        data["csrfmiddlewaretoken"] = form_token(session, path)
                        answer = session.post(path + "pdf/", data=data, headers={"Referer": self.base + path})
                        self.record("pdf", answer.status_code)
                elif self.writes:
                    title = f"drill write {n}-{i}-{time.monotonic_ns()}"
                    answer = api.post("/api/v1/action-items/", json={"account": account, "title": title})
                    self.record("api-write", answer.status_code)
                    if answer.status_code == 201:
                        with self.lock:
                            self.committed.append((int(answer.json()["id"]), title))
                else:
                    self.record("api", api.get("/api/v1/accounts/", params={"page_size": 20}).status_code)
                    self.record("api", api.get(f"/api/v1/accounts/{account}/").status_code)
            except (httpx.HTTPError, RuntimeError) as exc:
                self.record(f"error:{type(exc).__name__}", 0)
                session = None if isinstance(exc, RuntimeError) else session
                time.sleep(0.2)

    def finish(self) -> None:
        self.stop.set()
        self.pool.shutdown(wait=True)

    def count(self, phase: str | None = None, *, ok: Callable[[int], bool] | None = None) -> int:
        with self.lock:
            return sum(
                n
                for (p, _, status), n in self.answers.items()
                if (phase is None or p == phase) and (ok or bool)(status)
            )

    def statuses(self, phase: str) -> dict[str, int]:
        with self.lock:
            found: Counter[str] = Counter()
            for (p, what, status), n in self.answers.items():
                if p == phase:
                    found[f"{what}={status}"] += n
            return dict(found)


def bad(status: int) -> bool:
    return status == 0 or status >= 500


# What each request of the load must answer when all is well (a PDF request redirects to the review it came from).
EXPECTED = {"page": {200}, "api": {200}, "pdf": {302}, "sign-in": {302}, "api-write": {201}}


def unexpected(load: Load) -> dict[str, int]:
    """The answers of every phase that are not what their request type must answer: a 403 or 429 is no answer."""
    found: Counter[str] = Counter()
    with load.lock:
        for (phase, what, status), n in load.answers.items():
            if status not in EXPECTED.get(what, set()):
                found[f"{phase}:{what}={status}"] += n
    return dict(found)


# --- The drills ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    passed: bool
    line: str
    skipped: bool = False


def document_counts(drill: Stack, where: str = "TRUE", params: tuple[Any, ...] = ()) -> Counter[str]:
    rows = drill.sql(f"SELECT status, count(*) FROM sam_document WHERE {where} GROUP BY status", params)  # noqa: S608
    return Counter(dict(rows))


def emails_sent(drill: Stack, prefix: str) -> int:
    rows = drill.sql(
        "SELECT count(*) FROM sam_outboundemail WHERE idempotency_key LIKE %s AND status = 'sent'", (prefix + "%",)
    )
    return int(rows[0][0])


def media_pdfs(drill: Stack) -> list[Path]:
    root = drill.media or drill.dir / "media"
    return [p for p in (root / "documents").rglob("*") if p.is_file()] if (root / "documents").exists() else []


def drill_a(template: Template) -> Outcome:
    """SIGKILL the worker while 20 PDFs render and 50 emails wait; restart it."""
    timeout = float(os.environ.get("DRILL_A_TIMEOUT", "300"))
    # A killed worker's unacknowledged tasks come back after the visibility timeout (an hour by default; half a
    # minute here), and beat's sweeps run every 5 s instead of every minute.
    options = {"CELERY_VISIBILITY_TIMEOUT": "30", "BEAT_SPEEDUP": "12"}
    with stack("a", template, smtp_delay=0.05, extra_env=options) as drill:
        setup = drill.app("setup")
        # All the work waits in the queues before the worker starts, so that it is killed in the middle of it.
        asked = drill.app("pdfs", "20", "drill-a")
        drill.app("emails", "50", "drill-a:")
        ids = tuple(asked["ids"])
        mine = "id = ANY(%s)"
        drill.worker()
        drill.beat()
        rendering = wait_until(lambda: document_counts(drill, mine, (list(ids),))["rendering"] > 0, 60, 0.05)
        time.sleep(0.2)
        at_kill = document_counts(drill, mine, (list(ids),))
        sent_at_kill = emails_sent(drill, "drill-a:")
        drill.kill("worker", signal.SIGKILL)
        say(
            f"drill-a: worker killed with {at_kill['ready']} ready, {at_kill['rendering']} rendering, "
            f"{at_kill['queued']} queued; {sent_at_kill}/50 emails sent"
        )
        drill.worker()
        done = wait_until(
            lambda: document_counts(drill, mine, (list(ids),))["ready"] == 20 and emails_sent(drill, "drill-a:") == 50,
            timeout,
            1,
        )
        counts = document_counts(drill, mine, (list(ids),))
        versions = drill.sql(
            "SELECT count(*) FROM sam_document WHERE kind = %s AND params->>'tag' = 'drill-a'", (REPORT_KIND,)
        )[0][0]
        stored = [name for (name,) in drill.sql("SELECT file FROM sam_document WHERE id = ANY(%s)", (list(ids),))]
        files_ok = sum(1 for name in stored if name and (drill.media / name).is_file())  # type: ignore[operator]
        known = {name for (name,) in drill.sql("SELECT file FROM sam_document WHERE file <> ''")}
        strays = [p for p in media_pdfs(drill) if str(p.relative_to(drill.media)) not in known]  # type: ignore[arg-type]
        received, twice = drill.sink.count("drill-a:")
        sent = emails_sent(drill, "drill-a:")
        del setup
    ready_once = counts["ready"] == 20 and versions == 20 and files_ok == 20 and not strays
    emails_once = received == 50 and twice == 0 and sent == 50
    unfinished = at_kill["ready"] < 20 and sent_at_kill < 50  # the kill came while work remained
    passed = done and rendering and unfinished and ready_once and emails_once
    detail = (
        f"{counts['ready']}/20 documents ready once ({files_ok} files, {versions} versions, "
        f"{len(strays)} stray files), "
        f"{received - twice}/50 emails sent once ({twice} twice)"
    )
    if not rendering or not unfinished:
        detail += "; no render was under way when the worker was killed"
    return Outcome(passed, detail)


def drill_b(template: Template) -> Outcome:
    """Stop Redis under load for DRILL_B_OUTAGE seconds; the app keeps answering; work resumes when it is back."""
    outage = float(os.environ.get("DRILL_B_OUTAGE", "60"))
    # As in drill a: the tasks the worker held when Redis went away come back after the visibility timeout (half a
    # minute here, an hour by default; their rows' sweeps send them again within ten minutes either way).
    options = {"BEAT_SPEEDUP": "12", "CELERY_VISIBILITY_TIMEOUT": "30"}
    with stack("b", template, extra_env=options) as drill:
        setup = drill.app("setup")
        drill.web()
        drill.worker()
        drill.beat()
        since = time.time()
        load = Load(drill.base, setup["token"], setup["accounts"]).start()
        time.sleep(10)
        load.phase = "outage"
        drill.redis.stop()
        outage_started = time.monotonic()
        time.sleep(2)
        ready_down = http_json(drill.base + "/readyz")
        health_down = http_status(drill.base + "/healthz")
        fresh_sign_in = 0
        with contextlib.suppress(Exception):
            signed_in(drill.base)
            fresh_sign_in = 302
        emails = drill.app("emails", "10", "drill-b:")  # queued while the broker is down: kept in the outbox
        time.sleep(max(0.0, outage - (time.monotonic() - outage_started)))
        drill.redis.start()
        load.phase = "after"
        time.sleep(10)
        load.finish()
        ready_up = wait_until(lambda: http_status(drill.base + "/readyz") == 200, 30)
        asked = ("kind = %s AND requested_at >= to_timestamp(%s)", (REPORT_KIND, since))
        pdfs = sum(document_counts(drill, *asked).values())
        done = wait_until(
            lambda: document_counts(drill, *asked)["ready"] == pdfs and emails_sent(drill, "drill-b:") == 10, 240, 1
        )
        counts = document_counts(drill, *asked)
        received, twice = drill.sink.count("drill-b:")
        during = load.count("outage")
        failed = load.count("outage", ok=bad) + load.count("after", ok=bad) + load.count("before", ok=bad)
        pdf_during = sum(n for k, n in load.statuses("outage").items() if k.startswith("pdf="))
        wrong = unexpected(load)
        worker_alive = drill.procs["worker"].poll() is None
        del setup, emails
    down_named = ready_down[0] == 503 and {"redis", "broker"} <= set(ready_down[1].get("down", []))
    passed = (
        done
        and failed == 0
        and not wrong
        and during > 0
        and pdf_during > 0
        and down_named
        and health_down == 200
        and fresh_sign_in == 302
        and ready_up
        and counts["ready"] == pdfs
        and received == 10
        and twice == 0
    )
    detail = (
        f"{during - load.count('outage', ok=bad)}/{during} requests answered during the {outage:.0f} s outage, "
        f"{sum(wrong.values())} of them all not as expected "
        f"({failed} errors in all, sign-in {'ok' if fresh_sign_in == 302 else 'FAILED'}), "
        f"readyz {ready_down[0]} naming {'+'.join(ready_down[1].get('down', [])) or 'nothing'}, healthz {health_down}; "
        f"after it {counts['ready']}/{pdfs} documents ready ({pdf_during} asked for during the outage"
        f"{'' if counts['ready'] == pdfs else '; ' + ', '.join(f'{n} {k}' for k, n in counts.items())}), "
        f"{received - twice}/10 emails queued during it sent once"
    )
    if wrong:
        detail += "; unexpected answers: " + ", ".join(f"{n} {k}" for k, n in sorted(wrong.items()))
    if not done:
        detail += f"; the worker {'still runs' if worker_alive else 'has exited'}"
    return Outcome(passed, detail)


def http_json(url: str) -> tuple[int, dict[str, Any]]:
    import httpx

    try:
        response = httpx.get(url, timeout=10)
        return response.status_code, response.json()
    except (httpx.HTTPError, ValueError):
        return 0, {}


def drill_c(template: Template) -> Outcome:
    """Restart PostgreSQL with an immediate shutdown under load; the app reconnects and no confirmed write is lost."""
    with stack("c", template) as drill:
        setup = drill.app("setup")
        drill.web()
        load = Load(drill.base, setup["token"], setup["accounts"], writes=True).start()
        time.sleep(10)
        load.phase = "restart"
        pid = drill.pg.running_pid()
        assert pid is not None
        os.kill(pid, signal.SIGQUIT)  # what `pg_ctl stop -m immediate` sends: no checkpoint, recovery on start
        down_at = time.monotonic()
        wait_until(lambda: drill.pg.running_pid() is None, 30, 0.1)
        drill.pg.start()  # replays the write-ahead log
        up_at = time.monotonic()
        load.phase = "after"
        time.sleep(15)
        load.finish()
        recovered = [t for t, _, status in load.timeline if t > up_at and not bad(status)]
        first_ok = (min(recovered) - up_at) if recovered else float("inf")
        late_errors = sum(1 for t, _, status in load.timeline if t > up_at + 5 and bad(status))
        committed = list(load.committed)
        found = dict(
            drill.sql("SELECT id, title FROM accounts_actionitem WHERE id = ANY(%s)", ([i for i, _ in committed],))
        )
        lost = [row_id for row_id, title in committed if found.get(row_id) != title]
        during_errors = load.count("restart", ok=bad) + sum(
            1 for t, _, status in load.timeline if up_at <= t <= up_at + 5 and bad(status)
        )
        del setup
    passed = bool(committed) and not lost and late_errors == 0 and bool(recovered)
    detail = (
        f"{len(committed) - len(lost)}/{len(committed)} confirmed writes present after the restart, "
        f"the app answering again {first_ok:.1f} s after PostgreSQL (down {up_at - down_at:.1f} s; "
        f"{during_errors} requests failed meanwhile, {late_errors} after)"
    )
    return Outcome(passed, detail)


DUPLICATE_CHECKS = {
    "QBRs": "SELECT count(*) FROM (SELECT 1 FROM qbr_qbr GROUP BY tenant_id, account_id, period_start "
    "HAVING count(*) > 1) d",
    "milestones": "SELECT count(*) FROM (SELECT 1 FROM qbr_milestone GROUP BY tenant_id, qbr_id, kind "
    "HAVING count(*) > 1) d",
    "prompts and actions": "SELECT count(*) FROM (SELECT 1 FROM accounts_actionitem WHERE dedupe_key <> '' "
    "GROUP BY tenant_id, source_kind, dedupe_key HAVING count(*) > 1) d",
    "emails": "SELECT count(*) FROM (SELECT 1 FROM sam_outboundemail GROUP BY tenant_id, idempotency_key "
    "HAVING count(*) > 1) d",
}
MADE = {
    "QBRs": "SELECT count(*) FROM qbr_qbr",
    "reminders": "SELECT count(*) FROM sam_outboundemail WHERE idempotency_key LIKE 'qbr-milestone:%%'",
    "prompts": "SELECT count(*) FROM sam_outboundemail WHERE idempotency_key LIKE 'assessment-prompt:%%'",
    "emails": "SELECT count(*) FROM sam_outboundemail",
}


def drill_d(template: Template) -> Outcome:
    """Two beats for DRILL_D_SECONDS, every interval job 60 times as often: nothing made or sent twice."""
    seconds = float(os.environ.get("DRILL_D_SECONDS", "300"))
    with stack("d", template, extra_env={"BEAT_SPEEDUP": "60"}) as drill:
        drill.app("setup")
        due = drill.app("due")
        before = {name: int(drill.sql(query)[0][0]) for name, query in MADE.items()}
        drill.worker()
        drill.beat("beat-1")
        drill.beat("beat-2")
        time.sleep(seconds)
        drill.kill("beat-1")
        drill.kill("beat-2")
        wait_until(lambda: int(drill.sql("SELECT count(*) FROM sam_outboundemail WHERE status = 'queued'")[0][0]) == 0,
                   60, 1)  # fmt: skip
        time.sleep(3)
        after = {name: int(drill.sql(query)[0][0]) for name, query in MADE.items()}
        duplicates = {name: int(drill.sql(query)[0][0]) for name, query in DUPLICATE_CHECKS.items()}
        twice = drill.sink.duplicates()
        received = drill.sink.total()
        ticks = sum(
            (drill.dir / f"{name}.log").read_text(errors="replace").count("Sending due task")
            for name in ("beat-1", "beat-2")
        )
    made = ", ".join(f"{after[k] - before[k]} {k}" for k in MADE)
    made_each = all(after[k] > before[k] for k in MADE)  # every kind of work was done while both beats ran
    passed = not any(duplicates.values()) and not twice and ticks > 0 and made_each
    detail = (
        f"{ticks} ticks from two beats in {seconds:.0f} s made {made} (of {due['qbrs']} QBRs and "
        f"{due['prompts']} prompts taken away to be made again); {received} emails received, "
        f"{len(twice)} twice; duplicate rows: " + ", ".join(f"{n} {k}" for k, n in duplicates.items())
    )
    if twice:
        detail += " (twice: " + ", ".join(sorted(twice)[:5]) + ")"
    return Outcome(passed, detail)


def drill_e(template: Template) -> Outcome:
    """A full media storage during a render: a readable failure, no partial file; once freed, asking again works."""
    if os.geteuid() != 0:
        return Outcome(False, "mounting a small tmpfs for the media storage needs root", skipped=True)
    mount = Path(tempfile.mkdtemp(prefix="sam-drill-e-media-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0777", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        mount.rmdir()
        return Outcome(False, f"could not mount a tmpfs ({mounted.stderr.decode().strip()})", skipped=True)
    try:
        with stack("e", template, media=mount) as drill:
            drill.app("setup")
            filler = mount / "filler"
            with contextlib.suppress(OSError), filler.open("wb") as handle:
                while True:
                    handle.write(b"\0" * 4096)  # until the disk is full
            free = shutil.disk_usage(mount).free
            drill.worker()
            first = drill.app("pdfs", "1", "drill-e-1")["ids"][0]
            failed = wait_until(lambda: document_counts(drill, "id = %s", (first,))["failed"] == 1, 180, 1)
            error = drill.sql("SELECT error FROM sam_document WHERE id = %s", (first,))[0][0]
            leftovers = [p.name for p in mount.rglob("*") if p.is_file() and p != filler]
            filler.unlink()  # an operator frees space
            second = drill.app("pdfs", "1", "drill-e-1")["ids"][0]  # the same request again, as its requester would
            ready = wait_until(lambda: document_counts(drill, "id = %s", (second,))["ready"] == 1, 120, 1)
            stored = drill.sql("SELECT file, size FROM sam_document WHERE id = %s", (second,))[0]
            on_disk = (mount / stored[0]).is_file() if stored[0] else False
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        with contextlib.suppress(OSError):
            mount.rmdir()
    readable = "no room left in the file storage" in error and "/" not in error and "Errno" not in error
    passed = failed and readable and not leftovers and ready and on_disk
    detail = (
        f"with {free} bytes free the render failed readably ({'yes' if readable else 'NO'}: {error[:70]!r}...), "
        f"{len(leftovers)} partial files left; after freeing space asking again was "
        f"{'ready' if ready and on_disk else 'NOT ready'} ({stored[1]} bytes)"
    )
    return Outcome(passed, detail)


DRILLS: dict[str, Callable[[Template], Outcome]] = {
    "a": drill_a,
    "b": drill_b,
    "c": drill_c,
    "d": drill_d,
    "e": drill_e,
}


# --- Steps inside the app --------------------------------------------------------------------------------------


def app_step(args: list[str]) -> None:
    """Run with Django set up against the drill's servers; prints one JSON line."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from sam import services
    from sam.documents.services import document_request
    from sam.models import Membership, Tenant
    from sam.outbox import email_enqueue
    from sam.tenancy.context import tenant_context

    tenant = Tenant.objects.get(slug=TENANT)
    admin = get_user_model().objects.get(email=ADMIN)
    step = args[0]
    with tenant_context(tenant):
        if step == "setup":
            membership = Membership.objects.get(user=admin)
            _, token = services.token_create(membership=membership, name="drill", expires_in_days=1)
            accounts = list(Account.objects.order_by("pk").values_list("pk", flat=True)[:8])
            print(json.dumps({"token": token, "accounts": accounts}))
        elif step == "pdfs":
            count, tag = int(args[1]), args[2]
            accounts = list(Account.objects.order_by("pk")[:count])
            ids = []
            for n in range(count):
                params = {"start": "2026-01-01", "end": "2026-03-31", "tag": tag, "n": n}
                document, _ = document_request(
                    kind=REPORT_KIND, subject=accounts[n % len(accounts)], params=params, acting_user=admin
                )
                ids.append(document.pk)
            print(json.dumps({"ids": ids}))
        elif step == "emails":
            count, prefix = int(args[1]), args[2]
            ids = []
            for n in range(count):
                row, _ = email_enqueue(
                    key=f"{prefix}{n}", to=[f"drill{n}@example.test"], subject=f"Drill {n}", text="A drill email."
                )
                ids.append(row.pk)
            print(json.dumps({"ids": ids}))
        elif step == "due":
            # Work for the beat's jobs: the demo data already holds each account's current and next QBR and its
            # mid-contract prompt, so the next periods' QBRs and the prompts are taken away to be made again.
            from django.utils import timezone

            from accounts.models import ActionItem
            from qbr.models import Qbr
            from sam.models import OutboundEmail

            following = Qbr.objects.filter(status=Qbr.Status.PLANNED, period_start__gt=timezone.localdate())
            qbrs = following.count()
            following.delete()
            OutboundEmail.objects.filter(idempotency_key__startswith="assessment-prompt:").delete()
            prompts = ActionItem.objects.filter(dedupe_key__startswith="midcontract:").delete()[0]
            print(json.dumps({"qbrs": qbrs, "prompts": prompts}))
        else:
            raise SystemExit(f"unknown step {step}")


# --- Main ------------------------------------------------------------------------------------------------------


def main() -> int:
    if sys.argv[1:2] == ["app"]:
        app_step(sys.argv[2:])
        return 0
    chosen = [d.strip().lower() for d in (os.environ.get("DRILL") or ",".join(DRILLS)).split(",") if d.strip()]
    unknown = [d for d in chosen if d not in DRILLS]
    if unknown:
        print(f"Unknown drill {', '.join(unknown)}: choose from {', '.join(DRILLS)}.", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="sam-drills-"))
    base.chmod(0o755)
    template = Template(base)
    results: list[tuple[str, Outcome]] = []

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        for name in chosen:
            started = time.monotonic()
            say(f"drill-{name}: {DRILLS[name].__doc__}")
            try:
                outcome = DRILLS[name](template)
            except Exception as exc:
                outcome = Outcome(False, f"the drill itself broke: {type(exc).__name__}: {exc}")
            verdict = "SKIP" if outcome.skipped else "PASS" if outcome.passed else "FAIL"  # a skip is no pass
            line = f"{verdict} drill-{name}: {outcome.line} [{time.monotonic() - started:.0f} s]"
            print(line, flush=True)
            results.append((name, outcome))
            for folder in FOLDERS:
                if outcome.passed and not KEEP:
                    shutil.rmtree(folder, ignore_errors=True)
                else:
                    say(f"(the logs of every process: {folder})")
            FOLDERS.clear()
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if all(outcome.passed or outcome.skipped for _, outcome in results) else 1  # SKIP is said, not failed


if __name__ == "__main__":
    sys.exit(main())
