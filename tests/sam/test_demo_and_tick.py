"""Demo data is idempotent; `manage.py tick` runs every periodic job once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from sam.models import Membership, Tenant, User
from sam.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_seed_demo_twice_is_the_same(demo):
    # `demo` is a copy of a database the demo was seeded into once; the command seeds it again.
    from accounts.models import Account
    from scorecards.models import Scorecard
    from voc.models import Response

    def rows() -> list[tuple[int, int, int]]:
        found = []
        for tenant in Tenant.objects.order_by("slug"):
            with tenant_context(tenant):
                found.append((Account.objects.count(), Scorecard.objects.count(), Response.objects.count()))
        return found

    counts = (Tenant.objects.count(), User.objects.count())
    before = rows()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "admin@northwind.example" in out.getvalue()
    assert (Tenant.objects.count(), User.objects.count()) == counts == (2, 11)
    call_command("seed_demo", "--quiet-logins", stdout=StringIO())
    assert (Tenant.objects.count(), User.objects.count()) == counts
    assert rows() == before and all(all(before_row) for before_row in before)
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            roles = sorted(Membership.objects.values_list("role", flat=True))
        assert len(roles) == 6  # one of each role, and the person in both tenants
        assert set(roles) == {"admin", "executive", "account_manager", "member", "viewer"}


def test_seed_demo_refuses_production(db, settings):
    settings.PRODUCTION = True
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=StringIO())


def test_tick_runs_every_schedule_entry(db, tenant_a, monkeypatch):
    out = StringIO()
    call_command("tick", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert [line.split(":")[0] for line in lines] == list(settings.CELERY_BEAT_SCHEDULE)


def test_create_tenant_command(db):
    call_command("create_tenant", "acme", "Acme Corp", "--admin-email", "Boss@Acme.test", stdout=StringIO())
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        assert Membership.objects.get().user.email == "boss@acme.test"
