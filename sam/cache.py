"""The cache backend: Django's Redis cache, with one Redis client per connection pool, that degrades to misses.

Django's client builds a new ``redis.Redis`` (and its table of reply parsers) for every cache call. A client
holds no connection of its own (it takes one from the pool per command) and is safe to share between threads,
so this one keeps it.

Redis out of reach (stopped, restarting, unreachable) is not an error for the pages: a read answers a miss, a
write is dropped, and the page is computed from the database as it would be on a cold cache. Sessions live in
the database (``cached_db``), so they keep working. The first failure logs one warning; while Redis stays away
the cache does not try again on every call but after a pause (1 s, doubling to 15 s), and says once a minute
that it is still away. Keys whose write or delete was dropped are deleted once Redis answers again, so an entry
that should have been replaced or removed while Redis was away (a session signed out, a user deactivated, a
data stamp) is not served afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from sam.outage import Outage, outage_of

log = logging.getLogger(__name__)
T = TypeVar("T")

# What "Redis is out of reach" looks like from redis-py: refused or reset connections, timeouts, a server
# still loading its data after a restart (BusyLoadingError is a ConnectionError).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class CacheUnavailable(Exception):
    """Redis did not answer (or is in its pause after a failure): the caller decides what that means."""


class SharedClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # Django's private members, which its type stubs leave out
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pools = django._pools
            if index not in pools:
                pools[index] = django._pool_class.from_url(django._servers[index], **django._pool_options)
            client = self._clients[index] = django._client(connection_pool=pools[index])
        return client

    def outage(self, write: bool = False) -> Outage:
        django: Any = self
        return outage_of(django._servers[django._get_connection_pool_index(write)], "Redis cache", "answering misses")

    def run(self, call: Callable[[], T], *, write: bool = False, keys: Iterable[str] = ()) -> T:
        """``call()`` against Redis; ``CacheUnavailable`` when Redis is away (``keys``: what a dropped write
        leaves to delete once it is back)."""
        outage = self.outage(write)
        if not outage.may_try():
            outage.failed(None, keys if write else ())
            raise CacheUnavailable(outage.server)
        try:
            result = call()
        except UNREACHABLE as exc:
            outage.failed(exc, keys if write else ())
            raise CacheUnavailable(outage.server) from exc
        back = outage.recovered()
        if back is not None:
            self._settle(outage, *back)
        return result

    def _settle(self, outage: Outage, away: float, keys: list[str], overflowed: bool) -> None:
        dropped = 0
        try:
            for start in range(0, len(keys), 500):
                dropped += int(self.get_client(write=True).delete(*keys[start : start + 500]))
        except UNREACHABLE as exc:
            outage.failed(exc, keys)
            return
        log.warning(
            "Redis cache at %s is back after %.0f s; %d entries written while it was away were dropped%s",
            outage.where,
            away,
            dropped,
            " (more were written than remembered: those expire on their own)" if overflowed else "",
        )


class RedisCache(DjangoRedisCache):
    """Django's Redis cache that answers misses (and drops writes) while Redis is out of reach."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClient

    @property
    def client(self) -> SharedClient:
        shared: SharedClient = self._cache  # type: ignore[assignment]  # built from self._class
        return shared

    def _read(self, call: Callable[[], T], default: T) -> T:
        try:
            return self.client.run(call)
        except CacheUnavailable:
            return default

    def _write(self, call: Callable[[], T], keys: Iterable[str], default: T) -> T:
        keys = list(keys)
        try:
            return self.client.run(call, write=True, keys=keys)
        except CacheUnavailable:
            return default

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        name = self.make_and_validate_key(key, version=version)
        # Not added: a caller that uses add() as a lock must not believe it holds one.
        return self._write(lambda: super(RedisCache, self).add(key, value, timeout, version), [name], False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._read(lambda: super(RedisCache, self).get(key, default, version), default)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        name = self.make_and_validate_key(key, version=version)
        self._write(lambda: super(RedisCache, self).set(key, value, timeout, version), [name], None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._write(lambda: super(RedisCache, self).touch(key, timeout, version), [], False)

    def delete(self, key: Any, version: Any = None) -> bool:
        name = self.make_and_validate_key(key, version=version)
        return self._write(lambda: super(RedisCache, self).delete(key, version), [name], False)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._read(lambda: super(RedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._read(lambda: super(RedisCache, self).has_key(key, version), False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        name = self.make_and_validate_key(key, version=version)
        try:
            return self.client.run(lambda: super(RedisCache, self).incr(key, delta, version), write=True, keys=[name])
        except CacheUnavailable:
            raise ValueError(f"Key '{key}' not found (the cache is out of reach).") from None

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        names = [self.make_and_validate_key(key, version=version) for key in data]
        self._write(lambda: super(RedisCache, self).set_many(data, timeout, version), names, None)
        return []

    def delete_many(self, keys: Any, version: Any = None) -> None:
        keys = list(keys)
        names = [self.make_and_validate_key(key, version=version) for key in keys]
        self._write(lambda: super(RedisCache, self).delete_many(keys, version), names, None)

    def clear(self) -> None:
        self._write(lambda: super(RedisCache, self).clear(), [], None)
