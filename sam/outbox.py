"""The email outbox: every email is a row first, then a Celery send.

``email_enqueue`` is the one way to send email for a tenant;
``platform_email_enqueue`` the one way outside tenants (password reset).
The idempotency key makes a second call with the same key a no-op, so
callers may run twice (beat ticks, task redeliveries) without sending twice.

Sending locks the row (``SELECT ... FOR UPDATE SKIP LOCKED``) in the task's
transaction, so two workers never send the same row, and records the
outcome in that same transaction. Delivery is at least once: a worker
killed after the relay accepted a message but before its transaction
committed sends it again on redelivery. The Message-ID is derived from the
row, so receivers can drop such a duplicate.

Hooks, by idempotency-key prefix (``register_hook``, ``platform=True`` for
the emails outside tenants): ``expand`` fills in at send time what must not
rest in the outbox (a survey link: only its hash is stored; a password link:
made as the email leaves); ``bounced`` hears of the relay refusing the
recipient for good (a 5xx), and such a message is not retried; ``forget``
blanks a sent message's body (security emails: what they said is not kept).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from sam.models import Document, EmailMessageBase, OutboundEmail, PlatformEmail
from sam.tasks_base import task_on_commit
from sam.tenancy.context import current_tenant_id

log = logging.getLogger(__name__)

# Seconds to wait before attempt n+1: 1 min, 5 min, 25 min, ... capped at 6 h.
BACKOFF_BASE = 60
BACKOFF_FACTOR = 5
BACKOFF_CAP = 6 * 60 * 60
# The immediate task normally sends a new row; the periodic flush picks it
# up only after this long (its task was lost).
FLUSH_GRACE = timedelta(minutes=2)
Status = EmailMessageBase.Status


class Withdrawn(Exception):
    """Raised by an ``expand`` hook: this message must not go out any more (e.g. its survey link was revoked)."""


@dataclass(frozen=True)
class Hook:
    expand: Callable[[Any, str, str], tuple[str, str]] | None = None
    bounced: Callable[[Any, str], None] | None = None
    forget: bool = False


_HOOKS: dict[str, Hook] = {}
_PLATFORM_HOOKS: dict[str, Hook] = {}


def register_hook(
    prefix: str,
    *,
    expand: Callable[[Any, str, str], tuple[str, str]] | None = None,
    bounced: Callable[[Any, str], None] | None = None,
    forget: bool = False,
    platform: bool = False,
) -> None:
    """Hooks for the emails whose idempotency key starts with ``prefix`` (a tenant's, or with ``platform`` the
    ones outside tenants)."""
    (_PLATFORM_HOOKS if platform else _HOOKS)[prefix] = Hook(expand, bounced, forget)


def _hook(email: EmailMessageBase) -> Hook | None:
    hooks = _PLATFORM_HOOKS if isinstance(email, PlatformEmail) else _HOOKS
    return next((hook for prefix, hook in hooks.items() if email.idempotency_key.startswith(prefix)), None)


def _refused_for_good(exc: Exception) -> bool:
    """The relay refused every recipient with a permanent (5xx) code: retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(int(code) >= 500 for code, _ in exc.recipients.values())
    return False


def backoff_seconds(attempts: int) -> int:
    return int(min(BACKOFF_CAP, BACKOFF_BASE * BACKOFF_FACTOR ** max(0, attempts - 1)))


def _defaults(
    to: list[str], subject: str, text: str, html: str, attachments: list[dict[str, object]] | None
) -> dict[str, Any]:
    if not to:
        raise ValueError("An email needs at least one recipient.")
    return {
        "to": list(to),
        "subject": subject[:300],
        "body_text": text,
        "body_html": html,
        "attachments": attachments or [],
        "next_attempt_at": timezone.now() + FLUSH_GRACE,
    }


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
    defaults = _defaults(to, subject, text, html, attachments)
    with transaction.atomic():
        email, created = OutboundEmail.objects.get_or_create(idempotency_key=key, defaults=defaults)
        if created:
            lost = _due_now(OutboundEmail, email.pk)
            task_on_commit("sam.tasks.send_outbound_email", current_tenant_id(), email.pk, on_lost=lost)
    return email, created


def platform_email_enqueue(*, key: str, to: list[str], subject: str, text: str, html: str = "") -> PlatformEmail:
    """An email outside any tenant (e.g. password reset), through the same outbox."""
    with transaction.atomic():
        email, created = PlatformEmail.objects.get_or_create(
            idempotency_key=key, defaults=_defaults(to, subject, text, html, None)
        )
        if created:
            task_on_commit("sam.tasks.send_platform_email", email.pk, on_lost=_due_now(PlatformEmail, email.pk))
    return email


