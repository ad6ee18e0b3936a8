"""With a real Celery worker: tasks run after commit, inside their tenant, and nowhere else."""

from __future__ import annotations

import pytest
from django.db import transaction

from sam.models import OutboundEmail
from sam.outbox import email_enqueue
from sam.tasks import send_outbound_email
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def status_of(world, email_id: int) -> str:
    with world.ctx():
        return OutboundEmail.objects.get(pk=email_id).status


def test_outbox_email_sent_by_the_worker(tenant_a, tenant_b, tmp_path):
    mail_dir = tmp_path / "mail"
    with celery_worker(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)):
        with tenant_a.ctx():
            email, _ = email_enqueue(key="hello", to=["c@example.test"], subject="Quarterly review", text="See you")
        assert wait_for(lambda: status_of(tenant_a, email.pk) == "sent")

    files = list(mail_dir.iterdir())
    bodies = "".join(f.read_text() for f in files)
    assert bodies.count("Subject: Quarterly review") == 1


def test_rolled_back_transaction_publishes_nothing(tenant_a, tmp_path):
    mail_dir = tmp_path / "mail"
    with celery_worker(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(mail_dir)):
        with pytest.raises(RuntimeError), tenant_a.ctx(), transaction.atomic():
            email_enqueue(key="never", to=["c@example.test"], subject="Never", text="x")
            raise RuntimeError("changed my mind")
        with tenant_a.ctx():
            ok, _ = email_enqueue(key="marker", to=["c@example.test"], subject="Marker", text="x")
        assert wait_for(lambda: status_of(tenant_a, ok.pk) == "sent")
    with tenant_a.ctx():
        assert not OutboundEmail.objects.filter(idempotency_key="never").exists()
    assert "Never" not in "".join(f.read_text() for f in mail_dir.iterdir())


def test_task_for_unknown_tenant_does_nothing(tenant_a):
    result = send_outbound_email.apply(args=[999_999, 1])
    assert result.result is None


def test_another_tenants_id_in_task_arguments_finds_nothing(tenant_a, tenant_b):
    from django.core import mail
    from django.utils import timezone

    with tenant_a.ctx():
        email = OutboundEmail.objects.create(
            idempotency_key="a-only", to=["c@example.test"], subject="A", body_text="x", next_attempt_at=timezone.now()
        )
    result = send_outbound_email.apply(args=[tenant_b.tenant.pk, email.pk])
    assert result.result == "busy-or-missing"
    assert mail.outbox == []
    with tenant_a.ctx():
        email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 0)
