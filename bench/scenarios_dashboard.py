"""Dashboard: the executive's portfolio dashboard (``GET /t/<slug>/?scope=all``) of a tenant with 100 accounts x
8 periods x 20 metrics, 2,000 survey answers, 5,000 incidents and 3 years of revenue, against the bare template
view listing 100 rows in the same run. Goal: at least 25% of its throughput. Then the same page once the
database holds 200 such tenants, against the first figure. Goal: at least 1/1.2 of its throughput (the other
tenants' rows must not slow a tenant down).

The tenants are made as ``manage.py seed_bench`` makes them (dashboard.benchdata): ``bench-000`` to
``bench-199``. The demo admin is an admin of ``bench-000`` only: the workspace switcher on every page lists the
user's workspaces, and 200 of them would measure the switcher, not the database.

Kept or dropped: ``bench-000`` is made once and kept, so later runs reuse it. The other tenants are made during
the run, after the first figure, and dropped as soon as the second is taken (a few minutes to make, about a
minute to drop). Kept, they would turn the next run's 1-tenant database into a 200-tenant one, and the
scenarios measured after this one would run against them too. Leftovers of an interrupted run (or of a manual
``seed_bench``) are dropped before measuring. ``BENCH_DASHBOARD_TENANTS`` (default 200) sets the size of the
second database; 1 leaves it out.
"""

from __future__ import annotations

import os
import sys
import time

from bench.run import DEMO_USER, GOAL_THROUGHPUT, HTTP_CUSTOM, Result, Scenario, login, run_http, vacuum

PREFIX = "bench"
SLUG = f"{PREFIX}-000"
TENANTS = max(1, int(os.environ.get("BENCH_DASHBOARD_TENANTS", "200")))
JOBS = min(4, os.cpu_count() or 1)
BARE = "bare template, 100 rows"
WHAT = "dashboard, 100 accounts x 8 periods x 20 metrics"
ONE, MANY = f"{WHAT}, 1 tenant", f"{WHAT}, {TENANTS} tenants"
PATH = f"/t/{SLUG}/?scope=all"


def _say(line: str) -> None:
    slug = line.split(":", 1)[0]
    if slug.startswith(f"{PREFIX}-") and not slug.endswith(("00", "50")):
        return  # a line per 50 tenants is progress enough
    print(f"dashboard bench: {line}", file=sys.stderr, flush=True)


def _settle() -> None:
    from dashboard.benchdata import tables

    vacuum(*tables())


def _drop_others() -> None:
    """Every numbered bench tenant but the first, with all their rows."""
    from dashboard.benchdata import drop_tenants, numbered

    drop_tenants(list(numbered(PREFIX).exclude(slug=SLUG).order_by("slug")), say=_say)


def prepare() -> None:
    from accounts.models import Account
    from dashboard.benchdata import Sizes, drop_tenants, numbered, seed_tenants
    from sam.models import User
    from sam.tenancy.context import tenant_context

    _drop_others()
    first = numbered(PREFIX).filter(slug=SLUG).first()
    if first is not None:
        with tenant_context(first):
            full = Account.objects.count() == Sizes().accounts
        if not full:  # made smaller by hand: made again at full size
            drop_tenants([first], say=_say)
    seed_tenants(1, prefix=PREFIX, user=User.objects.get(email=DEMO_USER), say=_say)
    _settle()


def run() -> list[Result]:
    cookie = login()
    results = [run_http(Scenario(ONE, PATH, baselines=(BARE,), needs_login=True), cookie)]
    if TENANTS > 1:
        from dashboard.benchdata import seed_tenants

        started = time.monotonic()
        try:
            seed_tenants(TENANTS, prefix=PREFIX, jobs=JOBS, say=_say)
            _settle()
            _say(f"{TENANTS} tenants ready and settled in {time.monotonic() - started:.0f} s")
            results.append(run_http(Scenario(MANY, PATH, baselines=(BARE, ONE), needs_login=True), cookie))
        finally:
            _drop_others()  # the scenarios after this one run against the usual database
            _settle()
    return results


prepare()
HTTP_CUSTOM.append(run)
GOAL_THROUGHPUT[ONE] = (BARE, 0.25)
if TENANTS > 1:
    GOAL_THROUGHPUT[MANY] = (ONE, round(1 / 1.2, 3))
