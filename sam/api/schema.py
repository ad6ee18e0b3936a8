"""OpenAPI descriptions of our authentication classes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class MembershipTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sam.api.auth.MembershipTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token sam_<tenant id>_<secret>`: one membership's token, made on the API tokens page.",
        }


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "sam.api.auth.TenantSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
