"""Rules that are easy to get subtly wrong: recurrence after closing, moving rows, owners, bad CSV values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import (
    Account,
    ActionItem,
    Deliverable,
    Incident,
    IncidentCategory,
    PlanGoal,
    PlanObjective,
    RecurringIssue,
    SelectionCriterion,
    Tier,
)
from sam.models import OutboundEmail
from sam.roles import Role
from sam.services import token_create
from tests.accounts.conftest import make_account
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def api(world, role=Role.ADMIN) -> Client:
    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def three_outages(world, account):
    now = timezone.now()
    with world.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        for n in range(3):
            services.incident_record(
                account=account, data={"category": cat, "summary": "Down", "opened_at": now - timedelta(hours=n)}
            )
        return RecurringIssue.objects.get(status="open")


def test_closed_issue_is_not_reopened_by_the_same_incidents(tenant_a, account_a):
    issue = three_outages(tenant_a, account_a)
    with tenant_a.ctx():
        services.recurring_issue_update(issue=issue, data={"status": "closed", "root_cause": "Disk"}, acting_user=None)
        for _ in range(3):
            services.recurring_issues_sweep()
        assert RecurringIssue.objects.count() == 1
        assert ActionItem.objects.filter(source_kind="recurring_issue").count() == 1
        assert ActionItem.objects.get(source_kind="recurring_issue").status == "done"  # closed with its issue
        assert OutboundEmail.objects.count() == 1


def test_new_owner_gets_the_action_and_one_email(tenant_a, account_a):
    issue = three_outages(tenant_a, account_a)
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        for _ in range(2):
            services.recurring_issue_update(issue=issue, data={"owner": member}, acting_user=None)
        assert ActionItem.objects.get(source_kind="recurring_issue").owner == member
        assert OutboundEmail.objects.filter(to=[member.email]).count() == 1
        with pytest.raises(ValidationError):
            services.recurring_issue_update(issue=issue, data={"owner": None}, acting_user=None)


def test_api_rows_stay_on_their_account(tenant_a, account_a):
    other = make_account(tenant_a, "Other", owner_role=Role.ADMIN)
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        goal = services.goal_add(account=account_a, title="Grow")
        other_goal = services.goal_add(account=other, title="Theirs")
        objective = services.objective_add(goal=goal, title="Win")
        other_objective = services.objective_add(goal=other_goal, title="Theirs")
        item, _ = services.action_item_add(account=account_a, title="Call")
    client = api(tenant_a, Role.MEMBER)
    for path, body in (
        (f"/api/v1/plan-goals/{goal.pk}/", {"account": other.pk}),
        (f"/api/v1/plan-objectives/{objective.pk}/", {"goal": other_goal.pk}),
        (f"/api/v1/action-items/{item.pk}/", {"objective": other_objective.pk}),
    ):
        response = client.patch(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content)
    with tenant_a.ctx():
        assert PlanGoal.objects.get(pk=goal.pk).account_id == account_a.pk
        assert ActionItem.objects.get(pk=item.pk).objective_id is None


def test_api_deliverables_only_own_for_team_members(tenant_a, account_a):
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        own = Deliverable.objects.get(account=account_a, role="technical_lead")
        other = Deliverable.objects.get(account=account_a, role="executive_partner")
    client = api(tenant_a, Role.MEMBER)
    assert (
        client.patch(f"/api/v1/deliverables/{own.pk}/", {"note": "ok"}, content_type="application/json").status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/deliverables/{other.pk}/", {"note": "x"}, content_type="application/json").status_code
        == 403
    )
    steal = client.patch(
        f"/api/v1/deliverables/{own.pk}/", {"owner": tenant_a.admin.pk}, content_type="application/json"
    )
    assert steal.status_code == 403
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("diagram.txt", b"config")})
    response = client.generic("PATCH", f"/api/v1/deliverables/{own.pk}/", body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 200, response.content
    download = api(tenant_a, Role.VIEWER).get(response.json()["file_url"])  # readers may download
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"config"


def test_api_delete_strategic_account_needs_a_reason(tenant_a, account_a):
    client = api(tenant_a)
    response = client.delete(f"/api/v1/accounts/{account_a.pk}/")
    assert response.status_code == 400 and "reason" in response.json()
    assert client.delete(f"/api/v1/accounts/{account_a.pk}/?reason=Acquired").status_code == 204


def test_account_owner_must_be_an_account_manager(tenant_a):
    client = api(tenant_a)
    with tenant_a.ctx():
        tier = Tier.objects.get(name="Key")
    body = {"name": "X", "tier": tier.pk, "owner": tenant_a.users[Role.VIEWER].pk}
    response = client.post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400 and "owner" in response.json()


def test_tier_cannot_silently_leave_the_program(tenant_a, account_a):
    with tenant_a.ctx():
        tier = Tier.objects.get(name="Strategic")
    response = api(tenant_a).patch(f"/api/v1/tiers/{tier.pk}/", {"strategic": False}, content_type="application/json")
    assert response.status_code == 400
    with tenant_a.ctx():
        assert Tier.objects.get(pk=tier.pk).strategic


def test_criteria_change_recomputes_scores(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        c1, c2 = SelectionCriterion.objects.order_by("pk")[:2]
        SelectionCriterion.objects.exclude(pk__in=[c1.pk, c2.pk]).update(active=False)
        SelectionCriterion.objects.filter(pk__in=[c1.pk, c2.pk]).update(weight=1)
        services.criteria_answers_save(account=account_a, answers={c1.pk: (5, ""), c2.pk: (0, "")})
        assert Account.objects.get(pk=account_a.pk).strategic_score == 50
    client_for(tenant_a.admin).post(url("program_criterion_toggle", c2.pk))  # retire c2
    with tenant_a.ctx():
        assert Account.objects.get(pk=account_a.pk).strategic_score == 100
    api(tenant_a).patch(
        f"/api/v1/selection-criteria/{c2.pk}/", {"active": True, "weight": 3}, content_type="application/json"
    )
    with tenant_a.ctx():
        assert Account.objects.get(pk=account_a.pk).strategic_score == 25


def test_contract_value_and_currency_are_checked(tenant_a, account_a):
    client = api(tenant_a)
    base = {"account": account_a.pk, "title": "MSA", "start": "2025-01-01", "end": "2027-01-01"}
    neg = client.post("/api/v1/contracts/", {**base, "value": -5}, content_type="application/json")
    assert neg.status_code == 400 and "value" in neg.json()
    cur = client.post("/api/v1/contracts/", {**base, "currency": "1$"}, content_type="application/json")
    assert cur.status_code == 400 and "currency" in cur.json()


def test_unscored_accounts_rank_last(tenant_a, client_for):
    make_account(tenant_a, "Unscored")
    scored = make_account(tenant_a, "Scored")
    with tenant_a.ctx():
        Account.objects.filter(pk=scored.pk).update(strategic_score=10)
    body = client_for(tenant_a.admin).get(url("portfolio")).content.decode()
    assert body.index("Scored") < body.index("Unscored")
    assert api(tenant_a).get("/api/v1/accounts/").json()["results"][0]["name"] == "Scored"


def test_filters_are_documented_and_checked(tenant_a):
    schema = signed_in_client().get("/api/v1/schema/").content.decode()
    for name in ("opened_after", "buyer_role", "due_before", "source_kind"):
        assert f"name: {name}" in schema
    assert api(tenant_a).get("/api/v1/incidents/?opened_after=yesterday").status_code == 400


@pytest.mark.parametrize(
    "kind, row, message",
    [
        ("accounts", "name,tier,annual_revenue\nX,Key,NaN\n", "is not a usable amount"),
        ("accounts", "name,tier\n" + "x" * 250 + ",Key\n", "Too long: 250 characters"),
        ("incidents", "account,category,opened_at,summary\nGlobex,Outage,2026-02-30 10:00,Down\n", "is not a date"),
        ("contacts", "account,name,last_interaction\nGlobex,Hank,2026-13-01\n", "is not a date"),
        ("accounts", "name,tier,owner_email\nX,Key,viewer.alpha@example.test\n", "must be an account manager"),
    ],
)
def test_bad_csv_values_are_row_errors_not_crashes(tenant_a, client_for, kind, row, message):
    make_account(tenant_a, "Globex")
    client = client_for(tenant_a.admin)
    file = SimpleUploadedFile("data.csv", row.encode())
    response = client.post(url("import_upload", kind), {"file": file})
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 400 and message in preview.content.decode()


def test_import_shows_the_portfolio_cap_warning(tenant_a, client_for):
    from accounts.models import AccountsSettings

    with tenant_a.ctx():
        AccountsSettings.current()
        AccountsSettings.objects.update(portfolio_band="custom", portfolio_custom_cap=1)
    client = client_for(tenant_a.admin)
    file = SimpleUploadedFile("data.csv", b"name,tier\nOne,Strategic\nTwo,Strategic\n")
    preview = client.get(client.post(url("import_upload", "accounts"), {"file": file})["Location"])
    assert b"above your program&#x27;s guidance of 1" in preview.content


def test_delete_page_requires_a_reason_for_strategic_accounts(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    response = client.post(url("account_delete", account_a.pk), {"reason": ""})
    assert response.status_code == 400 and b"Say why" in response.content
    with tenant_a.ctx():
        assert Account.objects.alive().filter(pk=account_a.pk).exists()


def test_incident_can_be_resolved_on_its_page(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        incident = services.incident_record(account=account_a, data={"category": cat, "summary": "Down"})
    opened = timezone.localtime(incident.opened_at)
    data = {"category": cat.pk, "severity": "high", "summary": "Down", "external_ref": "",
            "opened_at": opened.strftime("%Y-%m-%dT%H:%M"),
            "resolved_at": (opened + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    assert client_for(tenant_a.admin).post(url("incident_edit", account_a.pk, incident.pk), data).status_code == 302
    with tenant_a.ctx():
        assert Incident.objects.get().resolved_at is not None


def test_goal_edit_and_delete(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        goal = services.goal_add(account=account_a, title="Grow")
    client = client_for(tenant_a.admin)
    client.post(url("goal_edit", account_a.pk, goal.pk), {"title": "Grow share of wallet"})
    with tenant_a.ctx():
        assert PlanGoal.objects.get().title == "Grow share of wallet"
    client.post(url("goal_delete", account_a.pk, goal.pk))
    with tenant_a.ctx():
        assert not PlanGoal.objects.exists()


def test_objective_and_incident_deleted_from_their_pages(tenant_a, account_a, client_for):
    """Each row is deleted through its own service (an objective has no account of its own)."""
    with tenant_a.ctx():
        goal = services.goal_add(account=account_a, title="Grow")
        objective = services.objective_add(goal=goal, title="Win the tender")
        category = IncidentCategory.objects.get(name="Outage")
        incident = services.incident_record(account=account_a, data={"category": category, "summary": "Down"})
    client = client_for(tenant_a.admin)
    assert client.post(url("objective_delete", account_a.pk, objective.pk)).status_code == 302
    assert client.post(url("incident_delete", account_a.pk, incident.pk)).status_code == 302
    with tenant_a.ctx():
        assert not PlanObjective.objects.exists() and not Incident.objects.exists()
        assert PlanGoal.objects.get() == goal


def test_deliverable_file_can_be_cleared(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        deliverable = Deliverable.objects.get(account=account_a, role="technical_lead")
    client = client_for(tenant_a.admin)
    data = {"status": "current", "owner": "", "last_reviewed": "", "link": "", "note": ""}
    client.post(
        url("deliverable_edit", account_a.pk, deliverable.pk), {**data, "file": SimpleUploadedFile("a.txt", b"x")}
    )
    response = client.post(url("deliverable_edit", account_a.pk, deliverable.pk), {**data, "file-clear": "on"})
    assert response.status_code == 302
    with tenant_a.ctx():
        assert not Deliverable.objects.get(pk=deliverable.pk).file


def test_a_score_can_be_cleared(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        criteria = list(SelectionCriterion.objects.all())
        services.criteria_answers_save(account=account_a, answers={c.pk: (5, "") for c in criteria})
    data = {f"score_{c.pk}": "" for c in criteria}
    client_for(tenant_a.admin).post(url("account_criteria", account_a.pk), data)
    with tenant_a.ctx():
        assert Account.objects.get(pk=account_a.pk).strategic_score is None
