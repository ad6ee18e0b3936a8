"""Periodic jobs of the dashboard: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from sam.tasks import active_tenants
from sam.tenancy.context import tenant_context


@shared_task(name="dashboard.tasks.monthly_review_all")
def monthly_review_all() -> int:
    """The month's portfolio review to executives, once per tenant and month however often it runs."""
    from dashboard.reports import monthly_review_send

    sent = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            sent += monthly_review_send()
    return sent
