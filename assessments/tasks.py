"""Periodic assessment job: the mid-contract prompt, one tenant at a time."""

from __future__ import annotations

from celery import shared_task

from assessments import services
from sam.tasks import active_tenants
from sam.tenancy.context import tenant_context


@shared_task(name="assessments.tasks.prompts_all")
def prompts_all() -> int:
    """Prompt the owners of accounts whose contract passes its mid-point without an assessment (once each)."""
    made = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            made += services.prompts_send()
    return made
