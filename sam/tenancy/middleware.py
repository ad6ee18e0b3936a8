"""Resolve the tenant of each request and run the request inside it.

* ``/t/<slug>/...``: the tenant with that slug, if active and the signed-in
  user has a membership in it. Otherwise no tenant is set and the view
  answers 404 (never 403: ids and slugs leak nothing).
* ``/api/...``: the tenant named by the API token (``sam_<tenant id>_<secret>``;
  the authentication class then checks the secret), or, for the browser's
  session, the tenant named by the ``X-SAM-Tenant`` header (required for
  writes; reads without it use the last tenant the user opened).
* anything else: no tenant. Views there that list the user's own
  memberships enter the user context themselves (``user_context``).

Each case runs the whole response inside one transaction that carries the
tenant (and user) as transaction-local PostgreSQL settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from sam.auth_backend import forget_user
from sam.models import Membership, Tenant, User
from sam.numbers import whole
from sam.tenancy.context import (
    RememberedEntry,
    StaleEntry,
    current_membership,
    entry_snapshot,
    member_context_by_slug,
    member_context_remembered,
    tenant_context,
    tenant_context_fetching,
)

TENANT_PREFIX = "/t/"
SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,60}")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"
# The session remembers the tenant and membership rows of the workspaces the user opened (a few), so a request
# enters its tenant without a round trip of its own; the request's first statement checks them (RememberedEntry).
ENTRIES_KEY = "sam_entries"
ENTRIES_KEPT = 8


def parse_token_tenant(header: str) -> int | None:
    """The tenant id inside an ``Authorization: Token sam_<id>_<secret>`` header, if well formed."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in {"token", "bearer"}:
        return None
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "sam" or whole(parts[1]) is None or not parts[2]:
        return None
    return whole(parts[1])


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
                # The tenant named in the token, entered in the same round trip that finds it. The token
                # authentication class checks the secret and sets the membership; a wrong tenant part simply
                # finds no token (no tenant: no rows).
                with tenant_context_fetching("id = %s", [tenant_id]) as (tenant, _):
                    request.tenant = tenant  # type: ignore[attr-defined]
                    response = self.get_response(request)
                    if response.status_code >= 500:
                        transaction.set_rollback(True)
                return response
            if user.is_authenticated:
                # The browser names its tenant (base.html sends X-SAM-Tenant
                # with every htmx request), so a tab of tenant A never writes
                # to tenant B opened in another tab. Reads without the header
                # (the browsable API) use the last tenant the user opened.
                slug = request.headers.get("X-SAM-Tenant", "")
                if slug and SLUG_RE.fullmatch(slug):
                    return self._run_slug(request, slug, user, remember=False)
                if request.method not in SAFE_METHODS:
                    return JsonResponse(
                        {"detail": "Send the X-SAM-Tenant header with the workspace slug, or use an API token."},
                        status=400,
                    )
                if user.last_tenant_id:
                    remembered = self._remembered_slug(request, user.last_tenant_id)
                    if remembered is not None:
                        remembered_response = self._try_remembered(request, remembered, user, remember=False)
                        if remembered_response is not None:
                            return remembered_response
                    # Not remembered, or no longer as remembered (the slug may have changed): by the tenant's id.
                    tenant = Tenant.objects.filter(pk=user.last_tenant_id, active=True).first()
                    return self._run(request, tenant, user)
        elif path.startswith(TENANT_PREFIX) and user.is_authenticated:
            slug = path[len(TENANT_PREFIX) :].split("/", 1)[0]
            if SLUG_RE.fullmatch(slug):
                return self._run_slug(request, slug, user)
            # Not a possible slug: no lookup at all; the URL resolver answers 404.

        # Outside tenants nothing tenant-owned is readable; pages there that
        # need the user's own memberships enter the user context themselves.
        return self.get_response(request)

    def _run_slug(self, request: HttpRequest, slug: str, user: User, *, remember: bool = True) -> HttpResponse:
        """The hot path: the tenant and membership the session remembers, checked by the request's first
        statement; else (or when they changed) tenant, settings and membership in one round trip."""
        response = self._try_remembered(request, slug, user, remember=remember)
        if response is not None:
            return response
        with member_context_by_slug(slug, user_id=user.pk) as (tenant, membership):
            if tenant is not None and membership is not None:
                self._remember_entry(request, slug, entry_snapshot(tenant, membership))
                response = self._enter(request, tenant, membership, user, remember=remember)
            else:
                # Unknown, inactive, or not a member: leave any tenant and let
                # the view answer 404.
                with tenant_context(None, user_id=user.pk):
                    response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response

    def _try_remembered(self, request: HttpRequest, slug: str, user: User, *, remember: bool) -> HttpResponse | None:
        """The request on the entry the session remembers for the slug, if it has one and it still holds (a read
        only: a write's body and side effects are not run twice); else None, and the entry is forgotten."""
        session = getattr(request, "session", None)
        entries = session.get(ENTRIES_KEY) if session is not None else None
        snapshot = entries.get(slug) if isinstance(entries, dict) else None
        if snapshot is None or request.method not in SAFE_METHODS:
            return None
        try:
            entry = RememberedEntry(snapshot, user_id=user.pk)
        except (TypeError, ValueError):  # garbled, or remembered by another version of the rows
            entry = None
        if entry is not None and entry.tenant.slug == slug and entry.membership.user_id == user.pk:
            response = self._run_remembered(request, entry, user, remember=remember)
            if not entry.stale:
                return response
        self._forget_entry(request, slug)
        return None

    def _run_remembered(
        self, request: HttpRequest, entry: RememberedEntry, user: User, *, remember: bool
    ) -> HttpResponse:
        with member_context_remembered(entry):
            try:
                response = self._enter(request, entry.tenant, entry.membership, user, remember=remember)
                if entry.pending and response.status_code >= 400:
                    # Refused without reading anything: on the remembered role alone, so check it first.
                    entry.verify()
            except StaleEntry:  # raised by the middleware's own first statement, outside the view
                response = HttpResponse(status=404)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response

    def _enter(
        self, request: HttpRequest, tenant: Tenant, membership: Membership, user: User, *, remember: bool
    ) -> HttpResponse:
        membership.user = user
        request.tenant = tenant  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        # Remembered on page views only: a refused POST changes nothing.
        if remember and request.method == "GET" and user.last_tenant_id != tenant.pk:
            User.objects.filter(pk=user.pk).update(last_tenant=tenant)
            user.last_tenant_id = tenant.pk
            forget_user(user.pk)
        return self.get_response(request)

    @staticmethod
    def _remember_entry(request: HttpRequest, slug: str, snapshot: list[object]) -> None:
        session = getattr(request, "session", None)
        if session is None:
            return
        entries = session.get(ENTRIES_KEY)
        entries = dict(entries) if isinstance(entries, dict) else {}
        if entries.get(slug) == snapshot:
            return
        entries.pop(slug, None)
        entries[slug] = snapshot
        session[ENTRIES_KEY] = dict(list(entries.items())[-ENTRIES_KEPT:])

    @staticmethod
    def _remembered_slug(request: HttpRequest, tenant_id: int) -> str | None:
        entries = getattr(request, "session", {}).get(ENTRIES_KEY)
        if isinstance(entries, dict):
            for slug, snapshot in entries.items():
                if (
                    isinstance(snapshot, list)
                    and snapshot
                    and isinstance(snapshot[0], list)
                    and snapshot[0][:1] == [tenant_id]
                ):
                    return str(slug)
        return None

    @staticmethod
    def _forget_entry(request: HttpRequest, slug: str) -> None:
        entries = request.session.get(ENTRIES_KEY)
        if isinstance(entries, dict) and slug in entries:
            request.session[ENTRIES_KEY] = {k: v for k, v in entries.items() if k != slug}
        # The request runs again from the start: whatever the first run set on it is dropped.
        request.tenant = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]

    def _run(
        self,
        request: HttpRequest,
        tenant: Tenant | None,
        user: User | None,
        *,
        resolve_membership: bool = True,
    ) -> HttpResponse:
        user_id = user.pk if user is not None else None
        with tenant_context(tenant, user_id=user_id):
            if tenant is not None and resolve_membership and user is not None:
                membership = current_membership(user.pk)
                if membership is None:
                    tenant = None
                else:
                    membership.user = user
                    request.membership = membership  # type: ignore[attr-defined]
                    self._remember_entry(request, tenant.slug, entry_snapshot(tenant, membership))
            if tenant is not None:
                request.tenant = tenant  # type: ignore[attr-defined]
                response = self.get_response(request)
            else:
                # Not a member (or no tenant): leave the tenant and answer
                # without it; tenant views then say 404.
                with tenant_context(None, user_id=user_id):
                    response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
