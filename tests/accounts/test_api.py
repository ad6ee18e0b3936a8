"""The accounts API: CRUD through the same services, same permissions, tenant fields never writable."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import (
    Account,
    ActionItem,
    Contact,
    Incident,
    IncidentCategory,
    PlanGoal,
    RecurringIssue,
    Tier,
)
from sam.roles import Role
from sam.services import token_create
from tests.accounts.conftest import make_account
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db


def api(world, role=Role.ADMIN) -> Client:
    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


def test_account_crud(tenant_a):
    client = api(tenant_a, Role.ACCOUNT_MANAGER)
    with tenant_a.ctx():
        tier = Tier.objects.get(name="Strategic")
    am = tenant_a.users[Role.ACCOUNT_MANAGER]
    response = post(client, "/api/v1/accounts/", {"name": "Globex", "tier": tier.pk, "owner": am.pk, "currency": "eur"})
    assert response.status_code == 201, response.content
    account = response.json()
    assert account["currency"] == "EUR" and account["strategic_score"] is None
    assert client.get("/api/v1/accounts/?search=glob").json()["count"] == 1
    response = patch(client, f"/api/v1/accounts/{account['id']}/", {"industry": "Logistics"})
    assert response.status_code == 200 and response.json()["industry"] == "Logistics"
    with tenant_a.ctx():
        key = Tier.objects.get(name="Key")
    response = patch(client, f"/api/v1/accounts/{account['id']}/", {"tier": key.pk})
    assert response.status_code == 400 and "tier_reason" in response.json()
    response = patch(client, f"/api/v1/accounts/{account['id']}/", {"tier": key.pk, "tier_reason": "Smaller"})
    assert response.status_code == 200
    assert client.delete(f"/api/v1/accounts/{account['id']}/").status_code == 204
    assert client.get(f"/api/v1/accounts/{account['id']}/").status_code == 404


def test_criteria_scoring(tenant_a, account_a):
    client = api(tenant_a)
    with tenant_a.ctx():
        from accounts.models import SelectionCriterion

        criteria = list(SelectionCriterion.objects.all())
    body = [{"criterion": c.pk, "score": 5, "justification": "yes"} for c in criteria]
    response = client.put(f"/api/v1/accounts/{account_a.pk}/criteria/", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["strategic_score"] == "100.0"
    bad = [{"criterion": criteria[0].pk, "score": 7}]
    assert (
        client.put(f"/api/v1/accounts/{account_a.pk}/criteria/", bad, content_type="application/json").status_code
        == 400
    )


def test_tenant_and_audit_fields_are_not_writable(tenant_a, tenant_b, account_a):
    client = api(tenant_a)
    response = post(
        client,
        "/api/v1/action-items/",
        {
            "account": account_a.pk,
            "title": "Call",
            "tenant": tenant_b.tenant.pk,
            "created_by": tenant_b.admin.pk,
            "source_kind": "qbr",
            "closed_at": "2020-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201
    with tenant_a.ctx():
        item = ActionItem.objects.get()
    assert (item.tenant_id, item.created_by_id, item.source_kind, item.closed_at) == (
        tenant_a.tenant.pk,
        tenant_a.admin.pk,
        "manual",
        None,
    )


def test_other_tenants_ids_in_bodies_are_not_found(tenant_a, tenant_b, account_a):
    b_account = make_account(tenant_b, "Bravo Corp")
    with tenant_b.ctx():
        b_tier = Tier.objects.get(name="Strategic")
        b_category = IncidentCategory.objects.first()
    client = api(tenant_a)
    cases = [
        ("/api/v1/contacts/", {"account": b_account.pk, "name": "x"}, "account"),
        ("/api/v1/accounts/", {"name": "X", "tier": b_tier.pk}, "tier"),
        ("/api/v1/accounts/", {"name": "X", "tier": b_tier.pk, "parent": b_account.pk}, "parent"),
        ("/api/v1/action-items/", {"account": account_a.pk, "title": "x", "owner": tenant_b.admin.pk}, "owner"),
        ("/api/v1/incidents/", {"account": account_a.pk, "category": b_category.pk, "summary": "x"}, "category"),
        (
            "/api/v1/team-assignments/",
            {"account": account_a.pk, "user": tenant_b.admin.pk, "role": "technical_lead"},
            "user",
        ),
    ]
    for path, body, field in cases:
        response = post(client, path, body)
        assert response.status_code == 400, (path, response.content)
        assert field in response.json()
        assert "does not exist" in str(response.json()[field])
    with tenant_a.ctx():
        assert Contact.objects.count() == 0 and ActionItem.objects.count() == 0 and Incident.objects.count() == 0


def test_bad_input_is_rejected_with_field_errors(tenant_a, account_a):
    client = api(tenant_a)
    today = timezone.localdate()
    cases = [
        ("/api/v1/contracts/", {"account": account_a.pk, "title": "x", "start": str(today), "end": str(today)}, "end"),
        ("/api/v1/contracts/", {"account": account_a.pk, "title": "x", "start": "soon", "end": "later"}, "start"),
        ("/api/v1/contacts/", {"account": account_a.pk, "name": "x", "influence": 8}, "influence"),
        ("/api/v1/contacts/", {"account": account_a.pk, "name": "x" * 500}, "name"),
        ("/api/v1/accounts/", {"name": "X", "tier": "strategic"}, "tier"),
        ("/api/v1/accounts/", {"name": "X", "tier": account_a.tier_id, "annual_revenue": -5}, "annual_revenue"),
        ("/api/v1/action-items/", {"account": account_a.pk, "title": ""}, "title"),
        ("/api/v1/action-items/", {"account": account_a.pk, "title": "x", "status": "maybe"}, "status"),
    ]
    for path, body, field in cases:
        response = post(client, path, body)
        assert response.status_code == 400, (path, body, response.content)
        assert field in response.json(), (path, response.json())


def test_duplicate_contact_email_via_api(tenant_a, account_a):
    client = api(tenant_a)
    body = {"account": account_a.pk, "name": "Hank", "email": "hank@globex.example"}
    assert post(client, "/api/v1/contacts/", body).status_code == 201
    response = post(client, "/api/v1/contacts/", {**body, "email": "Hank@Globex.example"})
    assert response.status_code == 400 and "email" in response.json()


def test_permissions_follow_the_allow_table(tenant_a, account_a):
    viewer, member = api(tenant_a, Role.VIEWER), api(tenant_a, Role.MEMBER)
    assert viewer.get("/api/v1/accounts/").json()["count"] == 1
    assert post(viewer, "/api/v1/action-items/", {"account": account_a.pk, "title": "x"}).status_code == 403
    # A member not on the team: no; on the team: the team's work, not the account itself.
    assert post(member, "/api/v1/action-items/", {"account": account_a.pk, "title": "x"}).status_code == 403
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=tenant_a.users[Role.MEMBER].pk, role="technical_lead")
    assert post(member, "/api/v1/action-items/", {"account": account_a.pk, "title": "x"}).status_code == 201
    assert post(member, "/api/v1/contacts/", {"account": account_a.pk, "name": "x"}).status_code == 403
    assert patch(member, f"/api/v1/accounts/{account_a.pk}/", {"notes": "x"}).status_code == 403


def test_incident_via_api_opens_recurring_issue(tenant_a, account_a):
    client = api(tenant_a)
    with tenant_a.ctx():
        outage = IncidentCategory.objects.get(name="Outage")
    now = timezone.now()
    for n in range(3):
        opened = (now - timedelta(hours=n + 1)).isoformat()
        response = post(
            client,
            "/api/v1/incidents/",
            {
                "account": account_a.pk,
                "category": outage.pk,
                "summary": "Down",
                "opened_at": opened,
                "external_ref": f"INC-{n}",
            },
        )
        assert response.status_code == 201
    again = post(
        client,
        "/api/v1/incidents/",
        {"account": account_a.pk, "category": outage.pk, "summary": "Down", "external_ref": "INC-0"},
    )
    assert again.status_code == 400 and "external_ref" in again.json()
    issues = client.get(f"/api/v1/recurring-issues/?account={account_a.pk}").json()
    assert issues["count"] == 1 and len(issues["results"][0]["incidents"]) == 3
    issue_id = issues["results"][0]["id"]
    assert patch(client, f"/api/v1/recurring-issues/{issue_id}/", {"status": "closed"}).status_code == 400
    response = patch(client, f"/api/v1/recurring-issues/{issue_id}/", {"status": "closed", "root_cause": "Disk"})
    assert response.status_code == 200
    with tenant_a.ctx():
        assert RecurringIssue.objects.get().closed_at is not None


def test_action_items_filters_and_no_delete(tenant_a, account_a):
    client = api(tenant_a)
    with tenant_a.ctx():
        services.action_item_add(account=account_a, title="Mine", owner=tenant_a.admin)
        done, _ = services.action_item_add(account=account_a, title="Done")
        services.action_item_update(item=done, data={"status": "done"}, acting_user=None)
    assert client.get("/api/v1/action-items/?status=open").json()["count"] == 1
    assert client.get(f"/api/v1/action-items/?owner={tenant_a.admin.pk}").json()["count"] == 1
    assert client.get("/api/v1/action-items/?account=abc").status_code == 400
    assert client.delete(f"/api/v1/action-items/{done.pk}/").status_code == 405


def test_account_list_query_count(tenant_a, django_assert_max_num_queries):
    client = api(tenant_a)
    make_account(tenant_a, "First")
    client.get("/api/v1/accounts/")
    with django_assert_max_num_queries(9):
        client.get("/api/v1/accounts/")
    for n in range(30):
        make_account(tenant_a, f"Acc {n}")
    with django_assert_max_num_queries(9):
        assert client.get("/api/v1/accounts/").json()["count"] == 31


def test_program_lists_admin_only(tenant_a):
    assert post(api(tenant_a, Role.ACCOUNT_MANAGER), "/api/v1/tiers/", {"name": "Platinum"}).status_code == 403
    assert post(api(tenant_a), "/api/v1/tiers/", {"name": "Platinum", "strategic": True}).status_code == 201
    assert post(api(tenant_a), "/api/v1/tiers/", {"name": "Platinum"}).status_code == 400
    with tenant_a.ctx():
        assert Tier.objects.filter(name="Platinum", strategic=True).exists()
        assert Account.objects.count() == 0


def test_plan_reviews_history_and_tier_changes(tenant_a, account_a):
    client = api(tenant_a)
    response = post(client, "/api/v1/plan-reviews/", {"account": account_a.pk, "note": "Q4 review", "version": 99})
    assert response.status_code == 201 and response.json()["version"] == 1
    assert client.get(f"/api/v1/plan-reviews/?account={account_a.pk}").json()["count"] == 1
    item = post(client, "/api/v1/action-items/", {"account": account_a.pk, "title": "Call"}).json()
    patch(client, f"/api/v1/action-items/{item['id']}/", {"status": "done"})
    history = client.get(f"/api/v1/action-items/{item['id']}/").json()["history"]
    assert [h["changes"] for h in history] == [{"created": [None, "Call"]}, {"status": ["open", "done"]}]
    changes = client.get(f"/api/v1/tier-changes/?account={account_a.pk}").json()
    assert changes["count"] == 1
    assert client.post("/api/v1/tier-changes/", {}, content_type="application/json").status_code == 405
    answers = client.get(f"/api/v1/accounts/{account_a.pk}/criteria/")
    assert answers.status_code == 200 and answers.json() == []


# role -> which API writes pass on an account (same rules as the pages)
API_EXPECTED = {
    Role.ADMIN: {"account", "contact", "action", "goal", "incident"},
    Role.ACCOUNT_MANAGER: {"account", "contact", "action", "goal", "incident"},  # the owner
    Role.MEMBER: {"action", "goal", "incident"},  # on the team
    Role.EXECUTIVE: set(),
    Role.VIEWER: set(),
}


@pytest.mark.parametrize("role", list(API_EXPECTED))
def test_api_write_matrix(tenant_a, account_a, role):
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=tenant_a.users[Role.MEMBER].pk, role="technical_lead")
        outage = IncidentCategory.objects.get(name="Outage")
    client = api(tenant_a, role)
    writes = {
        "account": lambda: patch(client, f"/api/v1/accounts/{account_a.pk}/", {"notes": "x"}),
        "contact": lambda: post(client, "/api/v1/contacts/", {"account": account_a.pk, "name": "x"}),
        "action": lambda: post(client, "/api/v1/action-items/", {"account": account_a.pk, "title": "x"}),
        "goal": lambda: post(client, "/api/v1/plan-goals/", {"account": account_a.pk, "title": "x"}),
        "incident": lambda: post(
            client, "/api/v1/incidents/", {"account": account_a.pk, "category": outage.pk, "summary": "x"}
        ),
    }
    passed = set()
    for name, call in writes.items():
        response = call()
        assert response.status_code in (200, 201, 403), (role, name, response.content)
        if response.status_code != 403:
            passed.add(name)
    assert passed == API_EXPECTED[role]


def test_plan_incident_contract_and_contact_writes_go_through_the_services(tenant_a, account_a):
    """The API writes the plan, incidents, contracts and contacts with the pages' services and rules."""
    client = api(tenant_a, Role.ACCOUNT_MANAGER)
    goal = post(client, "/api/v1/plan-goals/", {"account": account_a.pk, "title": "  Grow share  "})
    assert goal.status_code == 201, goal.content
    assert goal.json()["title"] == "Grow share" and goal.json()["order"] == 0  # goal_add strips and orders
    second = post(client, "/api/v1/plan-goals/", {"account": account_a.pk, "title": "Keep the renewal"})
    assert second.json()["order"] == 1  # goal_add puts it last
    objective = post(client, "/api/v1/plan-objectives/", {"goal": goal.json()["id"], "title": "Win the tender"})
    assert objective.status_code == 201, objective.content
    assert patch(client, f"/api/v1/plan-objectives/{objective.json()['id']}/", {"measure": "Signed"}).status_code == 200
    assert patch(client, f"/api/v1/plan-goals/{goal.json()['id']}/", {"title": "Grow"}).json()["title"] == "Grow"
    assert client.delete(f"/api/v1/plan-objectives/{objective.json()['id']}/").status_code == 204
    assert client.delete(f"/api/v1/plan-goals/{goal.json()['id']}/").status_code == 204

    with tenant_a.ctx():
        outage = IncidentCategory.objects.get(name="Outage")
    incident = post(client, "/api/v1/incidents/", {"account": account_a.pk, "category": outage.pk, "summary": "x"})
    assert incident.status_code == 201, incident.content
    opened = timezone.now() - timedelta(days=1)
    path = f"/api/v1/incidents/{incident.json()['id']}/"
    assert patch(client, path, {"opened_at": opened.isoformat()}).status_code == 200
    refused = patch(client, path, {"resolved_at": (opened - timedelta(days=2)).isoformat()})
    assert refused.status_code == 400 and "resolved_at" in refused.json()  # incident_update's rule, as on the page
    assert client.delete(path).status_code == 204

    contact = post(client, "/api/v1/contacts/", {"account": account_a.pk, "name": "Ann", "email": "ann@example.test"})
    assert contact.status_code == 201, contact.content
    assert client.delete(f"/api/v1/contacts/{contact.json()['id']}/").status_code == 204
    with tenant_a.ctx():
        contract = services.contract_save(
            account=account_a, data={"title": "Supply", "start": date(2026, 1, 1), "end": date(2026, 12, 31)}
        )
    assert client.delete(f"/api/v1/contracts/{contract.pk}/").status_code == 204
    with tenant_a.ctx():
        assert not Contact.objects.filter(pk=contact.json()["id"]).exists()
        assert not Incident.objects.filter(account=account_a).exists()
        assert list(PlanGoal.objects.filter(account=account_a).values_list("title", flat=True)) == ["Keep the renewal"]
        assert not account_a.contracts.exists()


