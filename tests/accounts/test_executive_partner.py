"""The Executive role where the domain puts it: as Executive Partner it keeps its own deliverable up to date
and takes escalations (recurring issues, the actions assigned to it) on accounts whose team it is on.

Every case asks the page (htmx form) and the API the same question and expects the same answer.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ActionItem, Deliverable, IncidentCategory, RecurringIssue
from sam.roles import Role
from sam.services import token_create
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db

EP = "executive_partner"


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def api(world, role) -> Client:
    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def page(client_for, world, role) -> Client:
    return client_for(world.users[role], HTTP_HX_REQUEST="true")


def deliverable_form(owner_id, **extra):
    today = timezone.localdate().isoformat()
    return {"status": "current", "owner": owner_id or "", "last_reviewed": today, "link": "", **extra}


def page_and_api_deliverable(client_for, world, role, deliverable, **changes):
    """Update one deliverable on the page, then through the API: the two status codes."""
    on_page = page(client_for, world, role).post(
        url("deliverable_edit", deliverable.account_id, deliverable.pk),
        deliverable_form(deliverable.owner_id, note="from the page", **changes),
    )
    through_api = api(world, role).patch(
        f"/api/v1/deliverables/{deliverable.pk}/", {"note": "from the API", **changes}, content_type="application/json"
    )
    return on_page.status_code, through_api.status_code


def note_of(world, deliverable):
    with world.ctx():
        return Deliverable.objects.get(pk=deliverable.pk).note


@pytest.fixture
def executive_on_team(tenant_a, account_a):
    """The executive holds the Executive Partner role on account_a (so is named owner of its deliverable)."""
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=tenant_a.users[Role.EXECUTIVE].pk, role=EP)
    return tenant_a.users[Role.EXECUTIVE]


# --- the Executive Partner's deliverable ----------------------------------------------------------------


def test_executive_partner_updates_own_deliverable(tenant_a, account_a, executive_on_team, client_for):
    with tenant_a.ctx():
        deliverable = Deliverable.objects.get(account=account_a, role=EP)
    client = client_for(executive_on_team)
    assert client.get(url("deliverable_edit", account_a.pk, deliverable.pk)).status_code == 200
    team_tab = client.get(url("account_detail", account_a.pk) + "?tab=team").content.decode()
    assert url("deliverable_edit", account_a.pk, deliverable.pk) in team_tab  # the "update" link is offered

    on_page = page(client_for, tenant_a, Role.EXECUTIVE).post(
        url("deliverable_edit", account_a.pk, deliverable.pk),
        deliverable_form(executive_on_team.pk, note="Vision shared at the QBR", link="docs.example/vision"),
    )
    assert on_page.status_code == 200
    with tenant_a.ctx():
        saved = Deliverable.objects.get(pk=deliverable.pk)
    assert (saved.status, saved.note, saved.link) == (
        "current",
        "Vision shared at the QBR",
        "https://docs.example/vision",
    )

    through_api = api(tenant_a, Role.EXECUTIVE).patch(
        f"/api/v1/deliverables/{deliverable.pk}/",
        {"note": "Customer confidence: high"},
        content_type="application/json",
    )
    assert through_api.status_code == 200, through_api.content
    assert note_of(tenant_a, deliverable) == "Customer confidence: high"


def test_any_holder_of_the_role_updates_it(tenant_a, account_a, client_for):
    """A role may be shared: the executive holding it second (not the named owner) may update it too."""
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=tenant_a.admin.pk, role=EP)
        services.team_assign(account=account_a, user_id=tenant_a.users[Role.EXECUTIVE].pk, role=EP)
        deliverable = Deliverable.objects.get(account=account_a, role=EP)
    assert deliverable.owner_id == tenant_a.admin.pk
    assert page_and_api_deliverable(client_for, tenant_a, Role.EXECUTIVE, deliverable) == (200, 200)
    assert note_of(tenant_a, deliverable) == "from the API"


def test_executive_may_not_reassign_the_deliverable(tenant_a, account_a, executive_on_team, client_for):
    with tenant_a.ctx():
        deliverable = Deliverable.objects.get(account=account_a, role=EP)
    other = tenant_a.admin
    # The page shows who it is assigned to but keeps it; the API refuses the change.
    form = client_for(executive_on_team).get(url("deliverable_edit", account_a.pk, deliverable.pk)).content.decode()
    assert re.search(r'<select name="owner"[^>]* disabled', form)
    response = page(client_for, tenant_a, Role.EXECUTIVE).post(
        url("deliverable_edit", account_a.pk, deliverable.pk), deliverable_form(other.pk, note="mine still")
    )
    assert response.status_code == 200
    through_api = api(tenant_a, Role.EXECUTIVE).patch(
        f"/api/v1/deliverables/{deliverable.pk}/", {"owner": other.pk}, content_type="application/json"
    )
    assert through_api.status_code == 403
    with tenant_a.ctx():
        saved = Deliverable.objects.get(pk=deliverable.pk)
    assert saved.owner_id == executive_on_team.pk and saved.note == "mine still"


def test_executive_may_not_update_another_roles_deliverable(tenant_a, account_a, executive_on_team, client_for):
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=tenant_a.users[Role.MEMBER].pk, role="technical_lead")
        theirs = Deliverable.objects.get(account=account_a, role="technical_lead")
        unheld = Deliverable.objects.get(account=account_a, role="sales_engineer")
    for deliverable in (theirs, unheld):
        client = client_for(executive_on_team)
        assert client.get(url("deliverable_edit", account_a.pk, deliverable.pk)).status_code == 403
        assert page_and_api_deliverable(client_for, tenant_a, Role.EXECUTIVE, deliverable) == (403, 403)
        assert note_of(tenant_a, deliverable) == ""


def test_executive_not_on_the_team_is_refused(tenant_a, executive_on_team, client_for):
    elsewhere = make_account(tenant_a, "Initech")
    with tenant_a.ctx():
        services.team_assign(account=elsewhere, user_id=tenant_a.admin.pk, role=EP)
        deliverable = Deliverable.objects.get(account=elsewhere, role=EP)
    assert page_and_api_deliverable(client_for, tenant_a, Role.EXECUTIVE, deliverable) == (403, 403)
    assert note_of(tenant_a, deliverable) == ""


def test_another_tenants_deliverable_is_not_found(tenant_a, tenant_b, executive_on_team, client_for):
    theirs = make_account(tenant_b, "Bravo account")
    with tenant_b.ctx():
        services.team_assign(account=theirs, user_id=tenant_b.users[Role.EXECUTIVE].pk, role=EP)
        deliverable = Deliverable.objects.get(account=theirs, role=EP)
    assert page_and_api_deliverable(client_for, tenant_a, Role.EXECUTIVE, deliverable) == (404, 404)
    assert note_of(tenant_b, deliverable) == ""


def test_viewer_is_still_refused(tenant_a, account_a, executive_on_team, client_for):
    with tenant_a.ctx():
        deliverable = Deliverable.objects.get(account=account_a, role=EP)
    assert page_and_api_deliverable(client_for, tenant_a, Role.VIEWER, deliverable) == (403, 403)
    assert note_of(tenant_a, deliverable) == ""


def test_demo_executive_updates_the_executive_partner_deliverable(demo, client_for):
    from accounts.models import TeamAssignment
    from sam.models import Tenant, User
    from sam.tenancy.context import tenant_context

    tenant = Tenant.objects.get(slug="northwind")
    executive = User.objects.get(email="exec@northwind.example")
    with tenant_context(tenant):
        held = TeamAssignment.objects.filter(user=executive, role=EP).select_related("account").first()
        assert held is not None, "the demo executive is an account's Executive Partner"
        deliverable = Deliverable.objects.get(account=held.account, role=EP)
    path = reverse("deliverable_edit", args=[tenant.slug, deliverable.account_id, deliverable.pk])
    client = client_for(executive)
    assert client.get(path).status_code == 200
    response = client.post(path, deliverable_form(deliverable.owner_id, note="Roadmap shared with the COO"))
    assert response.status_code == 302
    with tenant_context(tenant):
        assert Deliverable.objects.get(pk=deliverable.pk).note == "Roadmap shared with the COO"


# --- escalations: recurring issues and the executive's own actions ---------------------------------------


def recurring_issue(world, account) -> RecurringIssue:
    now = timezone.now()
    with world.ctx():
        outage = IncidentCategory.objects.get(name="Outage")
        for n in range(3):
            services.incident_record(
                account=account, data={"category": outage, "summary": "Down", "opened_at": now - timedelta(hours=n)}
            )
        return RecurringIssue.objects.get(account=account, status="open")


def issue_form(owner, root_cause):
    return {"owner": owner.pk, "root_cause": root_cause, "status": "open"}


def test_executive_on_the_team_takes_a_recurring_issue(tenant_a, account_a, executive_on_team, client_for):
    issue = recurring_issue(tenant_a, account_a)
    path = url("recurring_edit", account_a.pk, issue.pk)
    form = client_for(executive_on_team).get(path)
    assert form.status_code == 200
    assert executive_on_team.email in form.content.decode()  # a choice for the one named owner

    response = page(client_for, tenant_a, Role.EXECUTIVE).post(
        path, issue_form(executive_on_team, "Upgrade to 5.2 in a maintenance window")
    )
    assert response.status_code == 200
    with tenant_a.ctx():
        saved = RecurringIssue.objects.get(pk=issue.pk)
        escalation = ActionItem.objects.get(source_kind="recurring_issue", source_id=str(issue.pk))
    assert saved.owner_id == executive_on_team.pk and saved.root_cause.startswith("Upgrade")
    assert escalation.owner_id == executive_on_team.pk  # the issue's action follows its owner

    through_api = api(tenant_a, Role.EXECUTIVE).patch(
        f"/api/v1/recurring-issues/{issue.pk}/", {"root_cause": "Disk fills up"}, content_type="application/json"
    )
    assert through_api.status_code == 200, through_api.content
    with tenant_a.ctx():
        assert RecurringIssue.objects.get(pk=issue.pk).root_cause == "Disk fills up"


@pytest.mark.parametrize("who", ["executive_off_team", "viewer"])
def test_recurring_issue_refused_off_the_team_and_to_viewers(tenant_a, account_a, client_for, who):
    issue = recurring_issue(tenant_a, account_a)
    role = Role.EXECUTIVE if who == "executive_off_team" else Role.VIEWER
    user = tenant_a.users[role]
    on_page = page(client_for, tenant_a, role).post(
        url("recurring_edit", account_a.pk, issue.pk), issue_form(user, "x")
    )
    through_api = api(tenant_a, role).patch(
        f"/api/v1/recurring-issues/{issue.pk}/", {"root_cause": "x"}, content_type="application/json"
    )
    assert (on_page.status_code, through_api.status_code) == (403, 403)
    with tenant_a.ctx():
        assert RecurringIssue.objects.get(pk=issue.pk).root_cause == ""


def test_recurring_issue_of_another_tenant_is_not_found(tenant_a, tenant_b, account_a, executive_on_team, client_for):
    theirs = make_account(tenant_b, "Bravo account")
    issue = recurring_issue(tenant_b, theirs)
    on_page = page(client_for, tenant_a, Role.EXECUTIVE).post(
        url("recurring_edit", theirs.pk, issue.pk), issue_form(executive_on_team, "x")
    )
    through_api = api(tenant_a, Role.EXECUTIVE).patch(
        f"/api/v1/recurring-issues/{issue.pk}/", {"root_cause": "x"}, content_type="application/json"
    )
    assert (on_page.status_code, through_api.status_code) == (404, 404)


def action(world, account, owner, title="Call the COO") -> ActionItem:
    with world.ctx():
        item, _ = services.action_item_add(account=account, title=title, owner=owner, due=timezone.localdate())
    return item


def action_form(item, **changes):
    data = {"title": item.title, "owner": item.owner_id or "", "due": item.due.isoformat() if item.due else ""}
    return {**data, "status": "open", "objective": "", "detail": "", **changes}


def test_executive_updates_own_action(tenant_a, account_a, executive_on_team, client_for):
    item = action(tenant_a, account_a, executive_on_team)
    actions_tab = client_for(executive_on_team).get(url("account_detail", account_a.pk) + "?tab=actions")
    assert url("action_edit", account_a.pk, item.pk) in actions_tab.content.decode()

    # On the page only status and detail change; a changed title is not taken.
    response = page(client_for, tenant_a, Role.EXECUTIVE).post(
        url("action_edit", account_a.pk, item.pk),
        action_form(item, status="in_progress", detail="Meeting booked", title="Renamed"),
    )
    assert response.status_code == 200
    with tenant_a.ctx():
        saved = ActionItem.objects.get(pk=item.pk)
        actor = saved.events.last().actor
    assert (saved.status, saved.detail, saved.title) == ("in_progress", "Meeting booked", "Call the COO")
    assert actor == executive_on_team

    client = api(tenant_a, Role.EXECUTIVE)
    path = f"/api/v1/action-items/{item.pk}/"
    response = client.patch(path, {"status": "done", "detail": "Agreed"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert client.patch(path, {"title": "Renamed"}, content_type="application/json").status_code == 403
    assert client.patch(path, {"owner": tenant_a.admin.pk}, content_type="application/json").status_code == 403
    with tenant_a.ctx():
        saved = ActionItem.objects.get(pk=item.pk)
    assert (saved.status, saved.detail, saved.title, saved.owner_id) == (
        "done",
        "Agreed",
        "Call the COO",
        executive_on_team.pk,
    )


def test_executive_may_not_update_others_actions_or_add_any(tenant_a, account_a, executive_on_team, client_for):
    elsewhere = make_account(tenant_a, "Initech")
    someone_elses = action(tenant_a, account_a, tenant_a.users[Role.ACCOUNT_MANAGER])
    own_off_team = action(tenant_a, elsewhere, executive_on_team)
    for item in (someone_elses, own_off_team):
        on_page = page(client_for, tenant_a, Role.EXECUTIVE).post(
            url("action_edit", item.account_id, item.pk), action_form(item, status="done")
        )
        through_api = api(tenant_a, Role.EXECUTIVE).patch(
            f"/api/v1/action-items/{item.pk}/", {"status": "done"}, content_type="application/json"
        )
        assert (on_page.status_code, through_api.status_code) == (403, 403)
        with tenant_a.ctx():
            assert ActionItem.objects.get(pk=item.pk).status == "open"
    # Adding to the register stays the team's work.
    on_page = page(client_for, tenant_a, Role.EXECUTIVE).post(
        url("action_add", account_a.pk), {"title": "New", "status": "open"}
    )
    through_api = api(tenant_a, Role.EXECUTIVE).post(
        "/api/v1/action-items/", {"account": account_a.pk, "title": "New"}, content_type="application/json"
    )
    assert (on_page.status_code, through_api.status_code) == (403, 403)


def test_viewer_may_not_update_own_action(tenant_a, account_a, client_for):
    viewer = tenant_a.users[Role.VIEWER]
    item = action(tenant_a, account_a, viewer)
    on_page = page(client_for, tenant_a, Role.VIEWER).post(
        url("action_edit", account_a.pk, item.pk), action_form(item, status="done")
    )
    through_api = api(tenant_a, Role.VIEWER).patch(
        f"/api/v1/action-items/{item.pk}/", {"status": "done"}, content_type="application/json"
    )
    assert (on_page.status_code, through_api.status_code) == (403, 403)


def test_another_tenants_action_is_not_found(tenant_a, tenant_b, executive_on_team, client_for):
    theirs = make_account(tenant_b, "Bravo account")
    item = action(tenant_b, theirs, tenant_b.users[Role.EXECUTIVE])
    on_page = page(client_for, tenant_a, Role.EXECUTIVE).post(
        url("action_edit", theirs.pk, item.pk), action_form(item, status="done")
    )
    through_api = api(tenant_a, Role.EXECUTIVE).patch(
        f"/api/v1/action-items/{item.pk}/", {"status": "done"}, content_type="application/json"
    )
    assert (on_page.status_code, through_api.status_code) == (404, 404)
