"""Resolve the tenant of each request and run the request inside it.

* ``/t/<slug>/...``: the tenant with that slug, if active and the signed-in
  user has a membership in it. Otherwise no tenant is set and the view
  answers 404 (never 403: ids and slugs leak nothing).
* ``/api/...``: the tenant named by the API token (``sam_<tenant id>_<secret>``;
  the authentication class then checks the secret), or, for the browser's
  session, the user's last used tenant.
* anything else, signed in: the user alone (they can read their own
  memberships, nothing tenant-owned).

Each case runs the whole response inside one transaction that carries the
tenant (and user) as transaction-local PostgreSQL settings.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from sam.models import Membership, Tenant, User
from sam.tenancy.context import tenant_context

TENANT_PREFIX = "/t/"
API_PREFIX = "/api/"


def parse_token_tenant(header: str) -> int | None:
    """The tenant id inside an ``Authorization: Token sam_<id>_<secret>`` header, if well formed."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in {"token", "bearer"}:
        return None
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "sam" or not parts[1].isdigit() or not parts[2]:
        return None
    return int(parts[1])


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        path = request.path_info
        user = request.user

        if path.startswith(API_PREFIX):
            tenant_id = parse_token_tenant(request.META.get("HTTP_AUTHORIZATION", ""))
            if tenant_id is not None:
                tenant = Tenant.objects.filter(pk=tenant_id, active=True).first()
                # The token authentication class checks the secret and sets
                # the membership; a wrong tenant part simply finds no token.
                return self._run(request, tenant, None, resolve_membership=False)
            if user.is_authenticated and user.last_tenant_id:
                tenant = Tenant.objects.filter(pk=user.last_tenant_id, active=True).first()
                return self._run(request, tenant, user)
        elif path.startswith(TENANT_PREFIX) and user.is_authenticated:
            slug = path[len(TENANT_PREFIX) :].split("/", 1)[0]
            tenant = Tenant.objects.filter(slug=slug, active=True).first() if slug else None
            return self._run(request, tenant, user, remember=True)

        if user.is_authenticated:
            return self._run(request, None, user)
        return self.get_response(request)

    def _run(
        self,
        request: HttpRequest,
        tenant: Tenant | None,
        user: User | None,
        *,
        resolve_membership: bool = True,
        remember: bool = False,
    ) -> HttpResponse:
        user_id = user.pk if user is not None else None
        with tenant_context(tenant, user_id=user_id):
            if tenant is not None and resolve_membership:
                membership = Membership.objects.filter(user_id=user_id).order_by("pk").first()
                if membership is None:
                    tenant = None
                else:
                    membership.tenant = tenant
                    membership.user = user  # type: ignore[assignment]
                    request.membership = membership  # type: ignore[attr-defined]
            if tenant is not None:
                request.tenant = tenant  # type: ignore[attr-defined]
                if remember and user is not None and user.last_tenant_id != tenant.pk:
                    User.objects.filter(pk=user.pk).update(last_tenant=tenant)
                    user.last_tenant_id = tenant.pk
                response = self.get_response(request)
            else:
                # Not a member (or no tenant): leave the tenant and answer
                # without it; tenant views then say 404.
                with tenant_context(None, user_id=user_id):
                    response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
