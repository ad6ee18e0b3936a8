"""API routes contributed by the apps (registered from their AppConfig.ready)."""

from __future__ import annotations

from typing import Any

_routes: list[tuple[str, Any, str]] = []


def register(prefix: str, viewset: Any, *, basename: str) -> None:
    _routes.append((prefix, viewset, basename))


def routes() -> list[tuple[str, Any, str]]:
    return list(_routes)
