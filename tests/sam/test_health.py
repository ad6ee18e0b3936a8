"""/healthz (alive) and /readyz (PostgreSQL, Redis and the Celery broker answer)."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from sam import health

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(redis_down, settings):
    """Redis out of reach as the cache (``redis_down``) and as the Celery broker."""
    settings.CELERY_BROKER_URL = settings.CACHES["default"]["LOCATION"]


def test_ready_when_everything_answers():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "down": [],
        "checks": {"database": "ok", "redis": "ok", "broker": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_redis_down_makes_readyz_503_naming_it_while_healthz_stays_up(broker_down):
    client = Client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["redis", "broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down (")
    assert "127.0.0.1" not in response.content.decode()  # the kind of error, never an address


def test_database_down_is_named(monkeypatch):
    def refused() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", refused)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["checks"]["database"] == "down (OperationalError)"
