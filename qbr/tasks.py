"""Periodic QBR jobs: thin wrappers over services, one tenant at a time."""

from __future__ import annotations

from celery import shared_task

from qbr import services
from sam.tasks import active_tenants
from sam.tenancy.context import tenant_context


@shared_task(name="qbr.tasks.schedule_all")
def schedule_all() -> int:
    """Make sure every eligible account has its current and next QBR, with milestones."""
    made = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            made += services.schedule()
    return made


@shared_task(name="qbr.tasks.reminders_all")
def reminders_all() -> int:
    """Remind owners of milestones that fell due; a redelivered task sends nothing twice (outbox keys)."""
    sent = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            sent += services.reminders_send()
    return sent
