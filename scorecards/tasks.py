"""Periodic scorecard checks: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from sam.tasks_base import for_each_tenant
from scorecards.services import alerts_sweep


@shared_task(name="scorecards.tasks.alerts_sweep_all")
def alerts_sweep_all() -> int:
    return sum(for_each_tenant(lambda tenant: alerts_sweep()))
