"""The cache backend (sam/cache.py): Django's Redis cache with one client kept per connection pool."""

from django.core.cache import cache, caches

from sam.cache import RedisCache


def test_the_cache_keeps_one_redis_client_and_still_works():
    assert isinstance(caches["default"], RedisCache)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads and writes share its pool
    cache.set("shared-client-check", {"n": 1}, 30)
    assert cache.get("shared-client-check") == {"n": 1}
    cache.delete("shared-client-check")
    assert cache.get("shared-client-check") is None
