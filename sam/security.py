"""Security headers for every response, and the login rate limit."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sam.cache import CacheUnavailable
from sam.cache import RedisCache as SamRedisCache
from sam.http import api_refusal


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends (everything is served from our own origin), and no caching of what
    the app answers unless a view says otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):
            # PostgreSQL cannot store or compare text with NUL: refuse it before any view tries.
            refused = "The address contains a NUL character."
            page = HttpResponse(refused, status=400, content_type="text/plain")
            response = api_refusal(request, refused, 400) or page
        else:
            response = self.get_response(request)
        # Pages, API answers and downloads are people's data: no shared cache keeps them and no browser stores
        # them on disk (the back button after signing out shows nothing). Static files set their own.
        response.headers.setdefault("Cache-Control", "private, no-store")
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class RateLimitMiddleware:
    """Per client address limits on the POSTs that guess passwords or send email.

    Both steps of signing in (the password, then a two-factor code) and the platform admin's sign-in address share
    one bucket. With Redis out of reach, signing in stays open (the lockout, kept in the database, still stops
    guessing) and asking for a password reset email is refused for the while (see ``rate_limited``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limits = {
            "/auth/login/": ("login", settings.LOGIN_RATE_LIMIT, FAIL_OPEN),
            "/auth/login/code/": ("login", settings.LOGIN_RATE_LIMIT, FAIL_OPEN),
            "/platform/login/": ("login", settings.LOGIN_RATE_LIMIT, FAIL_OPEN),
            "/auth/password-reset/": ("reset", settings.PASSWORD_RESET_RATE_LIMIT, FAIL_CLOSED),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info in self.limits:
            bucket, limit, fail_open = self.limits[request.path_info]
            if rate_limited(f"{bucket}:{client_address(request)}", limit=limit, fail_open=fail_open):
                response = render(request, "registration/rate_limited.html", status=429)
                response["Retry-After"] = "60"
                return response
        return self.get_response(request)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
    address the outermost trusted proxy saw (never a value the client could forge)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies and _is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def axes_client_ip(request: HttpRequest) -> str | None:
    """The lockout's view of the client address (None when there is none, e.g. a test login)."""
    address = client_address(request)
    return address if _is_ip(address) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# Which way a limit fails while Redis, where the counts live, is out of reach. Every caller says which:
# open (the request goes on, uncounted) where refusing would shut people out of the product and something
# else already stops abuse (signing in: the lockout in the database; presenting an emailed link: its token is
# too long to guess); closed (refused as over the limit, "try again in a minute") where the request sends
# email to an address the client typed, which can wait for Redis to come back.
FAIL_OPEN = True
FAIL_CLOSED = False


def rate_limited(key: str, *, limit: int, fail_open: bool, window_seconds: int = 60) -> bool:
    """Count one hit for ``key``; True once more than ``limit`` hits fall in the window (fixed, from the first
    hit). On Redis it is one round trip: the count and the window's expiry set together, atomically.

    With Redis out of reach nothing is counted: ``fail_open`` answers False (not limited), otherwise True."""
    bucket = f"ratelimit:{key}"
    backend = caches["default"]
    if isinstance(backend, SamRedisCache):
        name = backend.make_and_validate_key(bucket)
        shared = backend.client
        try:
            hits = shared.run(lambda: count_hit(shared.get_client(name, write=True), name, window_seconds), write=True)
        except CacheUnavailable:
            return not fail_open
        return hits > limit
    if isinstance(backend, RedisCache):
        name = backend.make_and_validate_key(bucket)
        return count_hit(backend._cache.get_client(name, write=True), name, window_seconds) > limit
    if cache.add(bucket, 1, timeout=window_seconds):
        return False
    try:
        hits = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds)
        return False
    return hits > limit


def rate_count(key: str) -> int:
    """The hits counted for ``key`` in its current window (0 once it has passed), counting none; 0 while Redis
    is out of reach (an open failure: only the portal's lockout asks, and its links are too long to guess)."""
    return int(cache.get(f"ratelimit:{key}") or 0)


def private(response: Any, referrer: str = "same-origin") -> Any:
    """A page reached from an emailed link (a survey, the customer portal): not cached, not indexed, and with the
    Referrer-Policy given. Only the address holding a token needs ``no-referrer``; the pages past it keep
    same-origin (a form POST under no-referrer would send ``Origin: null`` and fail the CSRF check)."""
    response["Referrer-Policy"] = referrer
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def count_hit(client: Any, name: str, window_seconds: int) -> int:
    """Count one hit in the fixed window that starts at the first hit; answers the hits so far.

    One round trip (MULTI ... EXEC): SET NX starts the window with its expiry when the key is new, INCR counts
    and keeps that expiry. Works on every Redis from 2.6 (no EXPIRE ... NX, which needs 7)."""
    pipe = client.pipeline()
    pipe.set(name, 0, ex=window_seconds, nx=True)
    pipe.incr(name)
    _, hits = pipe.execute()
    return int(hits)


# The lockout of the sign-in form (django-axes: AXES_FAILURE_LIMIT failures for one email from one address), for
# the other places where a signed-in or half signed-in person proves who they are: the second step's code, and
# the password or code asked before a change to how they sign in. Wrong answers there count with wrong passwords.
def lockout_active(request: HttpRequest, username: str) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, {settings.AXES_USERNAME_FORM_FIELD: username}))


def lockout_count_failure(request: HttpRequest, username: str) -> bool:
    """Count one failure; True when it locks the email out from this address (the lockout page then answers)."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(__name__, {settings.AXES_USERNAME_FORM_FIELD: username}, request)
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request: HttpRequest, username: str) -> HttpResponse:
    from axes.helpers import get_lockout_response

    return get_lockout_response(request, None, {settings.AXES_USERNAME_FORM_FIELD: username})
