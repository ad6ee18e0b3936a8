"""Core Celery tasks: thin wrappers over services, taking ids."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from sam.models import OutboundEmail, Tenant
from sam.outbox import email_send, outbox_due_ids
from sam.tasks_base import TenantTask
from sam.tenancy.context import tenant_context

OUTBOX_KEEP_DAYS = 180


@shared_task(base=TenantTask, name="sam.tasks.send_outbound_email", queue="email")
def send_outbound_email(tenant_id: int, email_id: int) -> str:
    return email_send(email_id=email_id)


def active_tenants() -> list[Tenant]:
    """Tenants the periodic jobs work for (Tenant is a platform table)."""
    return list(Tenant.objects.filter(active=True).order_by("pk"))


@shared_task(name="sam.tasks.outbox_flush")
def outbox_flush() -> int:
    """Dispatch every message that is due (new ones whose task was lost, and retries)."""
    count = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            for email_id in outbox_due_ids():
                send_outbound_email.delay(tenant.pk, email_id)
                count += 1
    return count


@shared_task(name="sam.tasks.outbox_prune")
def outbox_prune() -> int:
    """Forget sent messages after half a year."""
    cutoff = timezone.now() - timedelta(days=OUTBOX_KEEP_DAYS)
    deleted = 0
    for tenant in active_tenants():
        with tenant_context(tenant):
            deleted += OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT, sent_at__lt=cutoff).delete()[0]
    return deleted
