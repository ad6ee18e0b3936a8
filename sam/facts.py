"""Small facts other apps add to the account page's header (no upward imports).

An account fact is ``fn(account, tenant_slug) -> {"label", "value", "url"?, "tone"?, "reasons"?} | None``;
``reasons`` (a list of sentences) is shown as a list under the header. Each runs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_account_facts: list[Callable[[Any, str], dict[str, Any] | None]] = []


def register_account_fact(fn: Callable[[Any, str], dict[str, Any] | None]) -> None:
    if fn not in _account_facts:
        _account_facts.append(fn)


def account_facts(account: Any, slug: str) -> list[dict[str, Any]]:
    return [fact for fn in _account_facts if (fact := fn(account, slug))]