def _due_now(model: Any, email_id: int) -> Callable[[], None]:
    """For a message whose task could not be sent (the broker was out of reach): due at the flush's next pass,
    rather than after the grace the flush leaves the immediate task."""
    return lambda: model.objects.filter(pk=email_id, status=Status.QUEUED).update(next_attempt_at=timezone.now())


def _message(email: EmailMessageBase) -> EmailMultiAlternatives:
    scope = getattr(email, "tenant_id", None) or "platform"
    text, html = email.body_text, email.body_html
    hook = _hook(email)
    if hook is not None and hook.expand is not None:
        text, html = hook.expand(email, text, html)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        headers={"Message-ID": f"<{scope}.{email.pk}@sam.outbox>", "X-SAM-Key": email.idempotency_key},
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in getattr(email, "attachments", None) or []:
        _attach(message, attachment)
    return message


def _attach(message: EmailMultiAlternatives, attachment: dict[str, Any]) -> None:
    """``{"document": id}`` attaches a ready PDF of the tenant; ``{"filename", "content_type", "content"}``
    attaches text made when the email was queued (e.g. a calendar invitation). A missing document fails the
    send, which is retried like any other failure."""
    if "document" in attachment:
        document = Document.objects.filter(pk=attachment["document"], status=Document.Status.READY).first()
        if document is None or not document.file:
            raise RuntimeError(f"Document {attachment['document']} is not ready to attach.")
        with document.file.open("rb") as handle:
            name = f"{slugify(document.title)[:80] or 'document'}-v{document.version}.pdf"
            message.attach(name, handle.read(), "application/pdf")
    else:
        message.attach(str(attachment["filename"]), str(attachment["content"]), str(attachment["content_type"]))


def email_send(*, email_id: int, platform: bool = False) -> tuple[str, int]:
    """Send one outbox row if it is still due. Returns (status, attempts).

    Status ``busy-or-missing``: not in this tenant, or another worker has it.
    ``queued`` after a failure means: retry after ``backoff_seconds(attempts)``.

    The row is committed as sent as soon as the relay has taken the message, before the connection is closed: a
    worker that dies between the two would send it again (SMTP cannot say whether a message was taken until the
    answer arrives), so that window is kept to the one commit.
    """
    connection = get_connection(fail_silently=False)
    try:
        return _send_row(email_id, PlatformEmail if platform else OutboundEmail, connection)
    finally:
        with contextlib.suppress(Exception):  # the message is sent and recorded; saying goodbye may fail
            connection.close()


def _send_row(email_id: int, model: Any, connection: Any) -> tuple[str, int]:
    with transaction.atomic():
        email = model.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return "busy-or-missing", 0
        if email.status != Status.QUEUED:
            return email.status, email.attempts
        email.attempts += 1
        try:
            message = _message(email)
            message.connection = connection
            connection.open()  # so that sending leaves it open: it is closed after the commit
            message.send(fail_silently=False)
        except Withdrawn as exc:
            email.status, email.last_error = Status.FAILED, f"Withdrawn: {exc}"[:2000]
            email.save(update_fields=["attempts", "last_error", "status"])
            return email.status, email.attempts
        except Exception as exc:  # the relay is outside: every failure is worth a retry
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            hook = _hook(email)
            if _refused_for_good(exc):
                email.status = Status.FAILED
                log.warning("email %s refused for good by the relay", email.pk)
                if hook is not None and hook.bounced is not None:
                    hook.bounced(email, email.last_error)
            elif email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status = Status.FAILED
                log.error("email %s failed for good after %s attempts", email.pk, email.attempts)
            else:
                email.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(email.attempts))
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return email.status, email.attempts
        email.status = Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        fields = ["attempts", "status", "sent_at", "last_error"]
        hook = _hook(email)
        if hook is not None and hook.forget:
            email.body_text = email.body_html = ""
            fields += ["body_text", "body_html"]
        email.save(update_fields=fields)
        return email.status, email.attempts


def outbox_due_ids(*, now: datetime | None = None, limit: int = 500, platform: bool = False) -> list[int]:
    """Rows waiting to be (re)sent: new ones whose task was lost, and retries that are due."""
    now = now or timezone.now()
    model: Any = PlatformEmail if platform else OutboundEmail
    return list(
        model.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def sent_emails_prune(*, before: datetime, platform: bool = False) -> int:
    """Forget the messages sent before a moment: the current tenant's, or the platform's."""
    model = PlatformEmail if platform else OutboundEmail
    return model.objects.filter(status="sent", sent_at__lt=before).delete()[0]
