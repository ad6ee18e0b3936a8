"""A real worker killed in the middle of the reminder task: after the next run, exactly one email per
milestone; and a rolled-back transaction publishes no task."""

from __future__ import annotations

import os
import signal
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from qbr import services
from qbr.models import Milestone
from sam.models import OutboundEmail
from tests.accounts.conftest import make_account

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_worker_killed_mid_reminders_leaves_one_email_per_milestone(tenant_a):
    from qbr.tasks import reminders_all
    from tests.worker import celery_worker, wait_for

    for n in range(12):
        make_account(tenant_a, f"Strategic {n:02}")
    start = timezone.localdate() - timedelta(days=60)
    with tenant_a.ctx():
        services.qbrs_schedule(today=start)  # made two months ago: milestones since then are due and unmailed
        today = timezone.localdate()
        due = list(  # what the reminders cover: planned QBRs within their period; minutes only once held
            Milestone.objects.filter(due__lte=today, due__gte=start, qbr__period_end__gte=today)
            .exclude(kind="minutes")
            .order_by("due", "pk")
        )
    assert len(due) >= 12
    blocker = due[len(due) // 2]  # the task stops here, halfway, holding the reminders before it
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        from django.db import connection as own

        try:
            with tenant_a.ctx():
                Milestone.objects.select_for_update().get(pk=blocker.pk)
                locked.set()
                release.wait(timeout=120)
        finally:
            own.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)

    def waiting_on_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] > 0

    try:
        with celery_worker(queues="default") as worker:
            reminders_all.delay()
            assert wait_for(waiting_on_lock, timeout=60), "the worker never reached the locked milestone"
            os.killpg(worker.pid, signal.SIGKILL)  # killed halfway through, its transaction open
            worker.wait()
    finally:
        release.set()
        holder.join(timeout=30)
    with tenant_a.ctx():
        assert not OutboundEmail.objects.filter(idempotency_key__startswith="qbr-milestone:").exists()
    with celery_worker(queues="default"):  # the next beat tick (or a redelivery) runs it again
        reminders_all.delay()
        reminders_all.delay()  # twice, even

        def mailed() -> int:
            with tenant_a.ctx():
                return OutboundEmail.objects.filter(idempotency_key__startswith="qbr-milestone:").count()

        assert wait_for(lambda: mailed() == len(due), timeout=60), (mailed(), len(due))
        assert wait_for(lambda: not _busy(), timeout=30)
    with tenant_a.ctx():
        keys = list(OutboundEmail.objects.filter(idempotency_key__startswith="qbr-milestone:")
                    .values_list("idempotency_key", flat=True))  # fmt: skip
        assert len(keys) == len(set(keys)) == len(due)
        assert Milestone.objects.filter(pk__in=[m.pk for m in due], reminded_at__isnull=True).count() == 0


def _busy() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
                       "AND datname = current_database()")  # fmt: skip
        return cursor.fetchone()[0] > 0


def test_a_rolled_back_transaction_publishes_no_task(tenant_a, django_capture_on_commit_callbacks):
    make_account(tenant_a, "Strategic Co")
    start = timezone.localdate() - timedelta(days=60)
    with tenant_a.ctx():
        services.qbrs_schedule(today=start)
    with django_capture_on_commit_callbacks() as callbacks, tenant_a.ctx():
        try:
            with transaction.atomic():
                assert services.reminders_send() > 0
                raise RuntimeError("something failed after the reminders were queued")
        except RuntimeError:
            pass
    assert callbacks == []  # no send task was published for the rolled-back emails
    with tenant_a.ctx():
        assert not OutboundEmail.objects.exists()
