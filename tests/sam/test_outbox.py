"""The email outbox: one row per key, sent once, retried with backoff, given up after N attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from sam.models import OutboundEmail
from sam.outbox import backoff_seconds, email_enqueue, email_send, outbox_due_ids

pytestmark = pytest.mark.django_db(transaction=False)


def enqueue(key="k1", **kw):
    return email_enqueue(key=key, to=["c@example.test"], subject="Hello", text="Body", **kw)


def test_same_key_makes_one_row(tenant_a, django_capture_on_commit_callbacks):
    with tenant_a.ctx(), django_capture_on_commit_callbacks() as callbacks:
        first, created1 = enqueue()
        second, created2 = enqueue()
    assert first.pk == second.pk
    assert (created1, created2) == (True, False)
    assert len(callbacks) == 1  # one send task, after commit


def test_same_key_in_two_tenants_is_two_messages(tenant_a, tenant_b):
    with tenant_a.ctx():
        enqueue()
    with tenant_b.ctx():
        enqueue()
        assert OutboundEmail.objects.count() == 1


def test_send_once(tenant_a):
    with tenant_a.ctx():
        email, _ = enqueue(html="<p>Body</p>")
        assert email_send(email_id=email.pk) == ("sent", 1)
        assert email_send(email_id=email.pk) == ("sent", 1)
        email.refresh_from_db()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    assert email.attempts == 1 and email.sent_at is not None


def test_the_row_is_recorded_as_sent_before_the_connection_closes(tenant_a):
    """A worker that dies after the relay took the message but before the row says so sends it again: the window
    is the commit alone, not the goodbye to the relay as well."""
    from tests.sam.failing_backend import RecordingBackend

    RecordingBackend.events = []
    with override_settings(EMAIL_BACKEND="tests.sam.failing_backend.RecordingBackend"), tenant_a.ctx():
        email, _ = enqueue()
        assert email_send(email_id=email.pk) == ("sent", 1)
    assert RecordingBackend.events == ["open", "send", "close with the row sent"]


def test_transient_failure_backs_off_then_gives_up(tenant_a):
    with (
        override_settings(EMAIL_BACKEND="tests.sam.failing_backend.FailingBackend", OUTBOX_MAX_ATTEMPTS=3),
        tenant_a.ctx(),
    ):
        email, _ = enqueue()
        assert email_send(email_id=email.pk) == ("queued", 1)
        email.refresh_from_db()
        assert email.attempts == 1
        assert "ConnectionRefusedError" in email.last_error
        assert email.next_attempt_at > timezone.now() + timedelta(seconds=50)
        assert email.pk not in outbox_due_ids()
        assert email.pk in outbox_due_ids(now=timezone.now() + timedelta(seconds=backoff_seconds(1) + 1))
        email_send(email_id=email.pk)
        assert email_send(email_id=email.pk) == ("failed", 3)
        email.refresh_from_db()
        assert email.attempts == 3
    assert mail.outbox == []


def test_backoff_grows_and_is_capped():
    delays = [backoff_seconds(n) for n in range(1, 10)]
    assert delays == sorted(delays)
    assert delays[0] == 60 and delays[-1] == 6 * 3600


def test_no_recipients_is_an_error(tenant_a):
    with tenant_a.ctx(), pytest.raises(ValueError):
        email_enqueue(key="x", to=[], subject="s", text="t")


def test_flush_dispatches_only_due_messages(tenant_a, monkeypatch, django_capture_on_commit_callbacks):
    from sam import tasks

    sent = []
    monkeypatch.setattr(tasks.send_outbound_email, "apply_async", lambda args, **options: sent.append(tuple(args)))
    with tenant_a.ctx(), django_capture_on_commit_callbacks(execute=True):
        enqueue("fresh")
        lost, _ = enqueue("lost")
    with tenant_a.ctx():
        OutboundEmail.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    assert len(sent) == 2  # each new message got its own task at creation
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.outbox_flush() == 1
    assert sent == [(tenant_a.tenant.pk, lost.pk)]


def test_platform_email_same_pipeline(db):
    from sam.outbox import platform_email_enqueue

    first = platform_email_enqueue(key="reset:1", to=["p@example.test"], subject="Reset", text="Link")
    again = platform_email_enqueue(key="reset:1", to=["p@example.test"], subject="Reset", text="Link")
    assert first.pk == again.pk
    assert email_send(email_id=first.pk, platform=True) == ("sent", 1)
    assert [m.subject for m in mail.outbox] == ["Reset"]


def test_tenant_task_schedules_retry_after_failure(tenant_a, django_capture_on_commit_callbacks, monkeypatch):
    from sam import tasks

    scheduled = []
    monkeypatch.setattr(
        tasks.send_outbound_email, "apply_async", lambda args, countdown: scheduled.append((args, countdown))
    )
    with tenant_a.ctx():
        email, _ = enqueue()
    with (
        override_settings(EMAIL_BACKEND="tests.sam.failing_backend.FailingBackend"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.send_outbound_email.apply(args=[tenant_a.tenant.pk, email.pk]).result == "queued"
    assert scheduled == [((tenant_a.tenant.pk, email.pk), backoff_seconds(1))]


def test_sent_messages_are_forgotten_after_half_a_year(tenant_a, tenant_b):
    from sam.models import PlatformEmail
    from sam.outbox import platform_email_enqueue
    from sam.tasks import outbox_prune

    long_ago = timezone.now() - timedelta(days=200)
    for world in (tenant_a, tenant_b):
        with world.ctx():
            old, _ = email_enqueue(key="old", to=["a@example.com"], subject="Old", text="t")
            recent, _ = email_enqueue(key="recent", to=["a@example.com"], subject="Recent", text="t")
            unsent, _ = email_enqueue(key="unsent", to=["a@example.com"], subject="Unsent", text="t")
            OutboundEmail.objects.filter(pk=old.pk).update(status="sent", sent_at=long_ago)
            OutboundEmail.objects.filter(pk=recent.pk).update(status="sent", sent_at=timezone.now())
            OutboundEmail.objects.filter(pk=unsent.pk).update(created_at=long_ago)
    platform = platform_email_enqueue(key="old", to=["a@example.com"], subject="Old", text="t")
    PlatformEmail.objects.filter(pk=platform.pk).update(status="sent", sent_at=long_ago)
    assert outbox_prune() == 3  # one of each tenant and the platform's
    for world in (tenant_a, tenant_b):
        with world.ctx():
            assert sorted(OutboundEmail.objects.values_list("subject", flat=True)) == ["Recent", "Unsent"]
    assert not PlatformEmail.objects.exists()
