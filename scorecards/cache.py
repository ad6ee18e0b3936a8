"""The heatmap's content, cached per tenant and stamped with a data version.

Any write the heatmap shows (accounts, tiers, members, periods, scorecards'
health) replaces the tenant's version stamp once its transaction commits, so
the next request renders afresh. Stamps are random, not counters: a cache
that outlives the database (a new test run, a restore) never serves old
content under a reused tenant id.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import Account, Tier
from sam.models import Membership, Tenant, User
from scorecards.models import Period, Scorecard

TIMEOUT = 600
PEOPLE = "people"  # names of members show in the owner filter of every tenant they belong to


def _key(scope: Any) -> str:
    return f"scorecards:stamp:{scope}"


def stamps(tenant_id: int) -> str:
    """The current stamps of a tenant's data and of people, made on first use (one round trip when warm)."""
    keys = [_key(tenant_id), _key(PEOPLE)]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            found[key] = uuid.uuid4().hex
            cache.add(key, found[key], None)
            found[key] = cache.get(key) or found[key]
    return f"{found[keys[0]]}.{found[keys[1]]}"


def bump(scope: Any) -> None:
    """A new stamp for a tenant (or PEOPLE) now, and again once the current transaction commits.

    The second one drops anything a concurrent request cached from the data as it was before the commit.
    """
    cache.set(_key(scope), uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(_key(scope), uuid.uuid4().hex, None))


def get(key: str) -> Any:
    return cache.get(key)


def put(key: str, value: Any) -> None:
    cache.set(key, value, TIMEOUT)


def _tenant_of(instance: Any) -> int | None:
    return getattr(instance, "tenant_id", None)


def on_tenant_row(sender: type, instance: Any, **kwargs: Any) -> None:
    tenant_id = _tenant_of(instance)
    if tenant_id is not None:
        bump(tenant_id)


def on_person(sender: type, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # signing in changes nothing the heatmap shows
    bump(PEOPLE)


def on_tenant(sender: type, instance: Any, **kwargs: Any) -> None:
    bump(instance.pk)


def connect() -> None:
    for model in (Account, Tier, Membership, Period, Scorecard):
        post_save.connect(on_tenant_row, sender=model, dispatch_uid=f"heatmap-stamp-save-{model.__name__}")
        post_delete.connect(on_tenant_row, sender=model, dispatch_uid=f"heatmap-stamp-delete-{model.__name__}")
    post_save.connect(on_person, sender=User, dispatch_uid="heatmap-stamp-user")
    post_save.connect(on_tenant, sender=Tenant, dispatch_uid="heatmap-stamp-tenant")
