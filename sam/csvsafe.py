"""Spreadsheet formula injection (OWASP "CSV injection"): a cell that begins with ``= + - @`` (or a tab or a
carriage return) is run as a formula when the file is opened in a spreadsheet, and can fetch or run things.

Every CSV the product reads (the import pipeline) or writes passes its text cells through ``neutralise``: such a
cell gets a leading apostrophe, which spreadsheets show as text and do not run. A plain number or a phone number
(``-12.5``, ``+44 20 7946 0000``) is left as it is.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?[\d\s().,/]*\d[\d\s().,/-]*")


def neutralise(value: str) -> str:
    """The cell's text, made inert for a spreadsheet if it would start a formula."""
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
