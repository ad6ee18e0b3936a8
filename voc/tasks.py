"""Periodic survey jobs: thin wrappers over services, one tenant at a time."""

from __future__ import annotations

from celery import shared_task

from sam.tasks_base import TenantTask, for_each_tenant
from voc import campaigns


@shared_task(name="voc.tasks.campaigns_tick")
def campaigns_tick() -> dict[str, int]:
    """Send invitations that fell due, remind non-responders, close what ended, put answers on the timelines, send
    the closed campaigns' digests. Safe to run at any time and any number of times (outbox and action keys,
    conditional updates)."""
    totals = {"sent": 0, "reminded": 0, "closed": 0, "answers": 0, "digested": 0}
    for counts in for_each_tenant(lambda tenant: campaigns.campaigns_tick()):
        for key, value in counts.items():
            totals[key] += value
    return totals


@shared_task(base=TenantTask, name="voc.tasks.campaign_digests_send")
def campaign_digests_send(tenant_id: int) -> int:
    """The digests of the tenant's campaigns just closed by hand (the tick would send them a minute later)."""
    return campaigns.campaign_digests_send()
