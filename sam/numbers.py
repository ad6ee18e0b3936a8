"""Whole numbers from user input: ids in addresses, query strings, form fields and tokens.

``str.isdigit`` is not the check: it accepts "²" and other Unicode digits that ``int`` refuses, and any number of
digits, which PostgreSQL's integer columns refuse. Every parse of a number a user typed goes through ``whole``.
"""

from __future__ import annotations

from typing import Any


def whole(raw: Any, *, digits: int = 9) -> int | None:
    """A whole number given as an int or as ASCII digits (at most ``digits`` of them), else None: "²", "1e3",
    "-1", True and numbers too long for an id are not numbers here."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 <= raw < 10**digits else None
    text = str(raw).strip() if raw is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None
