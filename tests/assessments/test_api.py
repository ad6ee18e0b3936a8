"""Assessments API: assessments, journey steps, findings, recommendations with payback and acceptance; 4 R's
rounds with their rollup and one's own results. Bad input and other tenants' ids refused."""

from __future__ import annotations

import pytest

from accounts.models import ActionItem
from assessments import fourrs, fourrs_services
from assessments.models import Assessment, Recommendation
from sam.roles import Role
from tests.assessments.conftest import contract_at
from tests.qbr.test_api import api, patch, post

pytestmark = pytest.mark.django_db


def test_an_assessment_through_the_api(tenant_a, tenant_b, account_a):
    contract = contract_at(tenant_a, account_a, progress=0.5)
    client = api(tenant_a)
    made = post(client, "/api/v1/assessments/", {"account": account_a.pk, "title": "Mid-contract"})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["contract"] == contract.pk and body["status"] == "draft" and body["midpoint"]["known"]
    assert [m["kind"] for m in body["team"]] == ["account_team"]
    assessment = body["id"]
    step = post(client, "/api/v1/journey-steps/", {"assessment": assessment, "name": "Incident", "rating": 2,
                                                   "moment_of_truth": True}).json()  # fmt: skip
    finding = post(client, "/api/v1/findings/", {"assessment": assessment, "kind": "W", "text": "Slow",
                                                 "steps": [step["id"]]})  # fmt: skip
    assert finding.status_code == 201 and finding.json()["steps"] == [step["id"]]
    rec = post(client, "/api/v1/recommendations/", {
        "assessment": assessment, "finding": finding.json()["id"], "title": "One route", "steps": "Owner\nChart",
        "start": "2030-01-01", "end": "2030-03-02", "cost_hours": "10", "cost_money": "1000", "priority": 1,
        "paybacks": [{"beneficiary": "customer", "category": "risk_mitigation", "amount": "6000"}],
    })  # fmt: skip
    assert rec.status_code == 201, rec.json()
    figures = rec.json()["figures"]
    assert figures["cost_total"] == "2000.00" and figures["payback"]["customer"]["payback_months"] == "4.0"
    assert figures["payback"]["customer"]["arithmetic"].endswith("→ payback 4.0 months")
    us = figures["payback"]["us"]
    assert [us[k] for k in ("yearly_benefit", "amounts_not_known", "payback_months", "verdict")] == [
        None,
        0,
        None,
        "not known",
    ]
    assert "our benefit not known (none recorded)" in us["arithmetic"]
    rec_id = rec.json()["id"]
    assert post(client, f"/api/v1/recommendations/{rec_id}/accept/", {}).status_code == 400  # a draft
    wrong = post(client, f"/api/v1/assessments/{assessment}/transition/", {"status": "action_plan"})
    assert wrong.status_code == 400 and "cannot become" in str(wrong.json())
    for status in ("in_review", "shared"):
        moved = post(client, f"/api/v1/assessments/{assessment}/transition/", {"status": status})
        assert moved.status_code == 200 and moved.json()["status"] == status
    assert patch(client, f"/api/v1/findings/{finding.json()['id']}/", {"text": "Late"}).status_code == 400
    accepted = post(client, f"/api/v1/recommendations/{rec_id}/accept/", {})
    assert accepted.status_code == 200 and [a["title"] for a in accepted.json()["actions"]] == [
        "One route: Owner",
        "One route: Chart",
    ]
    post(client, f"/api/v1/recommendations/{rec_id}/accept/", {})
    with tenant_a.ctx():
        assert ActionItem.objects.filter(source_kind="assessment").count() == 2
    assert post(client, f"/api/v1/assessments/{assessment}/transition/", {"status": "action_plan"}).status_code == 200
    listed = client.get(f"/api/v1/assessments/?account={account_a.pk}").json()["results"]
    assert listed[0]["totals"]["payback"]["customer"]["payback_months"] == "4.0"
    # Another tenant sees none of it, and cannot point at it.
    other = api(tenant_b)
    assert other.get(f"/api/v1/assessments/{assessment}/").status_code == 404
    assert other.get(f"/api/v1/recommendations/{rec_id}/").status_code == 404
    assert post(other, f"/api/v1/recommendations/{rec_id}/accept/", {}).status_code == 404
    assert post(other, "/api/v1/findings/", {"assessment": assessment, "kind": "S", "text": "x"}).status_code == 400


