"""The API's request parsers: DRF's, with JSON too deeply nested to parse answered as a 400 like any other
malformed body (Python's parser stops at its recursion limit with RecursionError, which DRF lets through)."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
