"""Each workspace's limits on a signed-in session: idle (no page of the workspace opened for so many minutes) and
absolute (so many hours after signing in), within bounds the platform sets (WorkspaceSettings, 15 minutes to a
day idle, 1 to 12 hours in all; SESSION_COOKIE_AGE is the platform's 12 hours).

The session holds when its person signed in and when they last opened a page (written at most once a minute);
a page of a workspace whose limit has passed signs them out and says why. A workspace's limits, and whom it
requires two-factor sign-in of (sam/twofactor/middleware.py), are read once a minute per process, so a change
takes effect within a minute and no request pays a query for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

SIGNED_IN, SEEN = "sam_signed_in", "sam_seen"
SEEN_EVERY = 60  # seconds between two writes of "last seen"
LIMITS_FOR = 60  # seconds a process keeps a workspace's limits
IDLE_BOUNDS, MAX_BOUNDS = (15, 1440), (1, 12)
# tenant id -> (read at, idle seconds, max seconds, two-factor rule)
_limits: dict[int, tuple[float, int, int, str]] = {}


def signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """user_logged_in: the session's start."""
    now = time.time()
    request.session[SIGNED_IN] = now
    request.session[SEEN] = now


def _rules(tenant_id: int) -> tuple[float, int, int, str]:
    found = _limits.get(tenant_id)
    now = time.monotonic()
    if found is None or now - found[0] > LIMITS_FOR:
        from sam.models import WorkspaceSettings

        config = WorkspaceSettings.read()
        found = (now, config.session_idle_minutes * 60, config.session_max_hours * 3600, config.two_factor_required)
        _limits[tenant_id] = found
    return found


def limits(tenant_id: int) -> tuple[int, int]:
    """The workspace's idle and absolute limits in seconds (read inside its tenant context)."""
    found = _rules(tenant_id)
    return found[1], found[2]


def two_factor_rule(tenant_id: int) -> str:
    """Whom the workspace requires two-factor sign-in of: a ``WorkspaceSettings.TwoFactor`` value."""
    return _rules(tenant_id)[3]


class SessionLimitsMiddleware:
    """After the tenant is entered: a signed-in browser session past the workspace's limits is ended."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or request.path_info.startswith("/api/") or not request.user.is_authenticated:
            return self.get_response(request)
        session, now = request.session, time.time()
        idle, most = limits(tenant.pk)
        started, seen = session.get(SIGNED_IN), session.get(SEEN)
        why = ""
        if isinstance(started, float | int) and now - started > most:
            why = f"{tenant.name} ends a session {most // 3600} hours after signing in"
        elif isinstance(seen, float | int) and now - seen > idle:
            why = f"{tenant.name} ends a session after {idle // 60} minutes without activity"
        if why:
            logout(request)
            messages.info(request, f"You were signed out: {why}. Sign in again to go on.")
            login = reverse("login") + f"?next={request.path}"
            if getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = login
                return response
            return redirect(login)
        if not isinstance(seen, float | int) or now - seen > SEEN_EVERY:
            session[SEEN] = now
        return self.get_response(request)
