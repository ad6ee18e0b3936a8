"""A server out of reach, as this process sees it: since when, when to try again, what to say and to undo.

The cache (sam/cache.py) and the publishing of tasks (sam/tasks_base.py) keep one record per server. The first
failure logs one warning; after it the caller does not try on every call but after a pause (1 s, doubling to
15 s), and a warning says once a minute that the server is still away; the first success says it is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

FIRST_PAUSE = 1.0  # seconds without trying after a failure; doubles while the server stays away
LONGEST_PAUSE = 15.0
WARN_EVERY = 60.0
MAX_FORGOTTEN = 10_000  # cache keys to delete once Redis is back; beyond this, entries wait for their own expiry


def _where(url: str) -> str:
    """host:port/db of a server URL, never its password."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or ''}{parts.path}" if parts.scheme else url


class Outage:
    """One server: reachable, or away since when, and (for a cache) the keys whose writes were dropped."""

    def __init__(self, server: str, what: str, meanwhile: str) -> None:
        self.server = server
        self.what = what
        self.meanwhile = meanwhile
        self.lock = threading.Lock()
        self.since: float | None = None
        self.failures = 0
        self.retry_at = 0.0
        self.warned_at = 0.0
        self.skipped = 0
        self.forgotten: set[str] = set()
        self.overflowed = False

    @property
    def where(self) -> str:
        return _where(self.server)

    def may_try(self) -> bool:
        """True when the server is thought up, or its pause is over; False (counted) during the pause."""
        with self.lock:
            if self.since is None or time.monotonic() >= self.retry_at:
                return True
            self.skipped += 1
            return False

    def failed(self, exc: BaseException | None, keys: Iterable[str] = ()) -> None:
        """A call failed with ``exc`` (None: it was skipped during the pause); ``keys``: cache writes dropped."""
        now = time.monotonic()
        with self.lock:
            for key in keys:
                if len(self.forgotten) >= MAX_FORGOTTEN:
                    self.overflowed = True
                    break
                self.forgotten.add(key)
            if exc is None:
                return
            first = self.since is None
            if first:
                self.since = now
            self.failures += 1
            self.retry_at = now + min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (self.failures - 1))
            if first:
                self.warned_at = now
                log.warning(
                    "%s at %s is out of reach (%s): %s until it is back",
                    self.what,
                    self.where,
                    type(exc).__name__,
                    self.meanwhile,
                )
            elif now - self.warned_at >= WARN_EVERY:
                self.warned_at = now
                log.warning(
                    "%s at %s still out of reach after %.0f s (%d calls went without it)",
                    self.what,
                    self.where,
                    now - (self.since or now),
                    self.skipped + self.failures,
                )

    def recovered(self) -> tuple[float, list[str], bool] | None:
        """A call succeeded: None when the server never went away, else how long it was away, the keys whose
        writes were dropped meanwhile and whether more were dropped than remembered."""
        if self.since is None:
            return None
        with self.lock:
            if self.since is None:
                return None
            away = time.monotonic() - self.since
            keys, overflowed = sorted(self.forgotten), self.overflowed
            self.since, self.failures, self.retry_at, self.skipped = None, 0, 0.0, 0
            self.forgotten, self.overflowed = set(), False
        return away, keys, overflowed


_OUTAGES: dict[str, Outage] = {}
_OUTAGES_LOCK = threading.Lock()


def outage_of(server: str, what: str, meanwhile: str) -> Outage:
    """One record per server and use for the whole process (Django builds a cache object per thread)."""
    with _OUTAGES_LOCK:
        return _OUTAGES.setdefault(f"{what}|{server}", Outage(server, what, meanwhile))
