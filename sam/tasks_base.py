"""The base of every tenant task: takes ``tenant_id`` first and runs inside that tenant."""

from __future__ import annotations

import logging
from typing import Any

from celery.contrib.django.task import DjangoTask

from sam.tenancy.context import tenant_context

log = logging.getLogger(__name__)


class TenantTask(DjangoTask):
    """Run the task body inside ``tenant_context`` of its first argument.

    Tasks take ids, never model instances. An unknown or inactive tenant id
    does nothing (and says so in the log): a task argument can no more reach
    another tenant than a URL can.
    """

    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        from sam.models import Tenant

        tenant = Tenant.objects.filter(pk=tenant_id, active=True).first()
        if tenant is None:
            log.warning("task %s skipped: tenant %s is unknown or inactive", self.name, tenant_id)
            return None
        with tenant_context(tenant):
            return super().__call__(tenant_id, *args, **kwargs)
