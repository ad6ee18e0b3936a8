"""The portal's cookie opens the portal only: presented to a staff page or the API it is refused."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

SESSION_COOKIE = "sam_portal_token"  # portal.views.SESSION_COOKIE (the browser sends it under /p/ only)
STAFF_PREFIXES = ("/t/", "/api/", "/tenants/", "/platform/")


class PortalBoundaryMiddleware:
    """A request that carries a portal session but no staff credentials (a signed-in user or an API token) is
    refused outside ``/p/``: 401 on the API, 403 on pages. With staff credentials, those alone decide."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            SESSION_COOKIE in request.COOKIES
            and path.startswith(STAFF_PREFIXES)
            and not request.user.is_authenticated
            and not request.META.get("HTTP_AUTHORIZATION")
        ):
            if path.startswith("/api/"):
                return JsonResponse({"detail": "A customer portal session does not open the API."}, status=401)
            return render(
                request, "403.html", {"detail": "The customer portal's sign-in does not open these pages."}, status=403
            )
        return self.get_response(request)
