"""Log filters: survey tokens never reach a log line (request logs, access logs, errors)."""

from __future__ import annotations

import logging
import re

SURVEY_PATH = re.compile(r"(/s/)(?!unsubscribe/)[^/\s\"'?]+")


def redact(text: str) -> str:
    return SURVEY_PATH.sub(r"\1[token]", text)


class RedactSurveyTokens(logging.Filter):
    """Rewrites ``/s/<token>/`` as ``/s/[token]/`` in the formatted message (the arguments are dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if "/s/" in message:
            record.msg, record.args = redact(message), ()
        return True
