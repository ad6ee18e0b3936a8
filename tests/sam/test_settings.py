"""Production settings: complete ones pass check --deploy; a missing one refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SAM_ENV": "production",
    "SECRET_KEY": "p8Zq-4nV!r2xL@7cT#9wK$1mB^5hY&3dF*6gJ(0sA)eU_iO+pQ=",
    "ALLOWED_HOSTS": "sam.example.com",
    "SITE_URL": "https://sam.example.com",
    "DATABASE_URL": "postgres://sam_app:pw@db.internal:5432/sam",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "DEFAULT_FROM_EMAIL": "SAM <sam@example.com>",
    "EMAIL_HOST": "smtp.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SAM_", "DJANGO_")) and k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "sam.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV.keys() - {"SAM_ENV"}))
def test_production_refuses_to_start_without(missing: str):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"environment variable {missing} must be set" in result.stderr


def test_development_needs_nothing():
    result = manage("check", env={"SAM_ENV": "development"})
    assert result.returncode == 0, result.stderr


def test_app_processes_do_not_need_the_owner_role_but_migrate_does():
    result = manage("migrate", "--check", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "environment variable DATABASE_OWNER_URL must be set to run migrations" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_setting_is_one_clear_line():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.stderr.strip().splitlines() == [
        "Missing required setting: the environment variable SECRET_KEY must be set in production "
        "(SAM_ENV=production). See .env.example."
    ]


def test_transaction_pooling_keeps_nothing_on_a_server_connection_between_transactions():
    show = "from django.conf import settings as s; d = s.DATABASES['default']; "
    show += "print(repr(d['OPTIONS']['prepare_threshold']), d['DISABLE_SERVER_SIDE_CURSORS'])"
    direct = manage("shell", "-c", show, env={"SAM_ENV": "development"})
    pooled = manage("shell", "-c", show, env={"SAM_ENV": "development", "DB_TRANSACTION_POOLING": "true"})
    assert direct.stdout.splitlines()[-1].split() == ["0", "False"], direct.stderr
    assert pooled.stdout.splitlines()[-1].split() == ["None", "True"], pooled.stderr


def test_a_replica_url_adds_the_replica_database_beside_the_primary():
    show = "from django.conf import settings as s; r = s.DATABASES.get('replica'); "
    show += (
        "print(sorted(s.DATABASES), r and (r['PORT'], r['USER'], r['OPTIONS']['connect_timeout'], r['TEST']['MIRROR']))"
    )
    without = manage("shell", "-c", show, env={"SAM_ENV": "development"})
    assert without.stdout.splitlines()[-1] == "['default'] None", without.stderr
    url = "postgres://sam_app@db-replica.internal:6543/sam"
    with_replica = manage("shell", "-c", show, env={"SAM_ENV": "development", "DATABASE_REPLICA_URL": url})
    assert with_replica.stdout.splitlines()[-1] == ("['default', 'replica'] ('6543', 'sam_app', 2, 'default')"), (
        with_replica.stderr
    )


def test_beat_speedup_runs_the_interval_jobs_faster_and_leaves_the_clock_ones():
    code = (
        "from sam import settings as s; b = s.CELERY_BEAT_SCHEDULE; "
        "print(b['qbr.schedule']['schedule'].total_seconds(), b['sam.outbox.flush']['schedule'].total_seconds(), "
        "type(b['sam.outbox.prune']['schedule']).__name__)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SAM_", "DJANGO_", "BEAT_"))}
    for speedup, expected in (("", "3600.0 60.0 crontab"), ("60", "60.0 1.0 crontab")):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**base, "SAM_ENV": "development", "BEAT_SPEEDUP": speedup},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    "unsafe, said",
    [
        ({"DEBUG": "true"}, "DEBUG must be off in production"),
        ({"SECRET_KEY": "short-but-set"}, "SECRET_KEY must be at least 50 random characters"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY must be at least 50 random characters"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3w4v5" * 5}, "SECRET_KEY must be at least 50 random characters"),
    ],
)
def test_production_refuses_to_start_with_debug_on_or_a_weak_secret_key(unsafe, said):
    result = manage("check", env={**PRODUCTION_ENV, **unsafe})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [next(line for line in result.stderr.splitlines() if said in line)]