def test_a_contact_asked_for_a_decision_is_not_deleted(tenant_a, account_a, client_for):
    """Deleting a contact a decision names (a protected reference) was a 500 in the API and on the page."""
    from accounts.models import Decision

    with tenant_a.ctx():
        contact = services.contact_save(account=account_a, data={"name": "Dana Decider", "email": "dana@x.test"})
        Decision.objects.create(account=account_a, contact=contact, question="Renew?", due=date(2030, 1, 1))
    response = api(tenant_a).delete(f"/api/v1/contacts/{contact.pk}/")
    assert response.status_code == 400
    assert "decisions" in response.json()["detail"][0]
    page = client_for(tenant_a.admin).post(f"/t/alpha/accounts/{account_a.pk}/contacts/{contact.pk}/delete/")
    assert page.status_code == 400
    assert b"still named in the account&#x27;s decisions" in page.content
    with tenant_a.ctx():
        assert Contact.objects.filter(pk=contact.pk).exists()


def test_criteria_are_documented_as_they_answer(tenant_a, account_a):
    """GET answers the list of answers (not a page of them), PUT the account."""
    import yaml

    operations = yaml.safe_load(signed_in_client().get("/api/v1/schema/").content)["paths"][
        "/api/v1/accounts/{id}/criteria/"
    ]
    listed = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"type": "array", "items": {"$ref": "#/components/schemas/CriteriaAnswers"}}
    scored = operations["put"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert scored == {"$ref": "#/components/schemas/Account"}
    assert isinstance(api(tenant_a).get(f"/api/v1/accounts/{account_a.pk}/criteria/").json(), list)
