"""Readiness: can this process serve a request that needs PostgreSQL, the Redis cache and the Celery broker?

``/healthz`` answers whether the process is alive (a load balancer restarts it when not); ``/readyz`` whether
the servers it depends on answer (a load balancer sends it no traffic while they do not). The pages keep
working with Redis away (the cache answers misses, work waits in the database), so a deployment may route on
``/healthz`` alone and watch ``/readyz``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from kombu.connection import Connection
from redis import Redis

TIMEOUT = 2  # seconds for each check: a server that hangs is as down as one that refuses


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis_cache() -> None:
    location = settings.CACHES["default"]["LOCATION"]
    url = location[0] if isinstance(location, list | tuple) else str(location).split(",")[0]
    client = Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {"database": database, "redis": redis_cache, "broker": broker}


def readiness() -> dict[str, str]:
    """Each dependency: ``ok``, or ``down`` with the kind of error (never its message: it may hold addresses)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            results[name] = f"down ({type(exc).__name__})"
        else:
            results[name] = "ok"
    return results
