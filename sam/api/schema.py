"""The OpenAPI schema: our authentication classes described, and the schema class every view uses."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions
from rest_framework.fields import empty


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


# A time of day as the API writes it (08:30:00, 08:30:00.250000) and reads it (08:30 too): local to what it
# belongs to (an account's time zone), so without the offset that JSON Schema's "time" format requires.
TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "Why the request was refused.",
}
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {},
    "description": "Each field or query parameter in error with its messages (`non_field_errors` for the whole "
    "body); `detail` when the body could not be read at all or the service refused the change.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with what every operation can answer besides its success: 401 without a valid
    token, 403 when the role does not allow it, 404 for an id that is not the tenant's (or a page past the
    last), 400 for a body or a query parameter in error, 415 for a body in a media type it does not read. An empty
    query parameter counts as not given."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for code, description, schema in self._errors(operation):
            responses.setdefault(code, self._error(description, schema))
        return operation

    def _errors(self, operation: dict[str, Any]) -> list[tuple[str, str, tuple[str, dict[str, Any]]]]:
        errors = []
        takes_query = any(parameter["in"] == "query" for parameter in operation.get("parameters", []))
        if self.method not in permissions.SAFE_METHODS or takes_query:
            errors.append(("400", "The body or a query parameter is not valid.", ("FieldErrors", FIELD_ERRORS)))
        if "requestBody" in operation:
            errors.append(("415", "The body is not in a media type the operation reads.", ("Error", ERROR)))
        if not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            errors.append(("401", "No valid token (or session).", ("Error", ERROR)))
            errors.append(("403", "The member's role does not allow this.", ("Error", ERROR)))
        paginated = self._is_list_view() and self._get_paginator() is not None  # type: ignore[no-untyped-call]
        if "{" in self.path or paginated:
            errors.append(("404", "No such object in the tenant (or no such page).", ("Error", ERROR)))
        return errors

    def _error(self, description: str, schema: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        name, body = schema
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=body)
        self.registry.register_on_missing(component)
        return {"description": description, "content": {"application/json": {"schema": component.ref}}}

    def _get_serializer_field_meta(self, field: Any, direction: Any) -> dict[str, Any]:
        meta: dict[str, Any] = super()._get_serializer_field_meta(field, direction)  # type: ignore[no-untyped-call]
        if direction == "response" and not meta.get("nullable") and _may_be_null(field):
            meta["nullable"] = True
        return meta

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema: dict[str, Any] | None = super()._map_serializer_field(  # type: ignore[no-untyped-call]
            field, direction, bypass_extensions
        )
        if schema and schema.get("format") == "time":
            schema.update(format="partial-time", pattern=TIME_OF_DAY)
        return schema


def _may_be_null(field: Any) -> bool:
    """Whether a field can answer null although it takes none: a field that defaults to None, or one whose source
    goes through a nullable column (``confirmed_by``, ``confirmed_by.name``) of its serializer's model."""
    if getattr(field, "default", empty) is None:
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    for attr in getattr(field, "source_attrs", []):
        if model is None:
            return False
        try:
            column = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False
        if getattr(column, "null", False):
            return True
        model = column.related_model
    return False
