"""The request as the tenant pages see it, for the type checker: what TenantMiddleware and django-htmx add."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

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
