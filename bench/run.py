"""Benchmarks against a real server: gunicorn on loopback, DEBUG off.

Every scenario is reported as throughput and p50/p95 latency, and as a ratio
to bare baselines measured in the same run, so results compare across
machines. Timings are never asserted in unit tests; this prints and writes
bench/results/latest.json.

Later features add scenarios to SCENARIOS (HTTP) or IN_PROCESS (e.g. PDF
rendering against bare WeasyPrint).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8765"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "1"))
DEMO_USER, DEMO_TENANT = "admin@northwind.example", "northwind"


@dataclass
class Scenario:
    name: str
    path: str
    baselines: tuple[str, ...] = ()  # names of the bare scenarios it is compared with
    needs_login: bool = False
    # (baseline name, the most p50 milliseconds the scenario may add to it)
    goal_added_ms: tuple[str, float] | None = None


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    baselines: tuple[str, ...] = ()
    ratios: dict[str, dict[str, float]] = field(default_factory=dict)
    goal_added_ms: tuple[str, float] | None = None
    goal_met: bool | None = None


SCENARIOS: list[Scenario] = [
    Scenario("bare hello", "/bench/hello/"),
    Scenario("hello, signed in (auth only)", "/bench/hello-signed-in/", baselines=("bare hello",), needs_login=True),
    Scenario(
        "hello behind tenant + auth middleware",
        f"/t/{DEMO_TENANT}/bench/hello/",
        baselines=("bare hello", "hello, signed in (auth only)"),
        needs_login=True,
    ),
    Scenario("bare template, 100 rows", "/bench/rows/"),
    Scenario("bare DRF list, 50 rows", "/bench/drf50/"),
    Scenario("dashboard page", f"/t/{DEMO_TENANT}/", baselines=("bare template, 100 rows",), needs_login=True),
    Scenario("API members list", "/api/v1/members/", baselines=("bare DRF list, 50 rows",), needs_login=True),
]

# name -> (callable doing one unit of work, baseline name); measured in this process.
IN_PROCESS: list[tuple[str, Callable[[], None], str | None]] = []
# In-process goals: name -> the most the scenario may cost as a multiple of its baseline's p50.
GOAL_RATIO: dict[str, float] = {"Operations Review, 10 pages: data + template + render": 1.5}
CLEANUP: list[Callable[[], None]] = []
# HTTP runs that are not plain GETs (e.g. form POSTs): called while the server is up, each returns its results.
HTTP_CUSTOM: list[Callable[[], list[Result]]] = []
# HTTP goals: name -> (baseline name, the least throughput the scenario must keep as a fraction of the baseline's).
GOAL_THROUGHPUT: dict[str, tuple[str, float]] = {
    # Entering the tenant keeps most of the signed-in hello's throughput (a view that reads nothing: no round trip).
    "hello behind tenant + auth middleware": ("hello, signed in (auth only)", 0.7),
}

BARE_REPORT_HTML = (
    "<html><head><style>@page { size: A4; margin: 2cm } td, th { border-bottom: 1px solid #ccc; padding: 4px }"
    "</style></head><body><h1>Report</h1><table><thead><tr><th>Item</th><th>Owner</th><th>Status</th></tr></thead>"
    "<tbody>"
    + "".join(f"<tr><td>Item {i}</td><td>Owner {i % 9}</td><td>open</td></tr>" for i in range(300))
    + "</tbody></table></body></html>"
)


def bare_weasyprint() -> None:
    """The baseline for report scenarios: WeasyPrint alone on fixed HTML (about 10 pages)."""
    from weasyprint import HTML

    HTML(string=BARE_REPORT_HTML).write_pdf()


IN_PROCESS.append(("bare WeasyPrint, 300-row table", bare_weasyprint, None))


def bare_template_rows() -> None:
    """The baseline for in-process pages and figures: the bare template of 100 rows rendered alone."""
    from django.template.loader import render_to_string

    from bench.views import ROWS_100

    render_to_string("bench/rows.html", {"rows": ROWS_100})


IN_PROCESS.append(("bare template, 100 rows (in process)", bare_template_rows, None))


def vacuum(*tables: str) -> None:
    """VACUUM ANALYZE tables a scenario filled (as the owner role; none named: every tenant table), so it runs
    against settled tables and fresh statistics, as it would with autovacuum, whatever earlier runs left behind."""
    from dashboard.benchdata import vacuum_analyze  # loads models: only once main() has set Django up

    vacuum_analyze(tables or None)


def start_server() -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "SAM_ENV": "development", "DEBUG": "false"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    if healthy(HOST, PORT, 30):
        return proc
    proc.kill()
    raise SystemExit("gunicorn did not start")


def healthy(host: str, port: int, seconds: float) -> bool:
    """Whether the server at host:port answers /healthz with 200 within the given time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.2)
    return False


