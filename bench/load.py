"""``make load`` (10 minutes) and ``make load-quick`` (2 minutes): the mixed load over 200 tenants.

1. The database ``sam_load`` (beside the product's own, on the same server) gets the ``seed_bench`` tenants
   ``load-000`` to ``load-199``, each a program of 100 accounts (made once; later runs keep them).
2. ``bench/loadplan.py`` gives the bench people a password and opens a survey campaign in the first tenants.
3. gunicorn, a Celery worker and beat run on loopback (as in production: DEBUG off, the product's settings).
4. Headless locust (bench/locustfile.py) runs account managers, executives, customers answering surveys and
   PDF requests at a fixed pace; its figures per request type go to bench/results/load-<mode>.json.
5. The same pages of tenant ``load-000`` are timed one at a time in the 200-tenant database and in a database
   holding that tenant alone (``sam_load_one``, the same seed): the ratio of their medians.

Goals on a 2-core machine: at least 20 requests per second with no errors, p95 under 300 ms for every page
and API request type, and each page in the 200-tenant database within 1.2x of its time alone.
Settings: LOAD_MINUTES, LOAD_USERS (48), LOAD_TENANTS (200), LOAD_PORT (8766), LOAD_WORKERS (gunicorn, 3).
Only loopback; the email relay is the one thing stood in for (Django's dummy backend).
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import healthy  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
HOST = "127.0.0.1"
PORT = int(os.environ.get("LOAD_PORT", "8766"))
PREFIX = "load"
TENANTS = int(os.environ.get("LOAD_TENANTS", "200"))
MINUTES = float(os.environ.get("LOAD_MINUTES", "10"))
USERS = int(os.environ.get("LOAD_USERS", "48"))
WORKERS = os.environ.get("LOAD_WORKERS", "3")
MODE = os.environ.get("LOAD_MODE", "full" if MINUTES >= 10 else "quick")
VAR = ROOT / "var" / "load"
RESULTS = ROOT / "bench" / "results"
GOAL_RPS, GOAL_P95_MS, GOAL_ALONE_RATIO = 20.0, 300.0, 1.2
ALONE_SAMPLES = int(os.environ.get("LOAD_ALONE_SAMPLES", "30"))


def say(line: str) -> None:
    print(line, flush=True)


# --- databases -------------------------------------------------------------------------------------------------


def database_env(name: str, redis_db: int) -> dict[str, str]:
    """The environment of the processes that use database ``name`` on the product's server (made if missing)
    and Redis database ``redis_db`` (cache and broker of their own)."""
    from sam.localstack import prepare

    address = os.environ.get("SAM_POSTGRES_ADDRESS") or "127.0.0.1:5432"
    app = urlparse(os.environ.get("DATABASE_URL") or f"postgres://sam_app@{address}/sam")
    owner = urlparse(os.environ.get("DATABASE_OWNER_URL") or f"postgres://sam_owner@{address}/sam")
    redis = urlparse(
        os.environ.get("REDIS_URL") or f"redis://{os.environ.get('SAM_REDIS_ADDRESS') or '127.0.0.1:6379'}/0"
    )
    env = {
        **os.environ,
        "DATABASE_URL": app._replace(path=f"/{name}").geturl(),
        "DATABASE_OWNER_URL": owner._replace(path=f"/{name}").geturl(),
        "REDIS_URL": redis._replace(path=f"/{redis_db}").geturl(),
        "CELERY_BROKER_URL": redis._replace(path=f"/{redis_db}").geturl(),
        "DJANGO_SETTINGS_MODULE": "sam.settings",
        "SAM_ENV": "development",
        "DEBUG": "false",
        "SITE_URL": f"http://{HOST}:{PORT}",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": str(VAR / name / "media"),
        # Every simulated person comes from 127.0.0.1: the per-address limits would count them as one.
        "LOGIN_RATE_LIMIT": "100000",
        "SURVEY_RATE_LIMIT": "100000000",
    }
    prepare(env)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def seeded(env: dict[str, str], tenants: int) -> None:
    started = time.monotonic()
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_bench", "--tenants", str(tenants), "--prefix", PREFIX)
    say(f"  {tenants} tenants ready in {time.monotonic() - started:.0f} s")


def plan(env: dict[str, str], tenants: int, target: Path, *, surveys: bool = True) -> dict[str, Any]:
    extra = {} if surveys else {"LOAD_SURVEY_TENANTS": "0"}
    subprocess.run(
        [PY, "bench/loadplan.py", str(target), PREFIX, str(tenants)], cwd=ROOT, env={**env, **extra}, check=True
    )
    return json.loads(target.read_text())


# --- the processes -----------------------------------------------------------------------------------------------


def start(env: dict[str, str], logs: Path, *, web_only: bool = False) -> list[subprocess.Popen[bytes]]:
    logs.mkdir(parents=True, exist_ok=True)
    Path(env["MEDIA_ROOT"]).mkdir(parents=True, exist_ok=True)
    celery = str(BIN / "celery")
    commands = {
        "web": [PY, "-m", "gunicorn", "sam.wsgi:application", "--bind", f"{HOST}:{PORT}", "--workers", WORKERS],
        # The worker renders PDFs at a lower CPU priority: on one machine, pages come before reports.
        "worker": ["nice", "-n", "10", celery, "-A", "sam", "worker", "-Q", "default,reports,email", "-c", "1"],
        "beat": [celery, "-A", "sam", "beat", "--schedule", str(logs / "celerybeat-schedule")],
    }
    procs = []
    for name, command in commands.items():
        if web_only and name != "web":
            continue
        log = (logs / f"{name}.log").open("ab")
        procs.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )
    if healthy(HOST, PORT, 60):
        return procs
    stop(procs)
    raise SystemExit(f"gunicorn did not start: see {logs / 'web.log'}")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --- the load ----------------------------------------------------------------------------------------------------


def run_locust(plan_path: Path, out: Path) -> list[dict[str, Any]]:
    seconds = int(MINUTES * 60)
    say(f"  locust: {USERS} people for {seconds} s")
    for stale in out.parent.glob(f"{out.name}_*.csv"):  # a run that writes nothing must not report the last one's
        stale.unlink()
    done = subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            "bench/locustfile.py",
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(max(1, USERS // 10)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            f"http://{HOST}:{PORT}",
            "--csv",
            str(out),
            "--only-summary",
            "--reset-stats",  # counted from when every person has signed in: the steady load, not the sign-in rush
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "LOAD_PLAN": str(plan_path)},
        check=False,  # locust exits 1 when any request failed: the figures say so
    )
    if done.returncode not in (0, 1) or not Path(f"{out}_stats.csv").exists():
        raise SystemExit(f"locust failed (exit {done.returncode}): no figures")
    with Path(f"{out}_stats.csv").open() as f:
        return list(csv.DictReader(f))


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def number(row: dict[str, Any], key: str) -> float:
        value = row.get(key) or "0"
        return float(value) if value != "N/A" else 0.0

    types = []
    total = None
    for row in rows:
        item = {
            "name": row["Name"] if row["Type"] else "all",
            "method": row["Type"],
            "requests": int(number(row, "Request Count")),
            "errors": int(number(row, "Failure Count")),
            "rps": round(number(row, "Requests/s"), 2),
            "p50_ms": number(row, "50%"),
            "p95_ms": number(row, "95%"),
            "p99_ms": number(row, "99%"),
        }
        if row["Name"] == "Aggregated":
            total = item
        else:
            types.append(item)
    assert total is not None, "locust wrote no aggregate row"
    return {"total": total, "types": types}


# --- one tenant's pages, alone and among 200 ---------------------------------------------------------------------


class Browser:
    """A signed-in person, one request at a time (http.client: nothing between the page and the timer)."""

    def __init__(self, email: str, password: str) -> None:
        self.cookies: dict[str, str] = {}
        page = self.request("GET", "/auth/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        form = urlencode({"csrfmiddlewaretoken": token.group(1), "username": email, "password": password})
        self.request("POST", "/auth/login/", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert "sessionid" in self.cookies, "the bench person could not sign in"

    def request(self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None) -> str:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers={**(headers or {}), "Cookie": cookie})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        if response.status >= 400:
            raise SystemExit(f"{method} {path} answered {response.status}")
        return text

    def median_ms(self, path: str, headers: dict[str, str] | None = None) -> float:
        for _ in range(5):  # warm: the worker's caches, the connection, the session
            self.request("GET", path, headers=headers)
        times = []
        for _ in range(ALONE_SAMPLES):
            started = time.perf_counter()
            self.request("GET", path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)


def tenant_pages(data: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    slug = data["timed"]
    account = data["tenants"][slug]["accounts"][0]
    api = {"X-SAM-Tenant": slug}
    return {
        "dashboard": (f"/t/{slug}/", {}),
        "portfolio": (f"/t/{slug}/accounts/", {}),
        "account": (f"/t/{slug}/accounts/{account}/", {}),
        "account scorecard": (f"/t/{slug}/accounts/{account}/scorecard/", {}),
        "heatmap": (f"/t/{slug}/scorecards/", {}),
        "my actions": (f"/t/{slug}/my-actions/", {}),
        "api: accounts list": ("/api/v1/accounts/", api),
    }


def time_pages(env: dict[str, str], data: dict[str, Any], logs: Path) -> dict[str, float]:
    """The tenant's pages one at a time, with the web server alone up (no load, no worker) and an empty cache."""
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    procs = start(env, logs, web_only=True)
    try:
        browser = Browser(data["people"]["manager"], data["password"])
        pages = tenant_pages(data).items()
        return {name: round(browser.median_ms(path, headers), 2) for name, (path, headers) in pages}
    finally:
        stop(procs)


