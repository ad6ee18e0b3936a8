"""Tabs other apps add to the account page (no upward imports): key, label, a context function and the
template of the tab's body. The context function is ``fn(request, account) -> dict`` with a constant number
of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    context: Callable[[Any, Any], dict[str, Any]]
    template: str
    # The tab it follows on the account page (the end, when not given).
    after: str = ""


_tabs: dict[str, Tab] = {}


def register_tab(
    key: str, label: str, context: Callable[[Any, Any], dict[str, Any]], template: str, *, after: str = ""
) -> None:
    _tabs[key] = Tab(key, label, context, template, after)


def extra_tabs() -> list[Tab]:
    return list(_tabs.values())


def extra_tab(key: str) -> Tab | None:
    return _tabs.get(key)
