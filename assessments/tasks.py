"""Periodic assessment job: the mid-contract prompt, one tenant at a time."""

from __future__ import annotations

from celery import shared_task

from assessments import services
from sam.tasks_base import for_each_tenant


@shared_task(name="assessments.tasks.prompts_all")
def prompts_all() -> int:
    """Prompt the owners of accounts whose contract passes its mid-point without an assessment (once each)."""
    return sum(for_each_tenant(lambda tenant: services.prompts_send()))
