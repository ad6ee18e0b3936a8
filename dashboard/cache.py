"""The dashboard's figures, cached per tenant, filters and day under a data stamp, and never older than
``MAX_AGE`` (the page says as of when).

Every save or delete of a row the dashboard reads replaces the tenant's stamp once its transaction commits,
so the next request computes afresh. Writes that bypass model signals (bulk updates) are caught by the age
limit, and the page shows the figures' time with a link that recomputes them now. Stamps are random, not
counters: a cache that outlives the database never serves old figures under a reused tenant id.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts import models as acc
from assessments.models import Assessment, AssessmentSettings
from qbr.models import Cadence, Milestone, Qbr, QbrSettings
from sam.models import Membership, Tenant
from scorecards.models import Period, Scorecard
from voc.models import Invitation, Response, VocSettings

MAX_AGE = 300  # seconds


def _key(tenant_id: int) -> str:
    return f"dashboard:stamp:{tenant_id}"


def stamp(tenant_id: int) -> str:
    key = _key(tenant_id)
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, None)
        value = cache.get(key) or ""
    return str(value)


def bump(tenant_id: int) -> None:
    """A new stamp now, and again once the current transaction commits (drops what a concurrent request cached
    from the data as it was before the commit; one such per tenant and transaction, however many rows it writes)."""
    cache.set(_key(tenant_id), uuid.uuid4().hex, None)
    connection = transaction.get_connection()
    if connection.in_atomic_block and not any(
        getattr(fn, "dashboard_tenant", None) == tenant_id for _, fn, *_ in connection.run_on_commit
    ):
        renew: Any = lambda: cache.set(_key(tenant_id), uuid.uuid4().hex, None)  # noqa: E731
        renew.dashboard_tenant = tenant_id
        transaction.on_commit(renew)


def cached(tenant_id: int, what: str, compute: Any, *, fresh: bool = False) -> tuple[Any, datetime]:
    """``compute()``'s value and when it was computed: from the cache unless stale, missing or ``fresh``."""
    digest = hashlib.sha256(what.encode()).hexdigest()[:32]
    key = f"dashboard:figures:{tenant_id}:{stamp(tenant_id)}:{timezone.localdate():%Y%m%d}:{digest}"
    if not fresh:
        found = cache.get(key)
        if found is not None:
            return found
    value = (compute(), timezone.now())
    cache.set(key, value, MAX_AGE)
    return value


def _on_row(sender: type, instance: Any, **kwargs: Any) -> None:
    tenant_id = getattr(instance, "tenant_id", None)
    if tenant_id is not None:
        bump(tenant_id)


def _on_tenant(sender: type, instance: Any, **kwargs: Any) -> None:
    bump(instance.pk)


def connect() -> None:
    """Every model whose rows a dashboard figure reads."""

    models = (
        acc.Account,
        acc.Tier,
        acc.Contract,
        acc.LossReason,
        acc.RevenueEntry,
        acc.RevenueSource,
        acc.ExchangeRate,
        acc.ActionItem,
        acc.Incident,
        acc.RecurringIssue,
        acc.PlanReview,
        acc.TeamAssignment,
        acc.Contact,
        acc.TimelineEntry,  # who was touched: the quiet buying roles among the reasons
        acc.TimelineContact,
        Assessment,
        AssessmentSettings,
        Qbr,
        Milestone,
        Cadence,
        QbrSettings,
        Membership,
        Period,
        Scorecard,
        Invitation,
        Response,
        VocSettings,
    )
    for model in models:
        post_save.connect(_on_row, sender=model, dispatch_uid=f"dashboard-stamp-save-{model.__name__}")
        post_delete.connect(_on_row, sender=model, dispatch_uid=f"dashboard-stamp-delete-{model.__name__}")
    post_save.connect(_on_tenant, sender=Tenant, dispatch_uid="dashboard-stamp-tenant")
