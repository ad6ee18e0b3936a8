"""The one gate for tenant pages: membership (else 404), then the allow table (else 403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from sam.roles import allowed

View = Callable[..., HttpResponseBase]


def tenant_view(action: str = "tenant.view") -> Callable[[View], View]:
    """Decorate a view under ``/t/<tenant_slug>/``.

    Not signed in: to the login page. Not a member of that tenant, unknown
    or inactive tenant: 404. A member whose role lacks ``action``: 403.
    The view receives the request without ``tenant_slug``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, tenant_slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            tenant = getattr(request, "tenant", None)
            membership = getattr(request, "membership", None)
            if tenant is None or membership is None or tenant.slug != tenant_slug:
                raise Http404("No such workspace.")
            if not allowed(membership.role, action, user=request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.sam_action = action  # type: ignore[attr-defined]
        return wrapped

    return decorator


def require(request: HttpRequest, action: str, obj: Any = None) -> None:
    """Raise 403 unless the member may do ``action`` (on ``obj``)."""
    if not allowed(request.membership.role, action, user=request.user, obj=obj):  # type: ignore[attr-defined]
        raise PermissionDenied


def can(request: HttpRequest, action: str, obj: Any = None) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and allowed(membership.role, action, user=request.user, obj=obj)


def require_member(acting_user: Any, action: str, obj: Any = None) -> None:
    """For services: raise 403 unless the acting member may do ``action`` (on ``obj``) in the current tenant;
    nobody acting (a job, the seed) may do anything. Pages and API reach the same answer through the service."""
    if acting_user is None:
        return
    from sam.models import Membership

    role = Membership.objects.filter(user=acting_user).values_list("role", flat=True).first()
    if not allowed(role, action, user=acting_user, obj=obj):
        raise PermissionDenied("Your role does not allow this on this account.")
