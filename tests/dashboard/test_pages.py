"""The dashboard page, its drill-down lists, the API, role views, bad filters and the query count."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sam.roles import Role
from sam.services import token_create
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def url(name, *args, slug="alpha"):
    return reverse(name, args=[slug, *args])


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([^"]+)">([^<]+)<', html))


def api_get(world, params=None, role=Role.EXECUTIVE):
    from django.test import Client

    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/dashboard/", params or {})


def test_page_and_api_give_the_same_figures(tenant_a, world, client_for):
    with tenant_a.ctx():
        from accounts.models import Tier

        strategic = Tier.objects.get(name="Strategic").pk
    params = {"tier": strategic, "window": "24"}
    page = client_for(tenant_a.users[Role.EXECUTIVE]).get(url("dashboard_section", "retention"), params)
    assert page.status_code == 200
    shown = figures(page.content.decode())
    data = api_get(tenant_a, params).json()
    r = data["retention"]
    assert shown["retention"] == f"{r['rate']:g}%"
    assert shown["grr"] == f"{r['gross_revenue_retention']:g}%" and shown["nrr"] == f"{r['net_revenue_retention']:g}%"
    assert r["lost"] == 2 and [a["account"] for a in r["lost_accounts"]] == ["Cedar", "Fir"]
    home = figures(client_for(tenant_a.users[Role.EXECUTIVE]).get(url("dashboard"), params).content.decode())
    assert home["nps"] == f"{data['surveys']['nps']:.0f}"
    assert home["health-red"] == str(data["health"]["now"]["red"])
    assert home["qbr-rate"] == f"{data['qbr_compliance']['rate']}%"
    assert home["overdue-actions"] == str(data["overdue_actions"]["total"])
    for year, total in zip(data["revenue"]["years"], data["revenue"]["totals"], strict=True):
        assert home[f"revenue-{year}"] == f"USD {total:,.0f}"
    assert [a["name"] for a in data["at_risk"]] == ["Birch"]
    assert data["at_risk"][0]["risk_reasons"][0].startswith("Health is red")


def test_every_tile_opens_the_list_behind_it(tenant_a, world, client_for):
    client = client_for(tenant_a.users[Role.EXECUTIVE])
    home = client.get(url("dashboard"), {"industry": ""}).content.decode()
    for section in ("retention", "health", "at-risk", "customers", "qbrs", "revenue"):
        link = url("dashboard_section", section)
        assert f'href="{link}?' in home
        response = client.get(link, {"by": "account"})
        assert response.status_code == 200, section
    assert client.get(url("dashboard_section", "nothing")).status_code == 404


def test_account_managers_start_on_their_accounts(tenant_a, world, client_for):
    other = make_account(tenant_a, "Owned by admin", owner_role=Role.ADMIN)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = am.get(url("dashboard")).content.decode()
    assert "Your accounts" in page and "See the whole portfolio" in page
    data = api_get(tenant_a, role=Role.ACCOUNT_MANAGER).json()
    assert data["filters"]["scope"] == "mine" and other.name not in [a["name"] for a in data["accounts_detail"]]
    everything = api_get(tenant_a, {"scope": "all"}, role=Role.ACCOUNT_MANAGER).json()
    assert other.name in [a["name"] for a in everything["accounts_detail"]]
    for role in (Role.EXECUTIVE, Role.ADMIN, Role.VIEWER):
        assert "The whole portfolio" in client_for(tenant_a.users[role]).get(url("dashboard")).content.decode()
        assert api_get(tenant_a, role=role).json()["accounts"] == everything["accounts"]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-02-30"},
        {"start": "2026-05-01", "end": "2026-01-01"},
        {"start": "1900-01-01", "end": "2026-01-01"},
        {"tier": "99999999999999999999"},
        {"owner": "abc"},
        {"industry": "Energy\x00"},
        {"scope": "everyone"},
        {"window": "7"},
        {"end": "0001-01-15"},
        {"end": "0001-06-01", "window": "36"},
        {"start": "9999-12-31"},
        {"end": "9999-12-31"},
    ],
)
def test_bad_filters_answer_400_and_say_why(tenant_a, client_for, params):
    page = client_for(tenant_a.users[Role.EXECUTIVE]).get(url("dashboard"), params)
    assert page.status_code == 400
    assert b"Please correct" in page.content or b"NUL" in page.content  # NUL bytes are refused before any view
    assert api_get(tenant_a, params).status_code == 400


def test_another_tenants_tier_or_owner_is_refused(tenant_a, tenant_b, client_for):
    with tenant_b.ctx():
        from accounts.models import Tier

        tier = Tier.objects.first().pk
    client = client_for(tenant_a.users[Role.EXECUTIVE])
    assert client.get(url("dashboard"), {"tier": tier}).status_code == 400
    assert client.get(url("dashboard"), {"owner": tenant_b.users[Role.ADMIN].pk}).status_code == 400
    assert client_for(tenant_b.users[Role.EXECUTIVE]).get(url("dashboard")).status_code == 404


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_constant_queries_at_10_and_200_accounts(tenant_a, client_for):
    client = client_for(tenant_a.users[Role.EXECUTIVE])
    with tenant_a.ctx():
        from scorecards.models import Period

        Period.objects.create(label="P1", start=date.today() - timedelta(days=30), end=date.today())
    _extend(tenant_a, 0, 10)
    sections = ("retention", "health", "at-risk", "customers", "qbrs", "revenue")
    # fresh=1: the figures computed anew (not from the dashboard cache) every time.
    paths = tuple(p + "?fresh=1" for p in (url("dashboard"), *(url("dashboard_section", s) for s in sections),
                                          "/api/v1/dashboard/"))  # fmt: skip
    for path in paths:  # the first request fills per-process caches (session, membership)
        client.get(path)
    few = {p: _queries(client, p) for p in paths}
    _extend(tenant_a, 10, 190)
    many = {p: _queries(client, p) for p in paths}
    assert many == few, (few, many)
    assert max(few.values()) <= 45


def _extend(world, start: int, count: int) -> None:
    from accounts import money_services, services
    from accounts.models import IncidentCategory
    from scorecards.models import Period, Scorecard
    from scorecards.services import scorecard_for

    today = date.today()
    with world.ctx():
        period = Period.objects.get(label="P1")
        source = money_services.revenue_sources()[0]
        category = IncidentCategory.objects.first()
    for n in range(start, start + count):
        account = make_account(world, f"Account {n:03}", industry="Energy")
        with world.ctx():
            services.contract_save(account=account, data={
                "title": "Deal", "start": today - timedelta(days=700), "end": today - timedelta(days=5),
                "value": Decimal(1000), "currency": "EUR", "renewal_terms": ""})  # fmt: skip
            if n % 3 == 0:
                services.incident_record(account=account, data={"category": category, "summary": "Slow"})
            money_services.revenue_entry_save(account=account, year=today.year, quarter=0, source=source, amount="10",
                                     currency="EUR")  # fmt: skip
            card = scorecard_for(account=account, period=period)
            Scorecard.objects.filter(pk=card.pk).update(health=Decimal(50 + n % 50))
            services.action_item_add(account=account, title="Call", due=today - timedelta(days=1))


def test_links_keep_the_window_and_the_scope(tenant_a, world, client_for):
    page = client_for(tenant_a.users[Role.EXECUTIVE]).get(url("dashboard"), {"window": "24"}).content.decode()
    assert f'href="{url("dashboard_section", "retention")}?window=24&amp;scope=all"' in page
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(url("dashboard")).content.decode()
    assert "scope=mine" in am


def test_no_pdf_for_bad_filters(tenant_a, client_for):
    from sam.models import Document

    client = client_for(tenant_a.users[Role.EXECUTIVE])
    response = client.post(url("dashboard_review_request") + "?start=2026-02-30")
    assert response.status_code == 400
    with tenant_a.ctx():
        assert not Document.objects.exists()


def test_anonymity_holds_when_filtered_down_to_one_account(tenant_a, world):
    from dashboard.selectors import Filters, portfolio_review
    from tests.dashboard.conftest import TODAY
    from voc.models import VocSettings

    with tenant_a.ctx():
        VocSettings.objects.update_or_create(defaults={"anonymous": True, "anonymity_threshold": 3})
        base = Filters.default(TODAY)
        review = portfolio_review(Filters(start=base.start, end=base.end, industry=""), tenant=tenant_a.tenant,
                                  today=TODAY)  # fmt: skip
    assert review["surveys"]["nps"].responses == 0  # two answers in all: under the threshold
    assert all(p["nps"] is None for p in review["surveys"]["trend"])
    assert all(row.hidden for row in review["rows"] if row.nps is not None)


def test_cached_figures_follow_every_change_and_say_when(tenant_a, world, client_for):
    from accounts import renewals
    from accounts.models import Contract, Outcome

    before = api_get(tenant_a, {"window": "24"}).json()
    assert before["as_of"] and before["retention"]["lost"] == 2
    with tenant_a.ctx():
        fir = Contract.objects.get(account=world["Fir"])
        renewals.contract_outcome_record(contract=fir, outcome=Outcome.RENEWED, acting_user=None)
    assert api_get(tenant_a, {"window": "24"}).json()["retention"]["lost"] == 1  # a saved change shows at once
    with tenant_a.ctx():
        from accounts.models import LossReason

        reason = LossReason.objects.first()
        Contract.objects.filter(pk=fir.pk).update(outcome="lost", lost_reason=reason)  # a bulk write: no signal...
    assert api_get(tenant_a, {"window": "24"}).json()["retention"]["lost"] == 1
    assert api_get(tenant_a, {"window": "24", "fresh": "1"}).json()["retention"]["lost"] == 2  # ...until recomputed
    page = client_for(tenant_a.users[Role.EXECUTIVE]).get(url("dashboard")).content.decode()
    assert "Figures as of" in page and "fresh=1" in page