def login() -> str:
    """Sign in once like a browser; return the Cookie header."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    conn.request("GET", "/auth/login/")
    response = conn.getresponse()
    body = response.read().decode()
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, value = header.split(";", 1)[0].split("=", 1)
        cookies[name] = value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    from sam.demo import DEMO_PASSWORD

    form = urlencode({"csrfmiddlewaretoken": token, "username": DEMO_USER, "password": DEMO_PASSWORD})
    conn.request(
        "POST",
        "/auth/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"http://{HOST}:{PORT}/auth/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    for header in response.headers.get_all("Set-Cookie") or []:
        name, value = header.split(";", 1)[0].split("=", 1)
        cookies[name] = value
    if "sessionid" not in cookies:
        raise SystemExit(f"demo login failed ({response.status}); run `make demo` first")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def run_http(scenario: Scenario, cookie: str) -> Result:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = REQUESTS // CONCURRENCY
    headers = {"Cookie": cookie} if scenario.needs_login else {}

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        mine: list[float] = []
        bad = 0
        for _ in range(per_thread):
            start = time.perf_counter()
            try:
                conn.request("GET", scenario.path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
                conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors += bad

    for _ in range(20):  # warm up
        c = http.client.HTTPConnection(HOST, PORT, timeout=30)
        c.request("GET", scenario.path, headers=headers)
        c.getresponse().read()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    result = summarise(scenario.name, latencies, errors, elapsed, scenario.baselines)
    result.goal_added_ms = scenario.goal_added_ms
    return result


def run_in_process(name: str, fn: Callable[[], None], baseline: str | None, repeat: int = 20) -> Result:
    baselines = (baseline,) if baseline else ()
    fn()  # warm up
    latencies: list[float] = []
    started = time.perf_counter()
    # At least ``repeat`` runs, and more (up to 500) until a second has passed: fast work gets a real sample.
    while len(latencies) < repeat or (time.perf_counter() - started < 1.0 and len(latencies) < 500):
        t0 = time.perf_counter()
        fn()
        latencies.append(time.perf_counter() - t0)
    return summarise(name, latencies, 0, time.perf_counter() - started, baselines)


def summarise(name: str, latencies: list[float], errors: int, elapsed: float, baselines: tuple[str, ...]) -> Result:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return Result(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 3),
        throughput=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p95_ms=round(p95 * 1000, 2),
        baselines=baselines,
    )


def add_ratios(results: list[Result]) -> None:
    by_name = {r.name: r for r in results}
    for r in results:
        for name in r.baselines:
            base = by_name[name]
            r.ratios[name] = {
                "throughput": round(r.throughput / base.throughput, 3),
                "p50": round(r.p50_ms / base.p50_ms, 3),
                "p95": round(r.p95_ms / base.p95_ms, 3),
                "p50_added_ms": round(r.p50_ms - base.p50_ms, 2),
            }
        if r.goal_added_ms:
            name, limit = r.goal_added_ms
            r.goal_met = r.ratios[name]["p50_added_ms"] <= limit
        if r.name in GOAL_THROUGHPUT:
            name, least = GOAL_THROUGHPUT[r.name]
            r.goal_met = r.ratios[name]["throughput"] >= least
        if r.name in GOAL_RATIO and r.baselines:
            r.goal_met = r.ratios[r.baselines[0]]["p50"] <= GOAL_RATIO[r.name]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    sys.modules.setdefault("bench.run", sys.modules[__name__])  # scenario modules import this one
    only = {f"scenarios_{name.strip()}" for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    for module in sorted((ROOT / "bench").glob("scenarios_*.py")):
        if not only or module.stem in only:  # BENCH_ONLY=search,timeline: those scenario files (and the bare ones)
            __import__(f"bench.{module.stem}")  # later features register their scenarios
    vacuum()  # the demo was just seeded: plan its queries with statistics that know its rows, as autovacuum would
    server = start_server()
    try:
        cookie = login()
        results = [run_http(s, cookie) for s in SCENARIOS]
        for custom in HTTP_CUSTOM:
            results += custom()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    try:
        results += [run_in_process(name, fn, base, repeat=5) for name, fn, base in IN_PROCESS]
    finally:
        for cleanup in CLEANUP:
            try:
                cleanup()
            except Exception as exc:  # a failed cleanup must not lose the results
                print(f"cleanup {cleanup.__module__}.{cleanup.__name__} failed: {exc!r}", file=sys.stderr)
    add_ratios(results)

    print(f"\n{'scenario':<40} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'err':>4}")
    for r in results:
        print(f"{r.name:<40} {r.throughput:>8} {r.p50_ms:>8} {r.p95_ms:>8} {r.errors:>4}")
        for name, ratio in r.ratios.items():
            print(
                f"{'':<6}vs {name}: throughput x{ratio['throughput']}, p50 x{ratio['p50']}, "
                f"p95 x{ratio['p95']}, p50 {ratio['p50_added_ms']:+} ms"
            )
        if r.goal_added_ms:
            name, limit = r.goal_added_ms
            verdict = "met" if r.goal_met else "MISSED"
            print(f"{'':<6}goal: at most +{limit} ms p50 over {name}: {verdict}")
        if r.name in GOAL_THROUGHPUT:
            name, least = GOAL_THROUGHPUT[r.name]
            verdict = "met" if r.goal_met else "MISSED"
            print(f"{'':<6}goal: at least {least:.0%} of the throughput of {name}: {verdict}")
        if r.name in GOAL_RATIO:
            verdict = "met" if r.goal_met else "MISSED"
            print(f"{'':<6}goal: at most x{GOAL_RATIO[r.name]} the baseline's p50: {verdict}")
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "requests_per_scenario": REQUESTS,
        "concurrency": CONCURRENCY,
        "results": [asdict(r) for r in results],
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")
    if any(r.errors for r in results):
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
