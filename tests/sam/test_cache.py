"""The cache backend (sam/cache.py): Django's Redis cache with one client kept per connection pool, that answers
misses while Redis is out of reach."""

import logging

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from sam import outage as sam_outage
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


# --- Redis out of reach -------------------------------------------------------------------------------------

PASSWORD = "correct-horse-42"


def test_a_cache_out_of_reach_answers_misses_and_drops_writes(redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="sam")
    assert redis_down.get("anything") is None
    assert redis_down.get("anything", "fallback") == "fallback"
    redis_down.set("anything", 1, 30)
    assert redis_down.add("lock", 1, 30) is False  # never a lock it does not hold
    assert redis_down.get_many(["a", "b"]) == {}
    assert redis_down.delete("anything") is False
    redis_down.set_many({"a": 1})
    redis_down.delete_many(["a"])
    assert redis_down.has_key("a") is False
    with pytest.raises(ValueError):
        redis_down.incr("counter")
    for _ in range(50):
        redis_down.get("again")
    warnings = [r for r in caplog.records if r.name.startswith("sam.")]
    assert len(warnings) == 1 and "out of reach" in warnings[0].getMessage()


def test_while_out_of_reach_redis_is_tried_again_only_after_a_pause(redis_down, monkeypatch):
    shared = redis_down.client
    calls = []
    real = shared.get_client
    monkeypatch.setattr(shared, "get_client", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(20):
        redis_down.get("x")
    assert len(calls) == 1  # one failure, then the pause answers at once
    outage = shared.outage()
    outage.retry_at = 0.0
    redis_down.get("x")
    assert len(calls) == 2
    assert outage.retry_at - outage.since >= 2 * sam_outage.FIRST_PAUSE - 0.5  # the pause doubled


def test_writes_dropped_while_away_are_deleted_once_redis_is_back(db, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="sam")
    cache.set("stamp", "old", 300)
    shared = caches["default"].client
    real = shared.get_client

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(shared, "get_client", unreachable)
    cache.set("stamp", "new", 300)  # dropped: Redis still holds "old"
    cache.delete("session-signed-out")
    monkeypatch.setattr(shared, "get_client", real)
    assert real(write=True).get(caches["default"].make_and_validate_key("stamp")) is not None
    shared.outage().retry_at = 0.0
    assert cache.get("unrelated") is None  # the first call that reaches Redis settles the outage
    assert cache.get("stamp") is None  # never the value that should have been replaced
    assert any("is back" in r.getMessage() for r in caplog.records)


def test_pages_and_sign_in_work_with_redis_out_of_reach(tenant_a, redis_down):
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": tenant_a.admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/t/alpha/").status_code == 200  # the session comes from the database
    assert client.get("/t/alpha/accounts/").status_code == 200


def test_rate_limits_fail_in_their_chosen_direction_with_redis_out_of_reach(tenant_a, redis_down, settings):
    settings.LOGIN_RATE_LIMIT = 1
    client = Client()
    statuses = [
        client.post(reverse("login"), {"username": f"x{i}@example.test", "password": "nope"}).status_code
        for i in range(3)
    ]
    assert 429 not in statuses  # sign-in fails open: the lockout in the database still counts failures
    response = client.post(reverse("password_reset"), {"email": tenant_a.admin.email})
    assert response.status_code == 429  # a reset email fails closed: it can wait for Redis
