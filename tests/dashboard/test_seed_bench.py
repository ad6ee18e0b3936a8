"""`manage.py seed_bench`: whole benchmark tenants in bulk, under row-level security, made once and kept."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from sam.models import Membership, Tenant
from sam.roles import Role
from sam.tenancy.context import tenant_context
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# No VACUUM: it would wait on the test's open transaction.
SMALL = {"accounts": 5, "responses": 40, "incidents": 60, "jobs": 1, "no_vacuum": True}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_bench", stdout=out, **{"tenants": 1, **SMALL, **options})
    return out.getvalue()


@pytest.fixture(autouse=True)
def _checked_at_once(db):
    # Foreign keys are checked at commit, which a test never reaches: check each statement instead.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def counts(tenant: Tenant) -> dict[str, int]:
    from accounts.models import Account, Contact, Contract, Incident, RevenueEntry
    from scorecards.models import MetricDefinition, MetricValue, Period, Scorecard
    from voc.models import Invitation, Response

    models = {"accounts": Account, "contracts": Contract, "contacts": Contact, "incidents": Incident,
              "revenue": RevenueEntry, "periods": Period, "metrics": MetricDefinition, "scorecards": Scorecard,
              "values": MetricValue, "invitations": Invitation, "responses": Response,
              "memberships": Membership}  # fmt: skip
    with tenant_context(tenant):
        return {name: model.objects.count() for name, model in models.items()}


def test_one_small_tenant_has_everything_and_its_dashboard_opens(client_for):
    from accounts.models import Contract
    from scorecards.models import Scorecard
    from scorecards.services import scorecard_compute

    boss = UserFactory(email="boss@example.test")
    output = seed(user="Boss@example.test")
    assert "bench-000: made in" in output
    tenant = Tenant.objects.get(slug="bench-000")
    found = counts(tenant)
    with tenant_context(tenant):
        lost = Contract.objects.filter(outcome="lost").count()
        assert Contract.objects.filter(outcome="lost", lost_reason__isnull=True).count() == 0
        assert not Contract.objects.exclude(outcome="open").filter(end__gte=timezone.localdate()).exists()
        assert Membership.objects.get(user=boss).role == Role.ADMIN
        # The stored health is what the product computes from the values.
        for card in Scorecard.objects.select_related("version").order_by("pk")[:10]:
            stored = card.health
            scorecard_compute(card)
            card.refresh_from_db()
            assert stored is not None and card.health == stored
    assert found == {"accounts": 5, "contracts": 10 - lost, "contacts": 25, "incidents": 60, "revenue": 5 * 3 * 4,
                     "periods": 8, "metrics": 20, "scorecards": 5 * 8, "values": 5 * 8 * 20, "invitations": 8 * 25,
                     "responses": 40, "memberships": 8}  # fmt: skip

    response = client_for(boss).get("/t/bench-000/", {"scope": "all"})
    assert response.status_code == 200
    html = response.content.decode()
    bands = dict(re.findall(r'data-figure="health-(\w+)">\s*(\d+)', html))
    assert sum(int(n) for n in bands.values()) == 5 and bands.get("none") == "0"


def test_seeding_again_keeps_what_exists_and_trim_drops_the_rest():
    seed(tenants=2)
    first = Tenant.objects.get(slug="bench-001")
    before = counts(first)
    assert "2 tenants exist already" in seed(tenants=2)
    assert counts(first) == before
    assert Tenant.objects.filter(slug__startswith="bench-").count() == 2

    output = seed(tenants=1, trim=True)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the drop's foreign key checks, now
    assert "bench-001: dropped" in output
    assert list(Tenant.objects.filter(slug__startswith="bench-").values_list("slug", flat=True)) == ["bench-000"]
    assert set(counts(first).values()) == {0}  # nothing of it is left behind
    assert counts(Tenant.objects.get(slug="bench-000"))["accounts"] == 5


def test_bad_options_are_refused():
    with pytest.raises(CommandError, match="No user"):
        seed(user="nobody@example.test")
    with pytest.raises(CommandError, match="prefix"):
        seed(prefix="Bad prefix")
    assert not Tenant.objects.filter(slug__startswith="bench-").exists()
