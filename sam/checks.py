"""System checks that keep the tenancy rules from being forgotten."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks

from sam.tenancy.models import TenantOwned


def tenant_unique_constraints(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every unique constraint on a tenant-owned model includes the tenant."""
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not issubclass(model, TenantOwned):
            continue
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if type(constraint).__name__ == "UniqueConstraint" and fields and "tenant" not in fields:
                errors.append(
                    checks.Error(
                        f"{model.__name__}.{constraint.name} is unique without the tenant.",
                        hint="Add 'tenant' to the constraint's fields.",
                        obj=model,
                        id="sam.E001",
                    )
                )
        for field in model._meta.fields:
            if field.unique and not field.primary_key:
                errors.append(
                    checks.Error(
                        f"{model.__name__}.{field.name} is unique=True across tenants.",
                        hint="Use a UniqueConstraint that includes 'tenant'.",
                        obj=model,
                        id="sam.E002",
                    )
                )
    return errors
