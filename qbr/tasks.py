"""Periodic QBR jobs: thin wrappers over services, one tenant at a time."""

from __future__ import annotations

from celery import shared_task

from qbr import services
from sam.tasks_base import for_each_tenant


@shared_task(name="qbr.tasks.schedule_all")
def schedule_all() -> int:
    """Make sure every eligible account has its current and next QBR, with milestones."""
    return sum(for_each_tenant(lambda tenant: services.qbrs_schedule()))


@shared_task(name="qbr.tasks.reminders_all")
def reminders_all() -> int:
    """Remind owners of milestones that fell due; a redelivered task sends nothing twice (outbox keys)."""
    return sum(for_each_tenant(lambda tenant: services.reminders_send()))
