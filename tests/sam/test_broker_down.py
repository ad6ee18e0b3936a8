"""Publishing with the Celery broker out of reach: the request goes on, the work waits in the database and its
sweep sends it once the broker is back."""

from __future__ import annotations

import pytest
from celery.app.task import Task
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from sam.documents import services as documents
from sam.documents.tasks import documents_sweep_stale_all
from sam.models import Document, OutboundEmail, PlatformEmail
from sam.outbox import email_enqueue, outbox_due_ids, platform_email_enqueue
from sam.tasks import outbox_flush
from sam.tasks_base import broker_outage, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish refused, as kombu refuses it with Redis stopped; the names of the tasks tried."""
    tried: list[str] = []

    def refuse(self, args=None, kwargs=None, **options):
        tried.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    yield tried
    broker_outage().recovered()  # the next test finds the broker up


def test_an_email_queued_with_the_broker_down_is_kept_and_due_for_the_flush(
    tenant_a, broker_down, broker_back_later, django_capture_on_commit_callbacks
):
    with tenant_a.ctx(), django_capture_on_commit_callbacks(execute=True):
        email, created = email_enqueue(key="k", to=["c@example.test"], subject="Hello", text="Body")
    assert created and broker_down == ["sam.tasks.send_outbound_email"]
    with tenant_a.ctx():
        assert OutboundEmail.objects.get(pk=email.pk).status == "queued"
        assert outbox_due_ids() == [email.pk]  # due now, not after the grace left to the immediate task
    sent = broker_back_later()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_flush() == 1
    assert sent == [("sam.tasks.send_outbound_email", (tenant_a.tenant.pk, email.pk))]


def test_a_platform_email_with_the_broker_down_is_kept_and_due(db, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = platform_email_enqueue(key="reset:1", to=["p@example.test"], subject="Reset", text="Link")
    assert PlatformEmail.objects.get(pk=email.pk).status == "queued"
    assert outbox_due_ids(platform=True) == [email.pk]


def test_a_pdf_asked_for_with_the_broker_down_answers_and_the_sweep_sends_it_later(
    tenant_a, account_a, client_for, broker_down, broker_back_later, django_capture_on_commit_callbacks
):
    pdf = reverse("operations_review_pdf", args=["alpha", account_a.pk])
    data = {"start": "2026-08-01", "end": "2026-10-31", "summary": "Stable", "recommendations": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant_a.admin).post(pdf, data)
    assert response.status_code == 302
    assert broker_down == ["sam.documents.render_document"]
    with tenant_a.ctx():
        document = Document.objects.get()
        assert document.status == "queued"
        assert document.queued_at <= timezone.now() - documents.QUEUED_TOO_LONG  # due at the sweep's next pass
    sent = broker_back_later()
    with django_capture_on_commit_callbacks(execute=True):
        assert documents_sweep_stale_all() == 1
    assert sent == [("sam.documents.render_document", (tenant_a.tenant.pk, document.pk))]


def test_after_a_failure_the_broker_is_left_alone_for_a_pause(db, broker_down):
    lost = []
    assert publish("sam.tasks.outbox_flush", on_lost=lambda: lost.append(1)) is False
    assert publish("sam.tasks.outbox_flush", on_lost=lambda: lost.append(2)) is False
    assert broker_down == ["sam.tasks.outbox_flush"]  # the second did not wait for the broker
    assert lost == [1, 2]  # but its work was marked due all the same


def test_the_first_publish_after_the_pause_finds_the_broker_back(db, broker_down, broker_back_later):
    assert publish("sam.tasks.outbox_flush") is False
    sent = broker_back_later()
    broker_outage().retry_at = 0.0
    assert publish("sam.tasks.outbox_flush") is True
    assert sent == [("sam.tasks.outbox_flush", ())] and broker_outage().since is None


@pytest.fixture
def broker_back_later(monkeypatch):
    """Call to bring the broker back (and end its pause): answers the list of tasks sent from then on."""

    def back():
        sent: list[tuple[str, tuple]] = []

        def accept(self, args=None, kwargs=None, **options):
            sent.append((self.name, tuple(args or ())))

        monkeypatch.setattr(Task, "apply_async", accept)
        broker_outage().retry_at = 0.0
        return sent

    return back


def test_asking_for_a_portal_link_with_the_broker_down_says_try_again(db, broker_down):
    from django.test import Client

    response = Client().post("/p/link/", {"email": "x@globex.test"})
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert broker_down == ["portal.tasks.link_request"]


def test_a_worker_losing_redis_with_unacknowledged_tasks_keeps_running(monkeypatch):
    """kombu's restore through a connection already gone raises AttributeError; the worker must not stop."""
    from kombu.transport import redis as kombu_redis

    import sam.celery

    def gone(self, client=None):
        raise AttributeError("'NoneType' object has no attribute 'hostname'")

    monkeypatch.setattr(sam.celery, "_restore_unacked", gone)

    class QoS:
        _delivered = {"tag-1": object(), "tag-2": object()}

    assert kombu_redis.QoS.restore_unacked is sam.celery.restore_unacked_or_leave
    assert kombu_redis.QoS.restore_unacked(QoS()) is None
    assert QoS._delivered == {}  # left in Redis's unacknowledged set, redelivered after the visibility timeout


def test_a_task_finishing_after_redis_went_away_does_not_stop_the_worker(monkeypatch):
    from kombu.transport import redis as kombu_redis

    import sam.celery

    def gone(self, *args):
        raise AttributeError("'NoneType' object has no attribute 'client'")

    monkeypatch.setattr(sam.celery, "_ack", gone)
    monkeypatch.setattr(sam.celery, "_reject", gone)

    class QoS:
        _delivered = {"tag-1": object(), "tag-2": object()}

    kombu_redis.QoS.ack(QoS(), "tag-1")
    kombu_redis.QoS.reject(QoS(), "tag-2", requeue=True)
    assert QoS._delivered == {}
