"""The email outbox: every tenant email is a row first, then a Celery send.

``email_enqueue`` is the one way to send email for a tenant. The
idempotency key makes a second call with the same key a no-op, so callers
may run twice (beat ticks, task redeliveries) without sending twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from sam.models import OutboundEmail
from sam.tenancy.context import current_tenant_id

log = logging.getLogger(__name__)

# Seconds to wait before attempt n+1: 1 min, 5 min, 25 min, ... capped at 6 h.
BACKOFF_BASE = 60
BACKOFF_FACTOR = 5
BACKOFF_CAP = 6 * 60 * 60


def backoff_seconds(attempts: int) -> int:
    return int(min(BACKOFF_CAP, BACKOFF_BASE * BACKOFF_FACTOR ** max(0, attempts - 1)))


def email_enqueue(
    *,
    key: str,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    attachments: list[dict[str, object]] | None = None,
) -> tuple[OutboundEmail, bool]:
    """Put one message in the current tenant's outbox; send it after commit.

    Returns the row and whether it was created now (False: the key was
    already there and nothing new will be sent).
    """
    if not to:
        raise ValueError("An email needs at least one recipient.")
    with transaction.atomic():
        email, created = OutboundEmail.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "to": list(to),
                "subject": subject[:300],
                "body_text": text,
                "body_html": html,
                "attachments": attachments or [],
                # The immediate task normally sends it; the periodic flush
                # only picks it up if that task was lost.
                "next_attempt_at": timezone.now() + timedelta(minutes=2),
            },
        )
        if created:
            from sam.tasks import send_outbound_email

            tenant_id = current_tenant_id()
            email_id = email.pk
            transaction.on_commit(lambda: send_outbound_email.delay(tenant_id, email_id))
    return email, created


def email_send(*, email_id: int) -> str:
    """Send one outbox row if it is still due. Returns the resulting status.

    The row is locked while it is sent, so two workers never send the same
    message; a row already sent is left alone.
    """
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return "busy-or-missing"
        if email.status in (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED):
            return email.status
        email.attempts += 1
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=email.to,
            headers={"Message-ID": f"<{email.tenant_id}.{email.pk}@sam.outbox>", "X-SAM-Key": email.idempotency_key},
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # the SMTP relay is outside: any failure counts as transient
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
                log.error("email %s failed for good after %s attempts", email.pk, email.attempts)
            else:
                email.status = OutboundEmail.Status.QUEUED
                email.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(email.attempts))
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return email.status
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return email.status


def outbox_due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Messages of the current tenant waiting to be (re)sent."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.QUEUED,
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
