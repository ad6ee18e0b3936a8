"""The main navigation, filled by each app at start-up (no upward imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str | None
    order: int
    icon: str
    action: str


_entries: dict[str, NavEntry] = {}


def register(key: str, label: str, url_name: str | None, *, order: int, icon: str, action: str = "tenant.view") -> None:
    """Add (or replace) a section. ``url_name`` None marks a section not available yet."""
    _entries[key] = NavEntry(key, label, url_name, order, icon, action)


def entries() -> list[NavEntry]:
    return sorted(_entries.values(), key=lambda e: e.order)
