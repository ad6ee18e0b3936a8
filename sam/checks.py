"""System checks that keep the tenancy rules from being forgotten."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks

from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
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


def tenant_keys(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every key of a tenant-owned table carries the tenant (sam/tenancy/keys.py), so the tables can be
    distributed by tenant: its primary key, and its foreign keys to other tenant-owned tables; and no other
    table has a foreign key into a tenant-owned one (it could not be distributed with them)."""
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models(include_auto_created=True):
        owned = issubclass(model, TenantOwned)
        declared = {c.field for c in model._meta.constraints if isinstance(c, TenantForeignKey)}
        if owned and not any(isinstance(c, TenantPrimaryKey) for c in model._meta.constraints):
            errors.append(
                checks.Error(
                    f"{model.__name__} has no TenantPrimaryKey: its primary key in the database lacks the tenant.",
                    hint="Add TenantPrimaryKey() to its Meta.constraints (from sam.tenancy.keys).",
                    obj=model,
                    id="sam.E003",
                )
            )
        for field in model._meta.concrete_fields:
            target = field.related_model
            if not (field.many_to_one or field.one_to_one) or not isinstance(target, type):
                continue
            if not issubclass(target, TenantOwned):
                continue
            if not owned:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} points into the tenant-owned {target.__name__} from a "
                        "table without a tenant.",
                        hint="Make the model tenant-owned (TenantOwned), or drop the foreign key.",
                        obj=model,
                        id="sam.E005",
                    )
                )
            elif field.name not in declared or getattr(field, "db_constraint", True):
                errors.append(
                    checks.Error(
                        f"{model.__name__}.{field.name} is a foreign key to the tenant-owned {target.__name__} "
                        "without the tenant in it.",
                        hint=f'Give the field db_constraint=False and add TenantForeignKey("{field.name}") to '
                        "Meta.constraints (from sam.tenancy.keys).",
                        obj=model,
                        id="sam.E004",
                    )
                )
    return errors
