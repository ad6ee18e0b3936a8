"""Log filters: survey and portal sign-in tokens never reach a log line (request logs, access logs, errors)."""

from __future__ import annotations

import logging
import re

SURVEY_PATH = re.compile(r"(/s/)(?!unsubscribe/)[^/\s\"'?]+")
PORTAL_PATH = re.compile(r"(/p/in/)[^/\s\"'?]+")


def redact(text: str) -> str:
    return PORTAL_PATH.sub(r"\1[token]", SURVEY_PATH.sub(r"\1[token]", text))


class RedactSurveyTokens(logging.Filter):
    """Rewrites ``/s/<token>/`` as ``/s/[token]/`` and ``/p/in/<token>/`` as ``/p/in/[token]/`` in the formatted
    message (the arguments are dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if "/s/" in message or "/p/in/" in message:
            record.msg, record.args = redact(message), ()
        return True
