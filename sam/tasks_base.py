"""How background work enters a tenant: a task for one tenant takes ``tenant_id`` first and runs inside it
(``TenantTask``); a periodic job runs once inside each active tenant (``for_each_tenant``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from celery import current_app
from celery.contrib.django.task import DjangoTask

from sam.models import Tenant
from sam.tenancy.context import required_tenant, tenant_chosen, tenant_context

log = logging.getLogger(__name__)
T = TypeVar("T")


def for_each_tenant(job: Callable[[Tenant], T]) -> list[T]:
    """Run ``job(tenant)`` inside each active tenant in turn (one transaction each, in id order); the results."""
    results = []
    for tenant in Tenant.objects.filter(active=True).order_by("pk"):
        with tenant_context(tenant):
            results.append(job(tenant))
    return results


class TenantTask(DjangoTask):
    """Run the task body inside ``tenant_context`` of its first argument.

    Tasks take ids, never model instances. An unknown or inactive tenant id
    does nothing (and says so in the log): a task argument can no more reach
    another tenant than a URL can.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # False for a task that commits in steps (a long render): it enters its tenant without a transaction and
    # opens one per step with ``tenant_step()``.
    one_transaction = True

    def __call__(self, tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        tenant = Tenant.objects.filter(pk=tenant_id, active=True).first()
        if tenant is None:
            log.warning("task %s skipped: tenant %s is unknown or inactive", self.name, tenant_id)
            return None
        with tenant_context(tenant) if self.one_transaction else tenant_chosen(tenant):
            return super().__call__(tenant_id, *args, **kwargs)


def tenant_step() -> Any:
    """One committed step of a task that commits in steps (``TenantTask.one_transaction = False``)."""
    return tenant_context(required_tenant())


def task_on_commit(name: str, *args: Any) -> None:
    """Publish the task of that name once the current transaction commits (nothing if it rolls back).

    By name, so that a service never imports the tasks module that imports the service.
    """
    current_app.tasks[name].delay_on_commit(*args)
