"""Renewal outcomes, exchange rates and revenue history: services, pages, CSV import and bad input."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import money_selectors, money_services, renewals, services
from accounts.models import AccountsSettings, ActionItem, Contract, ExchangeRate, ImportBatch, Outcome, RevenueEntry
from sam.models import OutboundEmail
from sam.roles import Role
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 2)


def deal(account, *, end, start=None, value="1000", currency="USD", title="Deal"):
    return services.contract_save(account=account, data={"title": title, "start": start or end - timedelta(days=700),
                                                         "end": end, "value": Decimal(value), "currency": currency,
                                                         "renewal_terms": ""})  # fmt: skip


def test_outcome_rules(tenant_a, account_a):
    owner = tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_a.ctx():
        running = deal(account_a, end=TODAY + timedelta(days=90))
        ended = deal(account_a, end=TODAY - timedelta(days=1), title="Old")
        price = money_services.loss_reasons()[0]
        with pytest.raises(ValidationError, match="only an early renewal"):
            renewals.contract_outcome_record(contract=running, outcome=Outcome.LOST, lost_reason=price,
                                             acting_user=owner, today=TODAY)  # fmt: skip
        early = renewals.contract_outcome_record(contract=running, outcome=Outcome.RENEWED, acting_user=owner,
                                                 today=TODAY)  # fmt: skip
        assert early.outcome == "renewed" and early.outcome_recorded_by == owner
        with pytest.raises(ValidationError, match="Say why"):
            renewals.contract_outcome_record(contract=ended, outcome=Outcome.LOST, acting_user=owner, today=TODAY)
        with pytest.raises(ValidationError, match="increase"):
            renewals.contract_outcome_record(contract=ended, outcome=Outcome.EXPANDED, acting_user=owner, today=TODAY)
        with pytest.raises(ValidationError, match="negative"):
            renewals.contract_outcome_record(contract=ended, outcome=Outcome.CONTRACTED,
                                             value_change=Decimal(5), acting_user=owner, today=TODAY)  # fmt: skip
        with pytest.raises(ValidationError, match="another contract"):
            renewals.contract_outcome_record(contract=ended, outcome=Outcome.RENEWED, renewed_as=ended,
                                             acting_user=owner, today=TODAY)  # fmt: skip
        assert Contract.objects.get(pk=ended.pk).outcome == "open"  # nothing changed
        new = deal(account_a, start=TODAY, end=TODAY + timedelta(days=700), value="1500", title="New")
        done = renewals.contract_outcome_record(contract=ended, outcome=Outcome.EXPANDED, renewed_as=new,
                                                acting_user=owner, today=TODAY)  # fmt: skip
        assert done.value_change == Decimal(500)  # worked out from the new contract
        lost = renewals.contract_outcome_record(contract=ended, outcome=Outcome.LOST, lost_reason=price,
                                                competitor="  Rival   Co ", acting_user=owner, today=TODAY)  # fmt: skip
        assert (lost.renewed_as, lost.value_change, lost.competitor) == (None, None, "Rival Co")


def test_the_owner_is_asked_for_the_outcome_once(tenant_a, account_a):
    with tenant_a.ctx():
        ended = deal(account_a, end=TODAY - timedelta(days=3))
        deal(account_a, end=TODAY + timedelta(days=3), title="Running")
        assert renewals.outcome_prompts_send(TODAY) == 1
        assert renewals.outcome_prompts_send(TODAY) == 0
        assert renewals.outcome_prompts_send(TODAY + timedelta(days=40)) == 1  # the running one ended since
        items = ActionItem.objects.filter(source_kind="renewal").order_by("pk")
        assert items.count() == 2 and items[0].owner == tenant_a.users[Role.ACCOUNT_MANAGER]
        assert OutboundEmail.objects.filter(idempotency_key__startswith="contract-outcome:").count() == 2
        renewals.contract_outcome_record(contract=ended, outcome=Outcome.RENEWED, acting_user=None, today=TODAY)
        assert ActionItem.objects.get(pk=items[0].pk).status == "done"


def test_rates_are_positive_and_dated_and_used_by_date(tenant_a):
    with tenant_a.ctx():
        for bad in ("0", "-1", "abc", "NaN", "1e30"):
            with pytest.raises(ValidationError):
                money_services.exchange_rate_save(currency="EUR", valid_from=TODAY, rate=bad)
        with pytest.raises(ValidationError):
            money_services.exchange_rate_save(currency="EUR", valid_from=None, rate="1.1")
        with pytest.raises(ValidationError, match="base currency"):
            money_services.exchange_rate_save(currency="usd", valid_from=TODAY, rate="1.1")
        money_services.exchange_rate_save(currency="eur", valid_from=date(2026, 1, 1), rate="1.10")
        money_services.exchange_rate_save(currency="EUR", valid_from=date(2026, 6, 1), rate="1.20")
        assert ExchangeRate.objects.count() == 2
        converter = money_selectors.Converter.load()
        assert converter.convert(Decimal(100), "EUR", date(2026, 5, 31)) == Decimal("110.00")
        assert converter.convert(Decimal(100), "EUR", date(2026, 6, 1)) == Decimal("120.00")
        assert converter.convert(Decimal(100), "EUR", date(2025, 12, 31), what="x") is None
        assert converter.convert(Decimal(100), "USD", date(2025, 12, 31)) == Decimal(100)
        assert [m["what"] for m in converter.missing_rows()] == ["x"]


def test_revenue_is_unique_per_account_period_and_source(tenant_a, account_a):
    with tenant_a.ctx():
        software = money_services.revenue_sources()[1]
        money_services.revenue_entry_save(
            account=account_a, year=2025, quarter=0, source=software, amount="10", currency="USD"
        )
        with pytest.raises(ValidationError, match="already has revenue"):
            money_services.revenue_entry_save(account=account_a, year=2025, quarter=0, source=software, amount="5",
                                     currency="USD")  # fmt: skip
        with pytest.raises(ValidationError, match="whole year"):
            money_services.revenue_entry_save(account=account_a, year=2025, quarter=2, source=software, amount="5",
                                     currency="USD")  # fmt: skip
        for year, quarter, amount in ((1800, 0, "1"), (2025, 5, "1"), (2025, 0, "-1"), ("x", 0, "1")):
            with pytest.raises(ValidationError):
                money_services.revenue_entry_save(account=account_a, year=year, quarter=quarter, source=software,
                                         amount=amount, currency="USD")  # fmt: skip
        assert RevenueEntry.objects.count() == 1


def test_csv_import_reports_lines_and_imports_nothing(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    raw = ("account,year,quarter,source,amount,currency\n"
           f"{account_a.name},2025,,Software,100,USD\n"
           f"{account_a.name},2025,,Crypto,100,USD\n"
           f"{account_a.name},2025,1,Software,100,XYZ\n").encode()  # fmt: skip
    response = client.post(reverse("import_upload", args=["alpha", "revenue"]),
                           {"file": SimpleUploadedFile("r.csv", raw)})  # fmt: skip
    assert response.status_code == 302
    with tenant_a.ctx():
        batch = ImportBatch.objects.get()
        assert [number for number, _ in batch.errors] == [3, 4]
        assert "Crypto" in batch.errors[0][1][0] and "XYZ" in batch.errors[1][1][0]
        assert not RevenueEntry.objects.exists()
    good = f"account,year,source,amount\n{account_a.name},2025,Software,100\n{account_a.name},2024,Hardware,5\n"
    client.post(
        reverse("import_upload", args=["alpha", "revenue"]), {"file": SimpleUploadedFile("g.csv", good.encode())}
    )
    with tenant_a.ctx():
        batch = ImportBatch.objects.latest("pk")
        assert batch.errors == []
    assert client.post(reverse("import_preview", args=["alpha", batch.pk])).status_code == 302
    with tenant_a.ctx():
        assert RevenueEntry.objects.count() == 2


def test_rates_by_csv_are_for_admins(tenant_a, client_for):
    raw = b"currency,valid_from,rate\nEUR,2026-01-01,1.1\nEUR,2026-01-01,1.2\nGBP,2026-02-30,1.3\nJPY,2026-01-01,0\n"
    upload = reverse("import_upload", args=["alpha", "rates"])
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(upload).status_code == 403
    admin = client_for(tenant_a.users[Role.ADMIN])
    admin.post(upload, {"file": SimpleUploadedFile("r.csv", raw)})
    with tenant_a.ctx():
        assert [n for n, _ in ImportBatch.objects.get().errors] == [3, 4, 5]
        assert not ExchangeRate.objects.exists()


def test_outcome_page_permissions_and_bad_input(tenant_a, tenant_b, account_a, client_for):
    with tenant_a.ctx():
        ended = deal(account_a, end=TODAY - timedelta(days=3))
    page = reverse("contract_outcome", args=["alpha", account_a.pk, ended.pk])
    assert client_for(tenant_a.users[Role.MEMBER]).get(page).status_code == 403
    assert client_for(tenant_b.users[Role.ADMIN]).get(page).status_code == 404
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert am.get(page).status_code == 200
    for data in ({"outcome": "lost"}, {"outcome": "nonsense"}, {"outcome": "expanded", "value_change": "1e40"},
                 {"outcome": "lost", "lost_reason": "999999999", "competitor": "x" * 500}):  # fmt: skip
        response = am.post(page, data)
        assert response.status_code == 400, data
        assert b"Please correct" in response.content
    with tenant_a.ctx():
        assert Contract.objects.get(pk=ended.pk).outcome == "open"
        reason = money_services.loss_reasons()[0]
    assert am.post(page, {"outcome": "lost", "lost_reason": reason.pk, "competitor": "Rival"}).status_code == 302
    with tenant_a.ctx():
        assert Contract.objects.get(pk=ended.pk).lost_reason == reason


def test_portfolio_settings_are_for_admins(tenant_a, client_for):
    page = reverse("portfolio_settings", args=["alpha"])
    for role in (Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.VIEWER):
        assert client_for(tenant_a.users[role]).get(page).status_code == 403
    admin = client_for(tenant_a.users[Role.ADMIN])
    assert admin.get(page).status_code == 200
    bad = admin.post(page, {"portfolio-base_currency": "EURO", "portfolio-retention_target": "120"})
    assert bad.status_code == 400
    ok = admin.post(page, {"portfolio-base_currency": "eur", "portfolio-retention_target": "90",
                           "portfolio-monthly_review_email": "on"})  # fmt: skip
    assert ok.status_code == 302
    with tenant_a.ctx():
        rules = AccountsSettings.current()
        assert (rules.base_currency, rules.retention_target) == ("EUR", Decimal(90))
    assert admin.post(reverse("exchange_rate_add", args=["alpha"]), {"currency": "USD", "valid_from": "2026-01-01",
                                                                   "rate": "-2"}).status_code == 400  # fmt: skip
    assert admin.post(reverse("exchange_rate_add", args=["alpha"]), {"currency": "USD", "valid_from": "2026-01-01",
                                                                   "rate": "0.92"}).status_code == 302  # fmt: skip
    assert admin.post(reverse("portfolio_list_add", args=["alpha", "reason"]), {"reason-name": ""}).status_code == 400
    assert admin.post(reverse("portfolio_list_add", args=["alpha", "source"]),
                      {"source-name": "Subscriptions"}).status_code == 302  # fmt: skip
    with tenant_a.ctx():
        assert "Subscriptions" in [s.name for s in money_services.revenue_sources()]


def test_revenue_tab(tenant_a, account_a, client_for):
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        source = money_services.revenue_sources()[0]
    add = reverse("revenue_add", args=["alpha", account_a.pk])
    assert am.post(add, {"year": "2025", "quarter": "0", "source": source.pk, "amount": "250000",
                         "currency": "USD"}).status_code == 302  # fmt: skip
    assert am.post(add, {"year": "2025", "quarter": "0", "source": source.pk, "amount": "1",
                         "currency": "USD"}).status_code == 400  # fmt: skip
    page = am.get(reverse("account_detail", args=["alpha", account_a.pk]) + "?tab=revenue")
    assert page.status_code == 200 and b"250,000" in page.content
    assert client_for(tenant_a.users[Role.VIEWER]).post(add, {"year": "2024"}).status_code == 403


def api_client(world, role):
    from django.test import Client

    from sam.services import token_create

    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_revenue_rates_and_outcomes_by_api(tenant_a, tenant_b, account_a):
    am, viewer = api_client(tenant_a, Role.ACCOUNT_MANAGER), api_client(tenant_a, Role.VIEWER)
    with tenant_a.ctx():
        source = money_services.revenue_sources()[0]
        ended = deal(account_a, end=date.today() - timedelta(days=2))
        running = deal(account_a, end=date.today() + timedelta(days=60), title="Running")
        reason = money_services.loss_reasons()[0]
    body = {"account": account_a.pk, "year": 2025, "source": source.pk, "amount": "1200.50", "currency": "usd"}
    created = am.post("/api/v1/revenue/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["currency"] == "USD" and created.json()["quarter"] == 0
    assert am.post("/api/v1/revenue/", body, content_type="application/json").status_code == 400
    assert am.post("/api/v1/revenue/", {**body, "year": 2024, "source": 999999}, content_type="application/json"
                   ).status_code == 400  # fmt: skip
    assert viewer.post("/api/v1/revenue/", {**body, "year": 2023}, content_type="application/json").status_code == 403
    assert am.get("/api/v1/revenue/", {"account": account_a.pk}).json()["count"] == 1
    other = api_client(tenant_b, Role.ADMIN)
    assert other.get(f"/api/v1/revenue/{created.json()['id']}/").status_code == 404

    admin = api_client(tenant_a, Role.ADMIN)
    rate = {"currency": "EUR", "valid_from": "2026-01-01", "rate": "1.08"}
    assert am.post("/api/v1/exchange-rates/", rate, content_type="application/json").status_code == 403
    assert admin.post("/api/v1/exchange-rates/", {**rate, "rate": "0"}, content_type="application/json"
                      ).status_code == 400  # fmt: skip
    assert admin.post("/api/v1/exchange-rates/", rate, content_type="application/json").status_code == 201
    assert viewer.get("/api/v1/exchange-rates/").json()["count"] == 1

    early_loss = am.post(f"/api/v1/contracts/{running.pk}/outcome/", {"outcome": "lost", "lost_reason": reason.pk},
                         content_type="application/json")  # fmt: skip
    assert early_loss.status_code == 400 and "early renewal" in early_loss.content.decode()
    member = api_client(tenant_a, Role.MEMBER)
    assert member.post(f"/api/v1/contracts/{ended.pk}/outcome/", {"outcome": "renewed"},
                       content_type="application/json").status_code == 403  # fmt: skip
    assert other.post(f"/api/v1/contracts/{ended.pk}/outcome/", {"outcome": "renewed"},
                      content_type="application/json").status_code == 404  # fmt: skip
    lost = am.post(
        f"/api/v1/contracts/{ended.pk}/outcome/",
        {"outcome": "lost", "lost_reason": reason.pk, "competitor": "Rival"},
        content_type="application/json",
    )
    assert lost.status_code == 200 and lost.json()["outcome"] == "lost" and lost.json()["competitor"] == "Rival"
    assert am.get(f"/api/v1/contracts/{ended.pk}/").json()["lost_reason"] == reason.pk


def test_switching_the_base_currency_never_applies_old_rates(tenant_a):
    with tenant_a.ctx():
        money_services.exchange_rate_save(currency="GBP", valid_from=date(2026, 1, 1), rate="1.27")
        AccountsSettings.objects.update(base_currency="EUR")
        converter = money_selectors.Converter.load()
        assert converter.base == "EUR"
        assert converter.convert(Decimal(100), "GBP", date(2026, 6, 1), what="x") is None  # shown apart
        money_services.exchange_rate_save(currency="GBP", valid_from=date(2026, 1, 1), rate="1.17")
        assert money_selectors.Converter.load().convert(Decimal(100), "GBP", date(2026, 6, 1)) == Decimal("117.00")
        AccountsSettings.objects.update(base_currency="USD")
        assert money_selectors.Converter.load().convert(Decimal(100), "GBP", date(2026, 6, 1)) == Decimal("127.00")


def test_csv_revenue_follows_the_edit_rule_and_refuses_repeats_and_nul(tenant_a, client_for):
    mine = make_account(tenant_a, "Mine")
    theirs = make_account(tenant_a, "Theirs", owner_role=Role.ADMIN)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    upload = reverse("import_upload", args=["alpha", "revenue"])
    raw = (f"account,year,source,amount\n{mine.name},2025,Software,1\n{theirs.name},2025,Software,1\n"
           f"{mine.name},2025,software,2\n").encode()  # fmt: skip
    client.post(upload, {"file": SimpleUploadedFile("r.csv", raw)})
    with tenant_a.ctx():
        errors = dict(ImportBatch.objects.get().errors)
    assert sorted(errors) == [3, 4]
    assert "may not change the revenue of Theirs" in errors[3][0] and "line 2" in errors[4][0]
    response = client.post(upload, {"file": SimpleUploadedFile("n.csv", b"account,year\x00,source,amount\n")})
    assert response.status_code == 400 and b"NUL" in response.content


def test_old_history_is_not_chased_and_an_early_renewal_keeps_its_day(tenant_a, account_a):
    with tenant_a.ctx():
        deal(account_a, end=TODAY - timedelta(days=400), title="Long ago")
        assert renewals.outcome_prompts_send(TODAY) == 0
        running = deal(account_a, end=TODAY + timedelta(days=60), title="Running")
        first = renewals.contract_outcome_record(contract=running, outcome=Outcome.RENEWED, acting_user=None,
                                                 today=TODAY)  # fmt: skip
        again = renewals.contract_outcome_record(contract=running, outcome=Outcome.EXPANDED,
                                                 value_change=Decimal(10), acting_user=None, today=TODAY)  # fmt: skip
        assert again.outcome_recorded_at == first.outcome_recorded_at
