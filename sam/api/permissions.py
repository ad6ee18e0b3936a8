from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from sam.roles import allowed


def _action_for(view: Any) -> str:
    """The allow-table action a view needs: ``action_map`` per viewset action, else ``required_action``."""
    mapping: dict[str, str] = getattr(view, "action_map_permissions", {}) or {}
    view_action = getattr(view, "action", None)
    if view_action and view_action in mapping:
        return mapping[view_action]
    return getattr(view, "required_action", "tenant.view")


class TenantActionPermission(permissions.BasePermission):
    """Authenticated in a tenant, and the allow table says yes (on the object too)."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        membership = getattr(request._request, "membership", None)
        if membership is None or not request.user or not request.user.is_authenticated:
            return False
        return allowed(membership.role, _action_for(view), user=request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        membership = request._request.membership
        return allowed(membership.role, _action_for(view), user=request.user, obj=obj)
