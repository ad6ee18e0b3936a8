from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from sam.models import ApiToken, hash_token_secret
from sam.tenancy.middleware import parse_token_tenant

# Writes of last_used_at at most once per this many seconds per token.
LAST_USED_RESOLUTION = 300


class MembershipTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token sam_<tenant id>_<secret>``; the token belongs to one membership.

    The middleware has already entered the tenant named in the token; the
    hash lookup below runs inside it, so a token can only ever match in its
    own tenant. Malformed, unknown, expired and revoked tokens all answer 401.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme = header.split(" ", 1)[0].lower()
        if scheme not in {"token", "bearer"}:
            return None
        tenant = getattr(request._request, "tenant", None)
        if parse_token_tenant(header) is None or tenant is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        raw = header.split(" ", 1)[1].strip()
        token = (
            ApiToken.objects.select_related("membership__user")
            .filter(key_hash=hash_token_secret(raw))
            .order_by()
            .first()
        )
        if token is None or not token.is_usable or not token.membership.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid token.")
        membership = token.membership
        membership.tenant = tenant
        request._request.membership = membership
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return membership.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """The browser's session (with CSRF), in the user's current tenant."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        if getattr(request._request, "membership", None) is None:
            return None
        return result
