"""What every app's API is built from: tenant-scoped fields, list filters, the row viewsets and service errors.

Apps import this module, never the URL wiring (``sam.api.urls``) nor each other's API modules.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.request import Request

from sam.models import User
from sam.numbers import whole
from sam.roles import allowed
from sam.selectors import member_choices


def django_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as the API's field errors (400)."""
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


def is_soft_deletable(model: type[models.Model]) -> bool:
    return any(field.name == "deleted_at" for field in model._meta.get_fields())


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key chosen by id among the current tenant's live rows only (resolved per request)."""

    def __init__(self, model: type[models.Model], *, scope: str = "objects", **kwargs: Any) -> None:
        self.model = model
        self.scope = scope
        kwargs.setdefault("queryset", model.unscoped.none())  # type: ignore[attr-defined]
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        qs = getattr(self.model, self.scope).all()
        return qs.filter(deleted_at__isnull=True) if is_soft_deletable(self.model) else qs


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user chosen by id among the members of the current tenant."""

    def get_queryset(self) -> Any:
        return member_choices()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.none())
        super().__init__(**kwargs)


# A viewset's list filters: query parameter -> (lookup, kind: "id" | "choice" | "date" | "text").
Filters = dict[str, tuple[str, str]]


def apply_filters(qs: Any, spec: Filters, params: Any) -> Any:
    """Filter a list by the declared query parameters; a malformed value is a 400, never ignored."""
    for name, (lookup, kind) in spec.items():
        value = params.get(name)
        if value in (None, ""):
            continue
        if kind == "id":
            if whole(value) is None:
                raise exceptions.ValidationError({name: "Give an id (a whole number)."})
            qs = qs.filter(**{lookup: whole(value)})
        elif kind == "date":
            try:
                day = parse_date(value) if len(value) == 10 else None
            except ValueError:  # well formed, but no such day (2026-02-30)
                day = None
            if day is None:
                raise exceptions.ValidationError({name: "Give a date as YYYY-MM-DD."})
            qs = qs.filter(**{lookup: day})
        else:
            qs = qs.filter(**{lookup: value[:100]})
    return qs


def document_filters(viewset: Any) -> Any:
    """Describe a viewset's declared filters in the OpenAPI schema."""
    types = {"id": OpenApiTypes.INT, "date": OpenApiTypes.DATE, "choice": OpenApiTypes.STR, "text": OpenApiTypes.STR}
    parameters = [
        OpenApiParameter(name, types[kind], description=f"Filter by {lookup.replace('__', ' ')}")
        for name, (lookup, kind) in viewset.filters.items()
    ]
    return extend_schema_view(list=extend_schema(parameters=parameters))(viewset)


class ReadOnlyTenantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The current tenant's rows of one model, listed and read; subclasses add their own writes."""

    required_action = "account.view"
    filters: Filters = {}
    select: tuple[str, ...] = ()

    def get_queryset(self) -> Any:
        model = self.get_serializer_class().Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.unscoped.none()
        qs = model.objects.all().select_related(*self.select)
        return apply_filters(qs, self.filters, self.request.query_params).order_by("pk")


class AccountChildViewSet(viewsets.ModelViewSet):
    """Rows that belong to an account: scoped to live accounts, writes allowed by the account's team/owner."""

    write_action = "account.edit"
    select: tuple[str, ...] = ("account",)
    account_path = "account"
    filters: Filters = {"account": ("account", "id")}

    def get_queryset(self) -> Any:
        model = self.get_serializer_class().Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.unscoped.none()
        qs = model.objects.filter(**{f"{self.account_path}__deleted_at__isnull": True}).select_related(*self.select)
        return apply_filters(qs, self.filters, self.request.query_params).order_by("pk")

    @property
    def action_map_permissions(self) -> dict[str, str]:
        write = self.write_action
        return {
            "list": "account.view",
            "retrieve": "account.view",
            "create": write,
            "update": write,
            "partial_update": write,
            "destroy": write,
            "criteria": write,
            "file": "account.view",
        }

    def account_of(self, obj: Any) -> Any:
        return obj.account

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        if request.method in permissions.SAFE_METHODS:
            return super().check_object_permissions(request, obj)
        self.require(self.account_of(obj))
        return None

    def require(self, account: Any) -> None:
        membership = self.request._request.membership
        if not allowed(membership.role, self.write_action, user=self.request.user, obj=account):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")

    def perform_create(self, serializer: Any) -> None:
        self.require(serializer.validated_data["account"])
        serializer.instance = self.run(lambda: self.create_object(serializer.validated_data))

    def run(self, fn: Any) -> Any:
        try:
            return fn()
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc

    # Every write goes through the app's service, the one place that decides it for the pages and the API alike:
    # a viewset that offers a write names its service in these (tests/sam/test_api_toolkit.py checks each one).
    def create_object(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} creates through its app's service")

    def update_object(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} updates through its app's service")

    def perform_destroy(self, instance: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} deletes through its app's service")

    def perform_update(self, serializer: Any) -> None:
        # A row stays on its account (or goal): moving it would skip the
        # permission check on the destination.
        for field in ("account", "goal"):
            new = serializer.validated_data.get(field)
            if new is not None and getattr(serializer.instance, f"{field}_id", None) != new.pk:
                raise serializers.ValidationError({field: f"This stays on its {field}; create a new one instead."})
        serializer.instance = self.run(lambda: self.update_object(serializer.instance, serializer.validated_data))
