"""Core Celery tasks: thin wrappers over services, taking ids.

Enqueue with ``sam.tasks_base.task_on_commit(...)`` (never plain ``delay``
inside a transaction): a rolled-back transaction then publishes nothing, and a
broker out of reach leaves the work to its sweep.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from django.utils import timezone

from sam.models import Tenant
from sam.outbox import backoff_seconds, email_send, outbox_due_ids, sent_emails_prune
from sam.tasks_base import TenantTask, for_each_tenant, task_on_commit
from sam.tenancy.context import current_tenant_id

OUTBOX_KEEP_DAYS = 180


@shared_task(base=TenantTask, name="sam.tasks.send_outbound_email", queue="email")
def send_outbound_email(tenant_id: int, email_id: int) -> str:
    status, attempts = email_send(email_id=email_id)
    if status == "queued":  # a transient failure, recorded: retry after the backoff
        tenant = current_tenant_id()
        transaction.on_commit(
            lambda: send_outbound_email.apply_async((tenant, email_id), countdown=backoff_seconds(attempts))
        )
    return status


@shared_task(
    base=DjangoTask, name="sam.tasks.send_platform_email", queue="email", acks_late=True, reject_on_worker_lost=True
)
def send_platform_email(email_id: int) -> str:
    status, attempts = email_send(email_id=email_id, platform=True)
    if status == "queued":
        send_platform_email.apply_async((email_id,), countdown=backoff_seconds(attempts))
    return status


@shared_task(name="sam.tasks.outbox_flush")
def outbox_flush() -> int:
    """Dispatch every message that is due: new ones whose task was lost, and retries."""

    def flush(tenant: Tenant) -> int:
        due = outbox_due_ids()
        for email_id in due:
            task_on_commit("sam.tasks.send_outbound_email", tenant.pk, email_id)
        return len(due)

    count = sum(for_each_tenant(flush))
    for email_id in outbox_due_ids(platform=True):
        task_on_commit("sam.tasks.send_platform_email", email_id)
        count += 1
    return count


@shared_task(name="sam.tasks.outbox_prune")
def outbox_prune() -> int:
    """Forget sent messages after half a year."""
    cutoff = timezone.now() - timedelta(days=OUTBOX_KEEP_DAYS)
    platform = sent_emails_prune(before=cutoff, platform=True)
    return platform + sum(for_each_tenant(lambda tenant: sent_emails_prune(before=cutoff)))
