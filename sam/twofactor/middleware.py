"""A workspace that requires two-factor sign-in (of its admins, or of everyone) opens none of its pages to a person
it applies to who has not turned it on: they are sent to set it up, and come back after.

Only the workspace's own requests are concerned, so the setup page, signing out and static files (outside any
workspace) stay open. API requests with a token are not concerned either: a token is a credential of its own,
made by someone signed in, and revoked apart. The browser's API calls on the session are refused (403) like its
pages.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from sam import sessions
from sam.models import WorkspaceSettings
from sam.roles import Role
from sam.tenancy.middleware import API_PREFIX, parse_token_tenant
from sam.twofactor.selectors import has_two_factor


def applies(rule: str, role: str) -> bool:
    """Whether a workspace's rule requires two-factor sign-in of a member with this role."""
    required = WorkspaceSettings.TwoFactor
    return rule == required.EVERYONE or (rule == required.ADMINS and role == Role.ADMIN)


class TwoFactorRequiredMiddleware:
    """After the tenant is entered (and the session limits checked)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        membership = getattr(request, "membership", None)
        if tenant is None or membership is None or not request.user.is_authenticated:
            return self.get_response(request)
        is_api = request.path_info.startswith(API_PREFIX)
        if is_api and parse_token_tenant(request.META.get("HTTP_AUTHORIZATION", "")) is not None:
            return self.get_response(request)  # a token: its own factor (see above)
        # The rule is read with the session limits, once a minute per process: no query for workspaces without one.
        if not applies(sessions.two_factor_rule(tenant.pk), membership.role) or has_two_factor(request.user.pk):
            return self.get_response(request)
        if is_api:
            detail = f"{tenant.name} requires two-factor sign-in: turn it on in your settings first."
            return JsonResponse({"detail": detail}, status=403)
        messages.info(request, f"{tenant.name} requires two-factor sign-in: turn it on to go on to its pages.")
        setup = reverse("two_factor") + "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = setup
            return response
        return redirect(setup)
