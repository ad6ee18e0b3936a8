"""Small facts other apps add to shared pages (no upward imports): the account header and the dashboard.

An account fact is ``fn(account, tenant_slug) -> {"label", "value", "url"?, "tone"?} | None``; a dashboard
tile is ``fn(request) -> {"value", "label", "url"?, "tone"?} | None``. Each runs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_account_facts: list[Callable[[Any, str], dict[str, Any] | None]] = []
_dashboard_tiles: list[Callable[[Any], dict[str, Any] | None]] = []


def register_account_fact(fn: Callable[[Any, str], dict[str, Any] | None]) -> None:
    if fn not in _account_facts:
        _account_facts.append(fn)


def register_dashboard_tile(fn: Callable[[Any], dict[str, Any] | None]) -> None:
    if fn not in _dashboard_tiles:
        _dashboard_tiles.append(fn)


def account_facts(account: Any, slug: str) -> list[dict[str, Any]]:
    return [fact for fn in _account_facts if (fact := fn(account, slug))]


def dashboard_tiles(request: Any) -> list[dict[str, Any]]:
    return [tile for fn in _dashboard_tiles if (tile := fn(request))]
