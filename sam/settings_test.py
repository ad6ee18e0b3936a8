"""Settings for the test suite: the same module, in test mode.

Under pytest-xdist each worker process gets its own database (pytest-django adds the worker's name to it), its
own Redis database (cache, rate limits and Celery queues) and its own media folder, so workers never see each
other's rows, keys or tasks.
"""

import os

os.environ["SAM_ENV"] = "test"

import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from sam.settings import *  # noqa: F403
from sam.settings import CACHES, CELERY_BROKER_URL, REDIS_URL

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... or empty outside xdist


def _redis_for_worker(url: str, worker: str) -> str:
    """The worker's Redis database: counting down from the one named (15 by default), so worker 0 keeps it. Never
    database 0, the development default (the tests empty their database): pyproject.toml caps the workers at 8."""
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return url
    parts = urlsplit(url)
    given = parts.path.strip("/")
    db = (int(given) if given.isdigit() else 0) - int(worker[2:])
    if db < 1:
        raise ImproperlyConfigured(
            f"Test worker {worker} has no Redis database of its own below {given or 0}: run fewer workers (-n)."
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


if _WORKER:
    _worker_redis = _redis_for_worker(REDIS_URL, _WORKER)
    if CELERY_BROKER_URL == REDIS_URL:
        CELERY_BROKER_URL = _worker_redis
    REDIS_URL = _worker_redis
    CACHES = {"default": {**CACHES["default"], "LOCATION": REDIS_URL}}

# A Celery worker started by a test is handed the test's MEDIA_ROOT and REDIS_URL (tests/worker.py).
MEDIA_ROOT = Path(os.environ.get("SAM_TEST_MEDIA_ROOT") or Path(tempfile.gettempdir()) / f"sam-test-media{_WORKER}")
