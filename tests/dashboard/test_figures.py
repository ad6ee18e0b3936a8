"""Every tile's figure against a count made by hand for the small portfolio of conftest.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dashboard.selectors import Filters, portfolio_review
from tests.dashboard.conftest import TODAY

pytestmark = pytest.mark.django_db


def review_of(tenant_a, **filters):
    with tenant_a.ctx():
        base = Filters.default(TODAY)
        f = Filters(**{"start": base.start, "end": base.end, **filters})
        return portfolio_review(f, tenant=tenant_a.tenant, today=TODAY)


def test_retention_counts_targeted_accounts_whose_contracts_came_up(tenant_a, world):
    r = review_of(tenant_a)["retention"]
    # Came up in the last 12 months: Alder (expanded), Birch (contracted), Cedar (lost), Dogwood (renewed early).
    # Not: Fir (400 days ago), Elm (Key tier, not targeted), Alder's new contract (still running).
    assert (r["retained"], r["came_up"], r["lost_count"]) == (3, 4, 1)
    assert r["rate"] == 75.0 and r["target"] == 95.0 and r["met"] is False
    assert r["early"] == 1
    assert [(c.account.name, c.lost_reason.name, c.competitor) for c in r["lost"]] == [("Cedar", "Price", "Rival")]
    # Contract values in USD: Birch's EUR 500,000 at 1.10 (the rate in force at its end, not the later 1.20).
    assert r["base"] == Decimal("2250000.00")
    assert (r["lost_value"], r["contraction"], r["expansion"]) == (Decimal(300000), Decimal(55000), Decimal(200000))
    assert r["grr"] == 84.2  # (2,250,000 - 300,000 - 55,000) / 2,250,000
    assert r["nrr"] == 93.1  # (2,250,000 - 300,000 - 55,000 + 200,000) / 2,250,000


def test_a_wider_window_takes_in_the_older_loss(tenant_a, world):
    r = review_of(tenant_a, start=TODAY - timedelta(days=730))["retention"]
    assert (r["retained"], r["came_up"], r["lost_count"]) == (3, 5, 2)
    assert r["rate"] == 60.0


def test_the_key_tier_alone_is_targeted_when_chosen(tenant_a, world):
    with tenant_a.ctx():
        from accounts.models import Tier

        key = Tier.objects.get(name="Key").pk
    r = review_of(tenant_a, tier_id=key)["retention"]
    assert (r["retained"], r["came_up"], r["rate"]) == (0, 1, 0.0)


def test_health_now_and_over_periods(tenant_a, world):
    h = review_of(tenant_a)["health"]
    assert h["now"] == {"green": 1, "amber": 1, "red": 1, "none": 3}
    assert h["trend"] == [
        {"label": "2026-Q3", "green": 2, "amber": 1, "red": 0, "scored": 3},
        {"label": "2026-Q4", "green": 1, "amber": 1, "red": 1, "scored": 3},
    ]


def test_at_risk_ranked_with_reasons_in_words(tenant_a, world):
    review = review_of(tenant_a)
    assert [row.account.name for row in review["at_risk"]] == ["Birch"]
    birch = review["at_risk"][0].reason_texts
    assert birch[:2] == ["Health is red (40)", "1 detractor in 1 survey answer"]  # weight 3 each, in their order
    assert "Health is falling: 78 to 40" in birch
    assert any(text.startswith("Loyalty segment: high risk") for text in birch)
    # Alder's missed QBR, unreviewed plan and incomplete team add up to 4: on the watch list, not at risk.
    watch = {row.account.name: row.reason_texts for row in review["watch"]}
    assert watch["Alder"][0].startswith("QBR overdue")
    assert "Account plan never reviewed" in watch["Alder"]
    assert (
        "Team incomplete: no Executive Partner, Sales Engineer, Professional Services, Customer Service Manager, "
        "Technical Lead" in watch["Alder"]
    )  # the owner holds the account manager's role
    assert set(watch) == {"Alder", "Cedar", "Dogwood", "Fir", "Elm"}


def test_one_detractor_among_many_is_a_mild_sign(tenant_a, world):
    from tests.dashboard.conftest import answer

    with tenant_a.ctx():
        for n in range(5):
            answer(world["Birch"], nps=9, attitude="5", intent="5", when=TODAY - timedelta(days=9), name=f"P{n}")
    birch = next(r for r in review_of(tenant_a)["rows"] if r.account.name == "Birch")
    assert (1, "1 detractor in 6 survey answers") in birch.reasons


def test_a_lost_inactive_account_leaves_the_watched_portfolio_not_retention(tenant_a, world):
    with tenant_a.ctx():
        from accounts.models import Account

        Account.objects.filter(name="Cedar").update(status="inactive")
    review = review_of(tenant_a)
    assert "Cedar" not in [row.account.name for row in review["rows"]]
    assert review["retention"]["lost_count"] == 1 and review["retention"]["came_up"] == 4


def test_surveys_nps_shares_and_segments(tenant_a, world):
    s = review_of(tenant_a)["surveys"]
    assert (s["nps"].responses, s["nps"].promoters, s["nps"].passives, s["nps"].detractors) == (2, 1, 0, 1)
    assert s["nps"].score == 0.0 and s["nps"].promoter_share == 50.0 and s["nps"].detractor_share == 50.0
    assert {seg["key"]: seg["accounts"] for seg in s["segments"]} == {
        "truly_loyal": 1, "accessible": 0, "trapped": 0, "high_risk": 1,
    }  # fmt: skip
    q4 = s["trend"][-1]
    assert (q4["label"], q4["nps"], q4["answers"], q4["truly_loyal"], q4["high_risk"]) == ("2026-Q4", 0.0, 2, 1, 1)


def test_quality_next_to_satisfaction_per_account(tenant_a, world):
    rows = {row.account.name: row for row in review_of(tenant_a)["rows"]}
    assert (rows["Alder"].incidents, rows["Alder"].severe_incidents, rows["Alder"].satisfaction) == (3, 1, 5.0)
    assert (rows["Birch"].incidents, rows["Birch"].severe_incidents, rows["Birch"].satisfaction) == (1, 1, 2.0)
    assert (rows["Cedar"].incidents, rows["Cedar"].satisfaction) == (0, None)


def test_qbr_compliance_and_overdue_actions_by_owner(tenant_a, world):
    review = review_of(tenant_a)
    q = review["qbr"]
    assert (q["held"], q["due"], q["rate"], q["overdue"]) == (19, 20, 95, 1)
    assert [(e["owner"].email, e["accounts"], e["held"], e["due"], e["late"]) for e in q["owners"]] == [
        (tenant_a.users["account_manager"].email, 5, 19, 20, 1)
    ]
    a = review["actions"]
    assert a["total"] == 3
    assert {o["owner_id"]: o["overdue"] for o in a["owners"]} == {
        tenant_a.users["account_manager"].pk: 2, tenant_a.users["member"].pk: 1,
    }  # fmt: skip


def test_revenue_by_year_source_tier_account_in_one_currency(tenant_a, world):
    review = review_of(tenant_a)
    v = review["revenue"]
    assert v["years"] == [2025, 2026]
    assert v["totals"] == [Decimal("370000.00"), Decimal("120000")]  # Birch's EUR 200,000 at 1.10
    assert {row["name"]: row["cells"] for row in v["tables"]["source"]} == {
        "Software": [Decimal("320000.00"), Decimal("120000")], "Hardware": [Decimal("50000"), Decimal(0)],
    }  # fmt: skip
    assert {row["name"]: row["total"] for row in v["tables"]["account"]} == {
        "Alder": Decimal(270000), "Birch": Decimal("220000.00"),
    }  # fmt: skip
    assert [row["name"] for row in v["tables"]["tier"]] == ["Strategic"]
    assert v["growth"] == -67.6
    # The GBP amount has no rate: shown apart with what it is, never summed.
    assert [(m["what"], m["amount"], m["currency"]) for m in review["missing"]] == [
        ("Cedar 2025 Managed services", Decimal("10000.00"), "GBP")
    ]
    assert [(r["currency"], r["rate"]) for r in review["rates_used"]] == [("EUR", Decimal("1.10000000"))]


def test_filters_combine(tenant_a, world):
    with tenant_a.ctx():
        from accounts.models import Account, Tier

        Account.objects.filter(name__in=["Alder", "Cedar"]).update(industry="Energy")
        Account.objects.filter(name="Birch").update(owner=tenant_a.users["admin"])
        strategic = Tier.objects.get(name="Strategic").pk
    review = review_of(tenant_a, industry="energy", tier_id=strategic)
    assert [row.account.name for row in review["rows"]] == ["Alder", "Cedar"]
    assert (review["retention"]["came_up"], review["retention"]["lost_count"]) == (2, 1)
    review = review_of(tenant_a, owner_id=tenant_a.users["admin"].pk)
    assert [row.account.name for row in review["rows"]] == ["Birch"]
    assert review["surveys"]["nps"].score == -100.0
    review = review_of(tenant_a, owner_id=tenant_a.users["admin"].pk, industry="energy")
    assert review["rows"] == [] and review["retention"]["came_up"] == 0


def test_my_accounts_are_the_owned_ones_and_the_team_ones(tenant_a, world):
    member = tenant_a.users["member"]
    with tenant_a.ctx():
        from accounts import services

        services.team_assign(account=world["Cedar"], user_id=member.pk, role="technical_lead")
        services.team_assign(account=world["Cedar"], user_id=member.pk, role="sales_engineer")
    review = review_of(tenant_a, mine_user_id=member.pk)
    assert [row.account.name for row in review["rows"]] == ["Cedar"]
    assert review["retention"]["came_up"] == 1  # Cedar's contract once, though the member holds two roles


def test_counts_are_never_capped(tenant_a):
    from tests.accounts.conftest import make_account

    for n in range(105):
        make_account(tenant_a, f"Account {n:03}")
    assert review_of(tenant_a)["account_count"] == 105


def test_an_outcome_not_recorded_is_listed_and_left_out(tenant_a, world):
    from tests.dashboard.conftest import contract

    with tenant_a.ctx():
        contract(world["Alder"], start=TODAY - timedelta(days=400), end=TODAY - timedelta(days=10), value="5000",
                 title="Alder side deal")  # fmt: skip
    r = review_of(tenant_a)["retention"]
    assert (r["retained"], r["came_up"], r["rate"]) == (2, 3, 66.7)
    assert [c.title for c in r["undecided"]] == ["Alder side deal"]
