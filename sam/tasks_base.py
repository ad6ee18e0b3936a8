"""How background work enters a tenant: a task for one tenant takes ``tenant_id`` first and runs inside it
(``TenantTask``); a periodic job runs once inside each active tenant (``for_each_tenant``); work is published
after commit (``task_on_commit``), and a broker out of reach leaves it to its sweep rather than fail the request.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from celery import current_app, current_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from sam.models import Tenant
from sam.outage import Outage, outage_of
from sam.tenancy.context import current_origin, current_tenant, origin, required_tenant, tenant_chosen, tenant_context

log = logging.getLogger(__name__)
T = TypeVar("T")


def for_each_tenant(job: Callable[[Tenant], T]) -> list[T]:
    """Run ``job(tenant)`` inside each active tenant in turn (one transaction each, in id order); the results."""
    results = []
    task = current_task
    named = f"task {task.name} {task.request.id or ''}".strip() if task is not None and task.request.id else ""
    with origin(current_origin() or named or "scheduled work"):
        for tenant in Tenant.objects.filter(active=True).order_by("pk"):
            with tenant_context(tenant):
                results.append(job(tenant))
    return results


class TenantTask(DjangoTask):
    """Run the task body inside ``tenant_context`` of its first argument.

    Tasks take ids, never model instances. An unknown or inactive tenant id
    does nothing (and says so in the log): a task argument can no more reach
    another tenant than a URL can.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # False for a task that commits in steps (a long render): it enters its tenant without a transaction and
    # opens one per step with ``tenant_step()``.
    one_transaction = True

    def __call__(self, tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        tenant = Tenant.objects.filter(pk=tenant_id, active=True).first()
        if tenant is None:
            log.warning("task %s skipped: tenant %s is unknown or inactive", self.name, tenant_id)
            return None
        with (
            origin(f"task {self.name} {self.request.id or ''}".strip()),
            tenant_context(tenant) if self.one_transaction else tenant_chosen(tenant),
        ):
            return super().__call__(tenant_id, *args, **kwargs)


def tenant_step() -> Any:
    """One committed step of a task that commits in steps (``TenantTask.one_transaction = False``)."""
    return tenant_context(required_tenant())


# What a broker out of reach looks like when publishing (kombu wraps most of them in its OperationalError).
BROKER_DOWN = (BrokerError, RedisError, ConnectionError, TimeoutError, OSError)


def broker_outage() -> Outage:
    return outage_of(settings.CELERY_BROKER_URL, "Celery broker", "work waits in the database for its sweep")


def publish(name: str, *args: Any, on_lost: Callable[[], None] | None = None, **options: Any) -> bool:
    """Send the task of that name now; False when the broker is out of reach.

    Every task's work is first a row in the database (an outbox email, a queued document) that a periodic sweep
    sends again when its task never ran, so a broker that is down costs a delay, never the request nor the work.
    ``on_lost`` runs when the task could not be sent: it makes the row due for its sweep's next pass. The retry
    policy is kombu's short one (about half a second); after a failure the broker is not tried again for a
    pause (sam/outage.py), so the requests meanwhile do not wait for it.
    """
    outage = broker_outage()
    if outage.may_try():
        try:
            current_app.tasks[name].apply_async(args, **options)
        except BROKER_DOWN as exc:
            outage.failed(exc)
        else:
            back = outage.recovered()
            if back is not None:
                log.warning("Celery broker at %s is back after %.0f s", outage.where, back[0])
            return True
    else:
        outage.failed(None)
    log.info("task %s not sent (the broker is out of reach): its sweep sends it later", name)
    if on_lost is not None:
        try:
            on_lost()
        except Exception:  # the sweep's usual delay still applies: never fail the request for it
            log.exception("task %s: could not mark its work due for the sweep", name)
    return False


def task_on_commit(name: str, *args: Any, on_lost: Callable[[], None] | None = None) -> None:
    """Publish the task of that name once the current transaction commits (nothing if it rolls back).

    By name, so that a service never imports the tasks module that imports the service. With the broker out
    of reach the request goes on; ``on_lost`` (run in the current tenant, in its own transaction) makes the
    work due for its sweep, which sends it once the broker is back (see ``publish``).
    """
    tenant = current_tenant()

    def lost() -> None:
        if on_lost is None:
            return
        with tenant_context(tenant) if tenant is not None else contextlib.nullcontext():
            on_lost()

    transaction.on_commit(lambda: publish(name, *args, on_lost=lost))
