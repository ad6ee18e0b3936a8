"""Periodic jobs of the dashboard: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from dashboard.reports import monthly_review_send
from sam.tasks_base import for_each_tenant


@shared_task(name="dashboard.tasks.monthly_review_all")
def monthly_review_all() -> int:
    """The month's portfolio review to executives, once per tenant and month however often it runs."""

    return sum(for_each_tenant(lambda tenant: monthly_review_send()))
