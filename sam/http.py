"""The request as the tenant pages see it, for the type checker: what TenantMiddleware and django-htmx add; and the
API's JSON refusal where Django or a middleware answers before DRF does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse, JsonResponse

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from sam.models import Membership, Tenant, User


class AuthedRequest(HttpRequest):
    """A request of a signed-in user (``login_required``, or a tenant page), with django-htmx's details."""

    user: User
    htmx: HtmxDetails


class TenantRequest(AuthedRequest):
    """A request to a page inside a tenant, once ``tenant_view`` let it through: the tenant and the membership
    are set."""

    tenant: Tenant
    membership: Membership


def api_refusal(request: HttpRequest, detail: str, status: int) -> HttpResponse | None:
    """Under /api/, the refusal as the API words every other one (``{"detail": ...}``); elsewhere None, for the
    page's own answer."""
    if not request.path_info.startswith("/api/"):
        return None
    return JsonResponse({"detail": detail}, status=status)
