"""Periodic scorecard checks: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from sam.tasks import active_tenants
from sam.tenancy.context import tenant_context
from scorecards.services import alerts_sweep


@shared_task(name="scorecards.tasks.alerts_sweep_all")
def alerts_sweep_all() -> int:
    count = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            count += alerts_sweep()
    return count