# --- the run -----------------------------------------------------------------------------------------------------


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    say(f"Mixed load ({MODE}): {TENANTS} tenants in sam_load")
    many = database_env("sam_load", 11)
    seeded(many, TENANTS)
    data = plan(many, TENANTS, VAR / "plan.json")
    procs = start(many, VAR / "sam_load")
    try:
        rows = run_locust(VAR / "plan.json", VAR / f"locust-{MODE}")
    finally:
        stop(procs)
    say(f"The pages of {PREFIX}-000 one at a time: among {TENANTS} tenants, then alone (sam_load_one)")
    among_many = time_pages(many, data, VAR / "sam_load")
    one = database_env("sam_load_one", 12)
    seeded(one, 1)
    data_one = plan(one, 1, VAR / "plan-one.json", surveys=False)
    alone = time_pages(one, data_one, VAR / "sam_load_one")

    result = summary(rows)
    total = result["total"]
    # Every page, API call, survey and PDF request; only signing in (once a person, a slow password hash) is not.
    slow = [t for t in result["types"] if not t["name"].startswith("auth:") and t["p95_ms"] >= GOAL_P95_MS]
    ratios = {name: round(among_many[name] / alone[name], 2) for name in alone}
    result.update(
        mode=MODE,
        minutes=MINUTES,
        people=USERS,
        tenants=TENANTS,
        tenant_pages_ms={"among_200": among_many, "alone": alone, "ratio": ratios},
        goals={
            "rps": {"goal": GOAL_RPS, "measured": total["rps"], "met": total["rps"] >= GOAL_RPS},
            "errors": {"goal": 0, "measured": total["errors"], "met": total["errors"] == 0},
            "p95_every_request_type": {
                "goal_ms": GOAL_P95_MS,
                "over": [(t["name"], t["p95_ms"]) for t in slow],
                "met": not slow,
            },
            "tenant_alone_ratio": {
                "goal": GOAL_ALONE_RATIO,
                "worst": max(ratios.values()),
                "met": max(ratios.values()) <= GOAL_ALONE_RATIO,
            },
        },
        command="make load" if MODE == "full" else "make load-quick",
        when=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    (RESULTS / f"load-{MODE}.json").write_text(json.dumps(result, indent=2))

    say("")
    say(f"{'request type':42} {'count':>7} {'errors':>6} {'rps':>6} {'p50':>6} {'p95':>6} {'p99':>6}")
    for t in [*result["types"], total]:
        say(
            f"{t['method'] + ' ' + t['name'] if t['method'] else t['name']:42} {t['requests']:>7} {t['errors']:>6} "
            f"{t['rps']:>6} {t['p50_ms']:>6.0f} {t['p95_ms']:>6.0f} {t['p99_ms']:>6.0f}"
        )
    say("")
    say(f"{'load-000 page (median ms)':42} {'of 200':>8} {'alone':>8} {'ratio':>6}")
    for name, ratio in ratios.items():
        say(f"{name:42} {among_many[name]:>8.1f} {alone[name]:>8.1f} {ratio:>6.2f}")
    say("")
    for name, goal in result["goals"].items():
        say(f"{'PASS' if goal['met'] else 'MISS'} {name}: {json.dumps({k: v for k, v in goal.items() if k != 'met'})}")
    say(f"Written: {RESULTS / f'load-{MODE}.json'}")
    return 0 if all(goal["met"] for goal in result["goals"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
