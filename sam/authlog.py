"""Who signed in, failed, was locked out, asked for or finished a password reset, made or revoked a token, signed
out everywhere, and every refusal (403): one log line each on ``sam.auth``, with the request's id, the workspace
and the user's id, and never a password, a token or a link.

The request id comes from a valid ``X-Request-ID`` header (a proxy's) or is made here; it is answered in the same
header and carried by every log line of the request (``RequestIdFilter``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

from sam.logfilters import redact
from sam.tenancy.context import origin

log = logging.getLogger("sam.auth")
_request_id: ContextVar[str] = ContextVar("sam_request_id", default="-")
VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """First of all: the request's id, and a line on ``sam.auth`` for every refusal (403) whatever refused it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        token = _request_id.set(given if VALID_ID.fullmatch(given) else uuid.uuid4().hex)
        try:
            # The record of changes names the request; never a link's token (a survey's is live until answered).
            with origin(redact(f"request {request_id()} {request.method} {request.path_info}")):
                response = self.get_response(request)
            response["X-Request-ID"] = request_id()
            if response.status_code == 403:
                event("denied", request, status=403, method=request.method, path=request.path_info[:200])
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def _who(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    return {
        "user": getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None,
        "tenant": getattr(tenant, "pk", None),
        "ip": request.META.get("REMOTE_ADDR", ""),
    }


def event(name: str, request: HttpRequest | None = None, **fields: Any) -> None:
    """One line: ``auth <name> key=value ...`` (values are ids, counts and addresses, never secrets)."""
    data = {**_who(request), **fields}
    log.info("auth %s %s", name, " ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "")))


def address_digest(username: str) -> str:
    """An attempted sign-in address, as a short digest: failures can be told apart and grouped without the log
    holding addresses (or a password typed into the address field)."""
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:12]


def signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    event("sign-in", request, user=user.pk)


def sign_in_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    event("sign-in-failed", request, address=address_digest(str(credentials.get("username", ""))))


def locked_out(sender: Any, request: HttpRequest | None = None, username: str = "", **kwargs: Any) -> None:
    event("locked-out", request, address=address_digest(username or ""))


def signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    event("sign-out", request, user=getattr(user, "pk", None))


def connect() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(signed_in, dispatch_uid="sam-auth-log-in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="sam-auth-log-failed")
    user_logged_out.connect(signed_out, dispatch_uid="sam-auth-log-out")
    user_locked_out.connect(locked_out, dispatch_uid="sam-auth-log-locked")
