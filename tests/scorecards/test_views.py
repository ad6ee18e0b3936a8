"""Scorecard pages: the grid with inline editing, the explanation, and the heatmap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from sam.periods import quarter_of
from sam.roles import Role
from scorecards import cache as heatmap_cache
from scorecards import selectors, services
from scorecards.models import MetricValue, Period, Scorecard
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def card_and_metric(world, account, key="growth"):
    with world.ctx():
        card = services.scorecard_for(account=account, period=services.period_for(timezone.localdate()))
        return card, card.version.metrics.get(key=key)


def test_team_member_fills_a_value_inline(tenant_a, account_a, client_for):
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        account_services.team_assign(account=account_a, user_id=member.pk, role="customer_service_manager")
    card, growth = card_and_metric(tenant_a, account_a)
    client = client_for(member)
    page = client.get(url("account_scorecard", account_a.pk))
    assert page.status_code == 200 and b"Revenue growth" in page.content
    response = client.post(url("scorecard_value", card.pk, growth.pk), {"value": "7", "comment": "Q4 estimate"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200 and response.content.lstrip().startswith(b'<div id="card"')
    with tenant_a.ctx():
        assert MetricValue.objects.get(metric=growth).value == 7
        assert Scorecard.objects.get(pk=card.pk).health is not None
    bad = client.post(url("scorecard_value", card.pk, growth.pk), {"value": "seven"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and b"Enter a number (%)." in bad.content and b'aria-invalid="true"' in bad.content
    long = client.post(url("scorecard_value", card.pk, growth.pk), {"value": "8", "comment": "x" * 2001})
    assert long.status_code == 400 and b"at most 2000 characters" in long.content
    with tenant_a.ctx():
        assert MetricValue.objects.get(metric=growth).value == 7


def test_readers_and_outsiders_cannot_write(tenant_a, account_a, client_for):
    card, growth = card_and_metric(tenant_a, account_a)
    for role in (Role.VIEWER, Role.EXECUTIVE, Role.MEMBER):  # the member is not on this team
        response = client_for(tenant_a.users[role]).post(url("scorecard_value", card.pk, growth.pk), {"value": "1"})
        assert response.status_code == 403
    with tenant_a.ctx():
        assert not MetricValue.objects.filter(metric=growth).exists()


def test_closed_period_only_admins_edit(tenant_a, account_a, client_for):
    card, growth = card_and_metric(tenant_a, account_a)
    with tenant_a.ctx():
        Period.objects.filter(pk=card.period_id).update(closed=True)
    owner = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert owner.post(url("scorecard_value", card.pk, growth.pk), {"value": "1"}).status_code == 403
    assert (
        client_for(tenant_a.admin).post(url("scorecard_value", card.pk, growth.pk), {"value": "1"}).status_code == 200
    )


@pytest.mark.usefixtures("survey_metrics_by_hand")
def test_explanation_names_the_metrics_that_moved(tenant_a, account_a, client_for):
    today = timezone.localdate()
    with tenant_a.ctx():
        before = services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=92)))
        now = services.scorecard_for(account=account_a, period=services.period_for(today))
        nps = now.version.metrics.get(key="nps")
        services.value_set(scorecard=before, metric=nps, value=40, acting_user=None)
        services.value_set(scorecard=now, metric=nps, value=-20, acting_user=None)
    body = client_for(tenant_a.admin).get(url("account_scorecard", account_a.pk)).content.decode()
    assert "Why it moved" in body and "Net Promoter Score" in body and "▼" in body


def test_heatmap_colour_and_text_sorted_and_constant_queries(tenant_a, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(tenant_a.admin)
    today = timezone.localdate()

    def scored(name, value):
        account = make_account(tenant_a, name)
        card, growth = card_and_metric(tenant_a, account)
        with tenant_a.ctx():
            services.value_set(scorecard=card, metric=growth, value=value, acting_user=None)

    scored("Healthy", 10)
    scored("Sick", -5)
    client.get(url("heatmap"))
    scored("Fresh", 5)  # changes the data: the next page is rendered afresh, not from the cache
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        body = client.get(url("heatmap")).content.decode()
    assert body.index("Healthy") < body.index("Sick")
    assert "cell-red" in body and "red</span>" in body  # colour and its band in words
    for n in range(30):
        scored(f"Account {n}", n)
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        assert client.get(url("heatmap"), {"sort": "financial", "period": quarter_of(today)[0]}).status_code == 200


def test_api_scorecards_and_values(tenant_a, tenant_b, account_a):
    from django.test import Client

    from sam.services import token_create

    card, growth = card_and_metric(tenant_a, account_a)
    with tenant_a.ctx():
        _, token = token_create(membership=tenant_a.memberships[Role.ACCOUNT_MANAGER], name="t", expires_in_days=None)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/v1/metric-values/", {"scorecard": card.pk, "metric": growth.pk, "value": "5"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    cards = client.get(f"/api/v1/scorecards/?account={account_a.pk}").json()["results"]
    assert cards[0]["health"] is not None and "financial" in cards[0]["area_scores"]
    bad = client.post("/api/v1/metric-values/", {"scorecard": card.pk, "metric": growth.pk, "value": "many"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "value" in bad.json()
    templates = client.get("/api/v1/scorecard-templates/").json()["results"]
    assert len(templates[0]["versions"][0]["metrics"]) == len(services.DEFAULT_METRICS)
    b_card, b_metric = card_and_metric(tenant_b, make_account(tenant_b, "Bravo Corp"))
    other = client.post("/api/v1/metric-values/", {"scorecard": b_card.pk, "metric": b_metric.pk, "value": "1"},
                        content_type="application/json")  # fmt: skip
    assert other.status_code == 400 and "does not exist" in str(other.json())
    with tenant_a.ctx():
        incidents = card.version.metrics.get(key="incidents")
    computed = client.post("/api/v1/metric-values/", {"scorecard": card.pk, "metric": incidents.pk, "value": "1"},
                           content_type="application/json")  # fmt: skip
    assert computed.status_code == 400 and "computed" in str(computed.json())
    metrics = client.get("/api/v1/scorecard-templates/").json()["results"][0]["versions"][0]["metrics"]
    assert next(m for m in metrics if m["key"] == "nps")["min_value"] == "-100.00"
    with tenant_a.ctx():
        account_services.account_delete(account=account_a, acting_user=None, reason="lost")
    gone = client.post("/api/v1/metric-values/", {"scorecard": card.pk, "metric": growth.pk, "value": "7"},
                       content_type="application/json")  # fmt: skip
    assert gone.status_code == 400 and "deleted" in str(gone.json())
    assert client.get("/api/v1/metric-values/").json()["results"] == []


def test_api_starts_a_scorecard_for_a_period(tenant_a, tenant_b, account_a):
    from django.test import Client

    from sam.services import token_create

    with tenant_a.ctx():
        _, token = token_create(membership=tenant_a.memberships[Role.ACCOUNT_MANAGER], name="t", expires_in_days=None)
        _, viewer = token_create(membership=tenant_a.memberships[Role.VIEWER], name="v", expires_in_days=None)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def start(body, who=client):
        return who.post("/api/v1/scorecards/", body, content_type="application/json")

    made = start({"account": account_a.pk, "period": "2025-Q2"})
    assert made.status_code == 201 and made.json()["period"] == "2025-Q2" and made.json()["health"] is None
    again = start({"account": account_a.pk, "period": "2025-q2"})
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    assert start({"account": account_a.pk, "period": "someday"}).status_code == 400
    assert start({"account": account_a.pk, "period": "2099-Q1"}).status_code == 400
    assert start({"account": "x", "period": "2025-Q2"}).status_code == 400
    assert start({"period": "2025-Q2"}).status_code == 400
    bravo = make_account(tenant_b, "Bravo Corp")
    assert start({"account": bravo.pk, "period": "2025-Q2"}).status_code == 400
    assert (
        start({"account": account_a.pk, "period": "2025-Q3"}, Client(HTTP_AUTHORIZATION=f"Token {viewer}")).status_code
        == 403
    )
    with tenant_a.ctx():
        assert Scorecard.objects.filter(account=account_a).count() == 1


def test_scorecard_page_queries_do_not_grow_with_metrics(
    tenant_a, account_a, client_for, django_assert_max_num_queries
):
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scorecards.models import MetricDefinition

    card, growth = card_and_metric(tenant_a, account_a)
    with tenant_a.ctx():  # an earlier scorecard, so the explanation and trends have work to do
        before = services.scorecard_for(
            account=account_a, period=services.period_for(timezone.localdate() - timedelta(days=92))
        )
        services.value_set(scorecard=before, metric=growth, value=3, acting_user=None)
        services.value_set(scorecard=card, metric=growth, value=6, acting_user=None)
    client = client_for(tenant_a.admin)
    path = url("account_scorecard", account_a.pk)
    client.get(path)
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    with tenant_a.ctx():
        for n in range(30):  # 41 metrics in all, a third of the new ones computed
            source = ("manual", "manual", ("incidents", "actions_on_time", "recurring_open")[n % 3])[n % 3]
            metric = MetricDefinition.objects.create(
                version=card.version, key=f"extra{n}", area=("financial", "involvement")[n % 2], name=f"Extra {n}",
                target=Decimal(10), amber=Decimal(5), red=Decimal(0), source=source,
            )  # fmt: skip
            for target in (before, card):
                if source == "manual":
                    services.value_set(scorecard=target, metric=metric, value=n % 11, acting_user=None)
    client.get(path)  # the new computed metrics get their first values
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        response = client.get(path)
    assert b"Extra 29" in response.content


def test_heatmap_with_100_accounts_and_8_periods(tenant_a, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Tier

    client = client_for(tenant_a.admin)
    today = timezone.localdate()
    with tenant_a.ctx():
        periods = [services.period_for(today - timedelta(days=91 * n)) for n in range(8)]
        tier = Tier.objects.get(name="Key")

    def add(count, start):
        with tenant_a.ctx():
            for n in range(start, start + count):
                account, _ = account_services.account_create(data={"name": f"A{n:03}", "tier": tier}, acting_user=None)
                version = selectors.current_version(services.template_defaults_ensure())
                for period in periods:
                    scores = {"health": n % 100, "area_scores": {"financial": n % 100}}
                    Scorecard.objects.create(account=account, period=period, version=version, **scores)

    add(5, 0)
    client.get(url("heatmap"))
    heatmap_cache.bump(tenant_a.tenant.pk)  # measure a fresh render, not the cached one
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        client.get(url("heatmap"))
    add(95, 5)
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        body = client.get(url("heatmap")).content.decode()
    assert body.count("cell-") >= 100 * 6


def test_heatmap_sorts_both_ways_by_any_column(tenant_a, client_for):
    today = timezone.localdate()
    with tenant_a.ctx():
        period = services.period_for(today)
    for name, health in (("Bravo", 80), ("Alpha", 40), ("Charlie", 60)):
        account = make_account(tenant_a, name)
        with tenant_a.ctx():
            card = services.scorecard_for(account=account, period=period)
            Scorecard.objects.filter(pk=card.pk).update(health=health, area_scores={"execution": 100 - health})
    client = client_for(tenant_a.admin)

    def order(sort):
        body = client.get(url("heatmap"), {"sort": sort}).content.decode()
        return sorted(("Alpha", "Bravo", "Charlie"), key=lambda n: body.index(f">{n}<")), body

    assert order("health")[0] == ["Bravo", "Charlie", "Alpha"]
    assert order("-health")[0] == ["Alpha", "Charlie", "Bravo"]
    assert order("name")[0] == ["Alpha", "Bravo", "Charlie"]
    assert order("-name")[0] == ["Charlie", "Bravo", "Alpha"]
    names, body = order("execution")
    assert names == ["Alpha", "Charlie", "Bravo"]
    assert 'aria-sort="descending"' in body and "sort=-execution" in body  # the link turns it round


def test_heatmap_cache_follows_the_data_and_stays_in_its_tenant(tenant_a, tenant_b, client_for):
    client = client_for(tenant_a.admin)
    account = make_account(tenant_a, "Cached Co")
    first = client.get(url("heatmap")).content.decode()
    assert "Cached Co" in first and "Cached Co" in client.get(url("heatmap")).content.decode()
    card, growth = card_and_metric(tenant_a, account)
    with tenant_a.ctx():
        services.value_set(scorecard=card, metric=growth, value="10", acting_user=None)
    assert "<strong>100</strong> green" in client.get(url("heatmap")).content.decode()
    with tenant_a.ctx():
        account_services.account_update(account=account, data={"name": "Renamed Co"}, acting_user=None)
    assert "Renamed Co" in client.get(url("heatmap")).content.decode()
    other = client_for(tenant_b.admin).get(reverse("heatmap", args=["bravo"])).content.decode()
    assert "Renamed Co" not in other and "Cached Co" not in other


@pytest.mark.usefixtures("survey_metrics_by_hand")
def test_explanation_on_the_page_adds_up_like_for_like(tenant_a, account_a):
    today = timezone.localdate()
    with tenant_a.ctx():
        before = services.scorecard_for(account=account_a, period=services.period_for(today - timedelta(days=92)))
        now = services.scorecard_for(account=account_a, period=services.period_for(today))
        metrics = {m.key: m for m in now.version.metrics.all()}
        for key, value in {"growth": "2", "nps": "30", "satisfaction": "4.6", "events": "1", "reference": "2",
                           "suppliers": "2", "share_of_wallet": "45"}.items():  # fmt: skip
            services.value_set(scorecard=before, metric=metrics[key], value=value, acting_user=None)
        for key, value in {"growth": "6", "nps": "10", "satisfaction": "4.0", "events": "3", "reference": "4",
                           "suppliers": "3", "share_of_wallet": "40"}.items():  # fmt: skip
            services.value_set(scorecard=now, metric=metrics[key], value=value, acting_user=None)
        explanation = selectors.scorecard_view(now)["explanation"]
    effects = {row["name"]: row for row in explanation["effects"]}
    assert len(explanation["effects"]) == 6 and explanation["others"] != 0 and explanation["others_count"] == 1
    assert effects["Revenue growth"]["effect"] > 0 and effects["Revenue growth"]["from"] == 2.0
    assert effects["Net Promoter Score"]["effect"] < 0
    total = sum(r["effect"] for r in explanation["effects"]) + explanation["others"] + explanation["coverage"]
    assert round(total, 1) == explanation["change"]
