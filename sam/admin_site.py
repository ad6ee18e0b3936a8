"""The platform operators' admin site (/platform/): Django's, but for how one signs in to it.

Django's admin has a sign-in form of its own that signs a person in on the password alone. Here it sends them to
the product's sign-in instead, which asks for the second factor of those who turned two-factor sign-in on, so no
way in skips it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse


class PlatformAdminSite(AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        # Imported here: this module is loaded with the installed apps, before the auth models are ready.
        from django.contrib.auth import REDIRECT_FIELD_NAME
        from django.contrib.auth.views import redirect_to_login
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect
        from django.urls import reverse

        index = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(index)
            raise PermissionDenied  # signed in, but not a platform operator
        # The sign-in page checks where ``next`` leads before it goes there.
        return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or index)


class PlatformAdminConfig(AdminConfig):
    default_site = "sam.admin_site.PlatformAdminSite"
