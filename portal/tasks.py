"""The portal's background jobs: new sign-in links asked for by email, and the account owners' hourly digest."""

from __future__ import annotations

from celery import shared_task

from portal import notify, services
from sam.tasks_base import for_each_tenant


@shared_task(name="portal.tasks.link_request")
def portal_link_request_task(email: str, tenant_id: int | None = None) -> int:
    """A new sign-in link for an address with live access (in the workspace the visitor came from, if known)."""
    return services.portal_link_request_anywhere(email=email, tenant_id=tenant_id)


@shared_task(name="portal.tasks.owner_digests_all")
def owner_digests_all() -> int:
    """What contacts did in the portal in the past hours, one email per account owner and hour. Idempotent."""
    return sum(for_each_tenant(lambda tenant: notify.owner_digests_send()))
