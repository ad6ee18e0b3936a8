"""Halfway signed in: the password was right, the second step is still to come.

The session keeps who it is, until when, how many wrong codes it has had and where to go after; nothing else.
``login()`` has not run, so the session has no user: every page, partial and API call treats it as signed out.
The state ends after PENDING_SECONDS, after MAX_TRIES wrong codes, when the person's password changes or they
sign out everywhere (the session hash no longer matches), and when the sign-in finishes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from sam.models import User

PENDING = "sam_2fa_pending"
PENDING_SECONDS = 5 * 60
MAX_TRIES = 5


@dataclass(frozen=True)
class Pending:
    user: User
    backend: str
    next_url: str
    tries: int


def begin(request: HttpRequest, user: User, *, next_url: str) -> None:
    """The password was right: remember the person for the second step (in a new session key, so a session id
    planted before cannot be carried over)."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "auth": user.get_session_auth_hash(),
        "until": time.time() + PENDING_SECONDS,
        "tries": 0,
        "next": next_url,
    }


def pending(request: HttpRequest) -> Pending | None:
    """The person halfway signed in on this session, if the state still holds (else it is dropped)."""
    state: Any = request.session.get(PENDING)
    if not isinstance(state, dict) or not isinstance(state.get("user"), int):
        return None
    user = User.objects.filter(pk=state["user"], is_active=True).first()
    fresh = isinstance(state.get("until"), float | int) and time.time() < state["until"]
    if (
        user is None
        or not fresh
        or not constant_time_compare(str(state.get("auth", "")), user.get_session_auth_hash())
        or not isinstance(state.get("tries"), int)
        or state["tries"] >= MAX_TRIES
    ):
        end(request)
        return None
    return Pending(
        user=user, backend=str(state.get("backend", "")), next_url=str(state.get("next", "")), tries=state["tries"]
    )


def count_wrong(request: HttpRequest) -> int:
    """One more wrong code; answers how many are left before the person must give the password again."""
    state = dict(request.session.get(PENDING) or {})
    state["tries"] = int(state.get("tries", 0)) + 1
    request.session[PENDING] = state
    left = MAX_TRIES - state["tries"]
    if left <= 0:
        end(request)
    return max(left, 0)


def end(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)
