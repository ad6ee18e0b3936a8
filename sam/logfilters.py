"""Log filters: the tokens of survey, portal, invitation and password links never reach a log line (request
logs, access logs, errors)."""

from __future__ import annotations

import logging
import re

SURVEY_PATH = re.compile(r"(/s/)(?!unsubscribe/)[^/\s\"'?]+")
PORTAL_PATH = re.compile(r"(/p/in/)[^/\s\"'?]+")
INVITATION_PATH = re.compile(r"(/invitations/\d+/)[^/\s\"'?]+")
RESET_PATH = re.compile(r"(/auth/reset/[^/\s\"'?]+/)[^/\s\"'?]+")
PATHS = (SURVEY_PATH, PORTAL_PATH, INVITATION_PATH, RESET_PATH)


def redact(text: str) -> str:
    for path in PATHS:
        text = path.sub(r"\1[token]", text)
    return text


class RedactSurveyTokens(logging.Filter):
    """Rewrites ``/s/<token>/`` as ``/s/[token]/`` and ``/p/in/<token>/`` as ``/p/in/[token]/`` in the formatted
    message (the arguments are dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if any(part in message for part in ("/s/", "/p/in/", "/invitations/", "/auth/reset/")):
            record.msg, record.args = redact(message), ()
        return True
