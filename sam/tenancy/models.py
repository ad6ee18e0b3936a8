"""The abstract base of every tenant-owned model (the ORM lock)."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models.sql import Query

from sam.tenancy.context import current_tenant_id

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M], Generic[_M]):
    pass


# The query "rows of tenant T" of each model, built once and copied: building a filter costs about 40 us, and a
# manager is asked for its queryset at every use (a related manager once per row a prefetch fills). Bounded, as
# the tenants a process serves are; the copies are independent of the kept query (Query.chain clones it).
_SCOPED: dict[tuple[type[models.Model], int], Query] = {}
SCOPED_KEPT = 8192


class TenantManager(models.Manager[_M]):
    """Filters every query by the current tenant; raises when none is active."""

    def get_queryset(self) -> models.QuerySet[_M]:
        tenant_id = current_tenant_id()
        assert tenant_id is not None  # required: it raises without a tenant
        key = (self.model, tenant_id)
        queryset = super().get_queryset()
        scoped = _SCOPED.get(key)
        if scoped is None:
            scoped = queryset.filter(tenant_id=tenant_id).query
            if len(_SCOPED) >= SCOPED_KEPT:
                _SCOPED.clear()
            _SCOPED[key] = scoped
        queryset.query = scoped.chain()
        return queryset

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[_M]:
        """Rows without a tenant get the current one, as ``save()`` gives them; another tenant's are refused."""
        tenant_id = current_tenant_id()
        rows = list(objs)
        for row in rows:
            if row.tenant_id is None:
                row.tenant_id = tenant_id
            elif row.tenant_id != tenant_id:
                raise ValueError("Refusing to save a row of another tenant than the active one.")
        return super().bulk_create(rows, *args, **kwargs)


class TenantOwned(models.Model):
    """A row that belongs to exactly one tenant.

    ``objects`` is scoped to the current tenant. ``unscoped`` is the explicit,
    greppable escape hatch for platform code; row-level security still
    applies to it in the database.
    """

    tenant = models.ForeignKey("sam.Tenant", on_delete=models.CASCADE, related_name="+", editable=False)

    objects: ClassVar[TenantManager[Any]] = TenantManager()
    unscoped: ClassVar[models.Manager[Any]] = models.Manager()
    # Every change to the table's rows is recorded by the database (sam/history.py); False only for a table that
    # is itself a record, machinery (an outbox, a render queue) or anonymous by design, each saying why.
    track_changes: ClassVar[bool] = True

    class Meta:
        abstract = True
        base_manager_name = "unscoped"

    def save(self, *args: Any, **kwargs: Any) -> None:
        active = current_tenant_id(required=False)
        if self.tenant_id is None:
            self.tenant_id = current_tenant_id()
        elif active is not None and active != self.tenant_id:
            raise ValueError("Refusing to save a row of another tenant than the active one.")
        super().save(*args, **kwargs)


class TenantSettings(TenantOwned):
    """An app's settings: one row per tenant (each model adds a unique constraint on ``tenant``), made with the
    fields' defaults on first use. Every app reads its settings the same way: ``<App>Settings.current()``."""

    class Meta:
        abstract = True

    @classmethod
    def read(cls) -> Self:
        """The current tenant's row, or its defaults when none is saved yet (makes nothing: for pages that only
        show the settings, and reads on every request)."""
        return cls.objects.first() or cls()

    @classmethod
    def current(cls) -> Self:
        """The current tenant's row (made now when there is none; two requests at once still make one)."""
        found = cls.objects.first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return cls.objects.create()
        except IntegrityError:
            return cls.objects.get()
