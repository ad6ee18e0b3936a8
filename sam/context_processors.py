from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from sam import navigation
from sam.roles import allowed


def tenancy(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    nav = []
    if tenant is not None and membership is not None:
        nav = [e for e in navigation.entries() if allowed(membership.role, e.action, user=request.user)]
    return {"tenant": tenant, "membership": membership, "nav_entries": nav}
