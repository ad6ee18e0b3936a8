"""Periodic assessment jobs, one tenant at a time: the mid-contract prompt, and the yearly progress report."""

from __future__ import annotations

from celery import shared_task

from assessments import services
from sam.tasks_base import for_each_tenant


@shared_task(name="assessments.tasks.prompts_all")
def prompts_all() -> int:
    """Prompt the owners of accounts whose contract passes its mid-point without an assessment (once each)."""
    return sum(for_each_tenant(lambda tenant: services.prompts_send()))


@shared_task(name="assessments.tasks.progress_reports_all")
def progress_reports_all() -> int:
    """On each anniversary of an assessment's sharing: the year's progress report, and its link to the account owner
    (once per assessment and year)."""
    return sum(for_each_tenant(lambda tenant: services.progress_reports_send()))