def test_bad_input_is_refused_and_changes_nothing(tenant_a, account_a):
    client = api(tenant_a)
    assessment = post(client, "/api/v1/assessments/", {"account": account_a.pk, "title": "Mid"}).json()["id"]
    good = {"assessment": assessment, "title": "Fix", "start": "2030-01-01", "end": "2030-02-01"}
    for bad in ({**good, "end": "2029-12-31"}, {**good, "cost_hours": "-1"}, {**good, "cost_money": "-5"},
                {**good, "cost_money": "abc"}, {**good, "title": "x" * 201}, {**good, "start": "soon"},
                {**good, "priority": 7}, {**good, "assessment": 999999},
                {**good, "paybacks": [{"beneficiary": "us", "category": "luck", "amount": "1"}]},
                {**good, "paybacks": [{"beneficiary": "us", "category": "efficiency", "amount": "-1"}]},
                {**good, "finding": 999999}):  # fmt: skip
        response = post(client, "/api/v1/recommendations/", bad)
        assert response.status_code == 400, (bad, response.json())
    for bad in ({"account": account_a.pk}, {"account": 999999, "title": "x"}, {"account": "x", "title": "x"},
                {"account": account_a.pk, "title": "x", "contract": 999999}):  # fmt: skip
        assert post(client, "/api/v1/assessments/", bad).status_code == 400
    assert (
        post(client, "/api/v1/journey-steps/", {"assessment": assessment, "name": "x", "rating": 9}).status_code == 400
    )
    assert post(client, "/api/v1/findings/", {"assessment": assessment, "kind": "Q", "text": "x"}).status_code == 400
    with tenant_a.ctx():
        assert not Recommendation.objects.exists() and Assessment.objects.count() == 1
    viewer = api(tenant_a, Role.VIEWER)
    assert post(viewer, "/api/v1/assessments/", {"account": account_a.pk, "title": "x"}).status_code == 403
    assert post(viewer, f"/api/v1/assessments/{assessment}/transition/", {"status": "in_review"}).status_code == 403


def test_rounds_and_own_results_are_read_only(tenant_a, tenant_b):
    member, am = tenant_a.users[Role.MEMBER], tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_a.ctx():
        round = fourrs_services.fourrs_round_create(data={"title": "Review"}, acting_user=None)
        admin = tenant_a.admin
        fourrs_services.fourrs_round_invite(round=round, user_ids=[member.pk, am.pk, admin.pk], acting_user=None)
        fourrs_services.fourrs_result_submit(respondent=member, answers=dict.fromkeys(fourrs.KEYS, 2), round=round)
        fourrs_services.fourrs_result_submit(respondent=am, answers=dict.fromkeys(fourrs.KEYS, 4), round=round)
        fourrs_services.fourrs_result_submit(respondent=admin, answers=dict.fromkeys(fourrs.KEYS, 3), round=round)
    client = api(tenant_a, Role.VIEWER)
    shown = client.get("/api/v1/four-rs-rounds/").json()["results"][0]["rollup"]
    assert shown == {"respondents": 3, "hidden": True, "why": "open", "total": None}  # nothing while it is open
    with tenant_a.ctx():
        fourrs_services.fourrs_round_close(round=round)
    rounds = client.get("/api/v1/four-rs-rounds/").json()["results"]
    assert len(rounds) == 1 and rounds[0]["rollup"]["total"] == 45 and rounds[0]["rollup"]["respondents"] == 3
    assert rounds[0]["rollup"]["per_r"]["revenue"] == {"average": 15, "max": 25}
    assert rounds[0]["rollup"]["band"] == "concern" and "answers" not in str(rounds[0])
    assert post(client, "/api/v1/four-rs-rounds/", {"title": "x"}).status_code == 405
    mine = api(tenant_a, Role.MEMBER).get("/api/v1/four-rs-results/").json()["results"]
    assert [(m["total"], m["band"], m["revenue"]) for m in mine] == [(30, "help", 10)]
    assert api(tenant_a, Role.VIEWER).get("/api/v1/four-rs-results/").status_code == 403
    assert api(tenant_b).get(f"/api/v1/four-rs-rounds/{round.pk}/").status_code == 404


def test_lists_take_a_constant_number_of_queries(tenant_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.accounts.conftest import make_account
    from tests.assessments.conftest import shared_assessment

    client = api(tenant_a, Role.ADMIN)
    paths = ["/api/v1/assessments/", "/api/v1/recommendations/", "/api/v1/four-rs-rounds/",
             "/api/v1/findings/"]  # fmt: skip

    def grow(n):
        for i in range(n):
            account = make_account(tenant_a, name=f"Account {n}-{i}")
            shared_assessment(tenant_a, account)
            with tenant_a.ctx():
                round = fourrs_services.fourrs_round_create(data={"title": f"R {n}-{i}"}, acting_user=None)
                fourrs_services.fourrs_round_invite(round=round, user_ids=[tenant_a.admin.pk], acting_user=None)
                fourrs_services.fourrs_result_submit(
                    respondent=tenant_a.admin, answers=dict.fromkeys(fourrs.KEYS, 3), round=round
                )

    def counts():
        found = {}
        for path in paths:
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path).status_code == 200
            found[path] = len(queries)
        return found

    grow(1)
    before = counts()
    grow(3)
    assert counts() == before


def test_a_patch_answers_every_field(tenant_a, account_a):
    """``confirmed_by_name`` was left out of a PATCH's answer (DRF drops a defaulted field from partial answers)."""
    client = api(tenant_a)
    made = post(client, "/api/v1/assessments/", {"account": account_a.pk, "title": "Mid-contract"}).json()
    changed = patch(client, f"/api/v1/assessments/{made['id']}/", {"title": "Renamed"})
    assert changed.status_code == 200
    assert changed.json()["confirmed_by_name"] is None
    assert set(changed.json()) == set(made)
