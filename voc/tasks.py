"""Periodic survey jobs: thin wrappers over services, one tenant at a time."""

from __future__ import annotations

from celery import shared_task

from sam.tasks import active_tenants
from sam.tenancy.context import tenant_context
from voc import campaigns


@shared_task(name="voc.tasks.campaigns_tick")
def campaigns_tick() -> dict[str, int]:
    """Send invitations that fell due, remind non-responders, close what ended, follow up detractors. Safe to run
    at any time and any number of times (outbox and action keys, conditional updates)."""
    totals = {"sent": 0, "reminded": 0, "closed": 0, "followed_up": 0}
    for tenant in active_tenants():
        with tenant_context(tenant):
            for key, value in campaigns.campaigns_tick().items():
                totals[key] += value
    return totals
