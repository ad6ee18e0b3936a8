"""Account pages: portfolio, tabs, forms with their errors, permissions, My actions, CSV import."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import (
    Account,
    AccountsSettings,
    ActionItem,
    Contact,
    Contract,
    Deliverable,
    ImportBatch,
    Incident,
    IncidentCategory,
    RecurringIssue,
    SelectionCriterion,
    TeamAssignment,
    Tier,
)
from sam.models import WorkspaceSettings
from sam.roles import Role
from scorecards.models import ScorecardSettings
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def test_portfolio_ranks_by_score_and_shows_revenue(tenant_a, client_for):
    low = make_account(tenant_a, "Low", annual_revenue=99_000_000)
    high = make_account(tenant_a, "High", annual_revenue=1_000)
    with tenant_a.ctx():
        Account.objects.filter(pk=low.pk).update(strategic_score=10)
        Account.objects.filter(pk=high.pk).update(strategic_score=90)
    html = client_for(tenant_a.admin).get(url("portfolio")).content.decode()
    assert html.index("High") < html.index("Low")  # score first, not revenue
    assert "USD 99,000,000" in html and "90.0" in html


def test_portfolio_search_filter_sort_and_htmx_partial(tenant_a, client_for):
    make_account(tenant_a, "Globex", industry="Logistics")
    make_account(tenant_a, "Initech", tier="Key")
    client = client_for(tenant_a.admin)
    with tenant_a.ctx():
        key = Tier.objects.get(name="Key")
    assert b"Initech" not in client.get(url("portfolio"), {"q": "logist"}).content
    response = client.get(url("portfolio"), {"tier": key.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"') and "<html" not in body
    assert "Initech" in body and "Globex" not in body
    body = client.get(url("portfolio"), {"sort": "name"}).content.decode()
    assert body.index("Globex") < body.index("Initech")
    assert b"No account matches these filters" in client.get(url("portfolio"), {"q": "zzz"}).content


def test_portfolio_flags(tenant_a, client_for):
    account = make_account(tenant_a, "Flagged")
    make_account(tenant_a, "Quiet")
    with tenant_a.ctx():
        services.action_item_add(account=account, title="Late", due=timezone.localdate() - timedelta(days=2))
    client = client_for(tenant_a.admin)
    body = client.get(url("portfolio"), {"flag": "overdue"}).content.decode()
    assert "Flagged" in body and "Quiet" not in body
    assert "1 overdue" in body and "1/6 needed team roles" in body


def test_portfolio_empty_state(tenant_a, client_for):
    body = client_for(tenant_a.admin).get(url("portfolio")).content.decode()
    assert "No strategic accounts yet" in body and "Add the first account" in body


def _portfolio_rows(world, start, count):
    with world.ctx():
        tier = Tier.objects.get(name="Strategic")
        parent = None
        for n in range(start, start + count):
            account, _ = services.account_create(
                data={"name": f"Account {n:03}", "tier": tier, "owner": world.admin, "parent": parent}, acting_user=None
            )
            parent = parent or account
            services.action_item_add(account=account, title="x", due=timezone.localdate())
            services.contract_save(
                account=account,
                data={"title": "c", "start": timezone.localdate(), "end": timezone.localdate() + timedelta(days=90)},
            )


def test_portfolio_query_count_is_constant(tenant_a, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(tenant_a.admin)
    _portfolio_rows(tenant_a, 0, 30)
    client.get(url("portfolio"))
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        client.get(url("portfolio"), {"page": 2})
    _portfolio_rows(tenant_a, 30, 100)  # 130 accounts
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        response = client.get(url("portfolio"), {"page": 3})
    assert response.content.count(b"<tr>") == 26  # header + a full page of 25
    assert few.final_queries - few.initial_queries <= 14


@pytest.mark.parametrize("tab", ["overview", "team", "contacts", "plan", "actions", "incidents", "contracts", "voc"])
def test_account_tabs_query_count_is_constant(tenant_a, client_for, django_assert_max_num_queries, tab):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = make_account(tenant_a)
    client = client_for(tenant_a.admin)
    path = url("account_detail", account.pk) + f"?tab={tab}"

    def add(count):
        with tenant_a.ctx():
            cat = IncidentCategory.objects.get(name="Outage")
            goal = services.goal_add(account=account, title="G")
            for n in range(count):
                services.contact_save(account=account, data={"name": f"C{n}", "email": f"c{n}{count}@x.test"})
                objective = services.objective_add(goal=goal, title=f"O{n}")
                services.action_item_add(account=account, title=f"A{n}", owner=tenant_a.admin, objective=objective)
                services.incident_record(account=account, data={"category": cat, "summary": f"I{n}"})
                services.contract_save(
                    account=account,
                    data={
                        "title": f"K{n}",
                        "start": timezone.localdate(),
                        "end": timezone.localdate() + timedelta(days=9),
                    },
                )
            services.team_assign(account=account, user_id=tenant_a.users[Role.MEMBER].pk, role="technical_lead")
            services.plan_review_record(account=account, acting_user=tenant_a.admin)
            services.criteria_answers_save(
                account=account, answers={c.pk: (3, "ok") for c in SelectionCriterion.objects.all()}
            )

    add(1)
    client.get(path)
    connection.queries_log.clear()  # a request resets the log: start from empty
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    add(20)
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        assert client.get(path).status_code == 200


def test_create_account_with_errors_then_success(tenant_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        tier = Tier.objects.get(name="Strategic")
    response = client.post(url("account_create"), {"name": "", "tier": tier.pk, "currency": "dollars", "status": "x"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"name", "currency", "status"} <= set(errors)
    assert b'aria-invalid="true"' in response.content
    response = client.post(
        url("account_create"),
        {"name": "Globex", "tier": tier.pk, "currency": "eur", "status": "active", "annual_revenue": "1200000"},
    )
    assert response.status_code == 302
    with tenant_a.ctx():
        account = Account.objects.get(name="Globex")
    assert account.currency == "EUR"


def test_other_tenants_ids_in_form_fields_are_rejected(tenant_a, tenant_b, client_for):
    with tenant_b.ctx():
        b_tier = Tier.objects.get(name="Strategic")
    b_account = make_account(tenant_b, "Bravo Corp")
    client = client_for(tenant_a.admin)
    response = client.post(
        url("account_create"),
        {"name": "X", "tier": b_tier.pk, "currency": "USD", "status": "active", "parent": b_account.pk},
    )
    assert response.status_code == 400
    assert {"tier", "parent"} <= set(response.context["form"].errors)
    with tenant_a.ctx():
        a_tier = Tier.objects.get(name="Key")
    response = client.post(
        url("account_create"),
        {"name": "X", "tier": a_tier.pk, "owner": tenant_b.admin.pk, "currency": "USD", "status": "active"},
    )
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    with tenant_a.ctx():
        assert not Account.objects.exists()


def test_leaving_strategic_tier_asks_for_a_reason(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        key = Tier.objects.get(name="Key")
    data = {"name": "Globex", "tier": key.pk, "currency": "USD", "status": "active", "owner": account_a.owner_id}
    response = client.post(url("account_edit", account_a.pk), data)
    assert response.status_code == 400 and "tier_reason" in response.context["form"].errors
    response = client.post(url("account_edit", account_a.pk), {**data, "tier_reason": "Lost the tender"})
    assert response.status_code == 302
    body = client.get(url("account_detail", account_a.pk)).content.decode()
    assert "Reason: Lost the tender" in body


def test_delete_asks_then_soft_deletes(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert b"Remove account" in client.get(url("account_delete", account_a.pk)).content
    client.post(url("account_delete", account_a.pk), {"reason": "Acquired"})
    assert client.get(url("account_detail", account_a.pk)).status_code == 404
    with tenant_a.ctx():
        assert Account.objects.filter(pk=account_a.pk, deleted_at__isnull=False).exists()


# --- permissions: who may do what on an account ---------------------------------------------


def _writes(account):
    """Every write route on an account page, with valid data."""
    today = timezone.localdate().isoformat()
    return {
        "edit": (
            url("account_edit", account.pk),
            {
                "name": "Globex",
                "tier": account.tier_id,
                "currency": "USD",
                "status": "active",
                "owner": account.owner_id,
            },
        ),
        "contract": (
            url("contract_add", account.pk),
            {"title": "MSA", "start": "2025-01-01", "end": "2027-01-01", "currency": "USD"},
        ),
        "contact": (
            url("contact_add", account.pk),
            {"name": "New", "buyer_role": "other", "influence": 3, "relationship_strength": 3},
        ),
        "goal": (url("goal_add", account.pk), {"title": "Grow"}),
        "action": (url("action_add", account.pk), {"title": "Call", "status": "open"}),
        "criteria": (url("account_criteria", account.pk), {}),
        "team": (url("team_add", account.pk), {"user": account.owner_id, "role": "sales_engineer"}),
        "review": (url("plan_review", account.pk), {"note": "ok"}),
        "incident": (
            url("incident_add", account.pk),
            {
                "category": IncidentCategory.objects.first().pk,
                "severity": "low",
                "opened_at": today + "T09:00",
                "summary": "Down",
            },
        ),
    }


# role -> writes allowed (admin and the owning AM: all; team members: the team's work)
EVERYTHING = {"edit", "contract", "contact", "goal", "action", "incident", "criteria", "team", "review"}
TEAM_WORK = {"goal", "action", "incident", "review"}
EXPECTED = {
    "admin": EVERYTHING,
    "owner": EVERYTHING,
    "other_am_on_team": TEAM_WORK,
    "other_am": set(),
    "member_on_team": TEAM_WORK,
    "member": set(),
    "executive": set(),
    "viewer": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_write_permissions_matrix(tenant_a, client_for, who):
    from tests.factories import MembershipFactory, UserFactory

    account = make_account(tenant_a)
    with tenant_a.ctx():
        other_am = MembershipFactory(user=UserFactory(), role=Role.ACCOUNT_MANAGER).user
        users = {
            "admin": tenant_a.admin,
            "owner": tenant_a.users[Role.ACCOUNT_MANAGER],
            "other_am_on_team": other_am,
            "other_am": MembershipFactory(user=UserFactory(), role=Role.ACCOUNT_MANAGER).user,
            "member_on_team": tenant_a.users[Role.MEMBER],
            "member": MembershipFactory(user=UserFactory(), role=Role.MEMBER).user,
            "executive": tenant_a.users[Role.EXECUTIVE],
            "viewer": tenant_a.users[Role.VIEWER],
        }
        services.team_assign(account=account, user_id=other_am.pk, role="sales_engineer")
        services.team_assign(account=account, user_id=tenant_a.users[Role.MEMBER].pk, role="technical_lead")
        writes = _writes(account)
    client = client_for(users[who])
    assert client.get(url("account_detail", account.pk)).status_code == 200  # everyone reads
    allowed = set()
    for name, (path, data) in writes.items():
        response = client.post(path, data)
        assert response.status_code in (302, 403), f"{who} {name}: {response.status_code}"
        if response.status_code == 302:
            allowed.add(name)
    assert allowed == EXPECTED[who]


def test_member_edits_only_own_deliverables(tenant_a, account_a, client_for):
    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        own = Deliverable.objects.get(account=account_a, role="technical_lead")
        other = Deliverable.objects.get(account=account_a, role="sales_engineer")
    client = client_for(member)
    today = timezone.localdate().isoformat()
    data = {"status": "current", "owner": member.pk, "last_reviewed": today, "link": "docs.example/x", "note": ""}
    assert client.post(url("deliverable_edit", account_a.pk, own.pk), data).status_code == 302
    assert client.post(url("deliverable_edit", account_a.pk, other.pk), data).status_code == 403
    with tenant_a.ctx():
        own.refresh_from_db()
    assert own.link == "https://docs.example/x" and own.status == "current"


# --- tabs with forms ----------------------------------------------------------------------------------


def test_contract_end_before_start_shows_field_error(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    response = client.post(
        url("contract_add", account_a.pk), {"title": "MSA", "start": "2026-05-01", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The end date must be after the start date." in response.content.decode()
    response = client.post(
        url("contract_add", account_a.pk),
        {"title": "MSA", "start": "2026-05-01", "end": "2026-01-01"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422 and b'id="account-tabs"' in response.content
    with tenant_a.ctx():
        assert not Contract.objects.exists()


def test_duplicate_contact_email_is_rejected_in_the_form(tenant_a, account_a, client_for):
    client = client_for(tenant_a.admin)
    data = {"name": "Hank", "email": "hank@globex.example", "buyer_role": "economic", "influence": 5,
            "relationship_strength": 2}  # fmt: skip
    assert client.post(url("contact_add", account_a.pk), data).status_code == 302
    response = client.post(url("contact_add", account_a.pk), {**data, "email": "HANK@globex.example"})
    assert response.status_code == 400
    assert "Another contact of this account has this email." in response.content.decode()
    for bad in ({"influence": 9}, {"relationship_strength": 0}, {"email": "nope"}, {"name": "x" * 300}):
        assert client.post(url("contact_add", account_a.pk), {**data, "email": "z@z.test", **bad}).status_code == 400
    with tenant_a.ctx():
        assert Contact.objects.count() == 1


def test_stakeholder_map_shows_uncovered_and_weak_roles(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        services.contact_save(
            account=account_a, data={"name": "CFO", "buyer_role": "economic", "relationship_strength": 2}
        )
        services.contact_save(
            account=account_a, data={"name": "CTO", "buyer_role": "technical", "relationship_strength": 5}
        )
    from accounts.selectors import stakeholder_map

    with tenant_a.ctx():
        states = {g["role"]: g["state"] for g in stakeholder_map(account_a)}
    assert states["economic"] == "weak" and states["technical"] == "covered" and states["usage"] == "uncovered"
    body = client_for(tenant_a.admin).get(url("account_detail", account_a.pk) + "?tab=contacts").content.decode()
    assert "Stakeholder map" in body and "uncovered" in body and "weak" in body


def test_action_owner_from_other_tenant_is_rejected(tenant_a, tenant_b, account_a, client_for):
    client = client_for(tenant_a.admin)
    response = client.post(
        url("action_add", account_a.pk), {"title": "Call", "status": "open", "owner": tenant_b.admin.pk}
    )
    assert response.status_code == 400 and "owner" in response.context["action_form"].errors
    with tenant_a.ctx():
        assert not ActionItem.objects.exists()


def test_recurring_issue_page_and_close(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        for _ in range(3):
            services.incident_record(account=account_a, data={"category": cat, "summary": "Down"})
        issue = RecurringIssue.objects.get()
    client = client_for(tenant_a.admin)
    body = client.get(url("account_detail", account_a.pk) + "?tab=incidents").content.decode()
    assert "Outage" in body and "owner" in body
    data = {"owner": tenant_a.admin.pk, "status": "closed", "root_cause": "", "decision_needed": ""}
    response = client.post(url("recurring_edit", account_a.pk, issue.pk), data)
    assert response.status_code == 400 and "root cause" in response.content.decode()
    client.post(url("recurring_edit", account_a.pk, issue.pk), {**data, "root_cause": "Old firmware"})
    with tenant_a.ctx():
        assert RecurringIssue.objects.get().status == "closed"


def test_my_actions_lists_my_open_items_across_accounts(tenant_a, client_for):
    member = tenant_a.users[Role.MEMBER]
    a, b = make_account(tenant_a, "A Corp"), make_account(tenant_a, "B Corp")
    with tenant_a.ctx():
        services.action_item_add(
            account=a, title="Mine late", owner=member, due=timezone.localdate() - timedelta(days=1)
        )
        services.action_item_add(
            account=b, title="Mine later", owner=member, due=timezone.localdate() + timedelta(days=5)
        )
        done, _ = services.action_item_add(account=b, title="Mine done", owner=member)
        services.action_item_update(item=done, data={"status": "done"}, acting_user=member)
        services.action_item_add(account=b, title="Not mine", owner=tenant_a.admin)
    body = client_for(member).get(url("my_actions")).content.decode()
    assert body.index("Mine late") < body.index("Mine later")
    assert "Mine done" not in body and "Not mine" not in body
    assert "1 overdue" in body and "A Corp" in body and "B Corp" in body
    assert b"Nothing open for you" in client_for(tenant_a.users[Role.VIEWER]).get(url("my_actions")).content


def test_an_action_edited_from_my_actions_returns_there(tenant_a, client_for):
    member = tenant_a.users[Role.ACCOUNT_MANAGER]  # the account's owner
    account = make_account(tenant_a, "A Corp")
    with tenant_a.ctx():
        item, _ = services.action_item_add(account=account, title="Call back", owner=member)
    client = client_for(member)
    edit = url("action_edit", account.pk, item.pk)
    assert f"{edit}?return_to=my_actions" in client.get(url("my_actions")).content.decode()
    page = client.get(f"{edit}?return_to=my_actions").content.decode()
    assert 'name="return_to" value="my_actions"' in page and f'href="{url("my_actions")}"' in page
    assert 'name="return_to"' not in client.get(edit).content.decode()
    data = {"title": "Call back", "owner": member.pk, "due": "", "status": "open", "objective": "", "detail": ""}
    assert client.post(edit, {**data, "return_to": "my_actions"})["Location"] == url("my_actions")
    for elsewhere in ("https://evil.example/", "plan", ""):  # not a page name: the account's register
        back = client.post(edit, {**data, "return_to": elsewhere})
        assert back["Location"] == url("account_detail", account.pk) + "?tab=actions"


# --- CSV import --------------------------------------------------------------------------------------


def upload(client, kind, text):
    file = SimpleUploadedFile("data.csv", text.encode(), content_type="text/csv")
    return client.post(url("import_upload", kind), {"file": file})


def test_csv_import_good_file(tenant_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    am = tenant_a.users[Role.ACCOUNT_MANAGER].email
    response = upload(
        client,
        "accounts",
        f'name,tier,industry,owner_email,annual_revenue,currency\nGlobex,Strategic,Logistics,{am},"1,200,000",EUR\n'
        "Initech,Key,Finance,,500000,usd\n",
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and b"All 2 rows pass the checks." in preview.content
    with tenant_a.ctx():
        assert not Account.objects.exists()  # nothing saved before the commit
    client.post(response["Location"])
    with tenant_a.ctx():
        assert sorted(Account.objects.values_list("name", "currency")) == [("Globex", "EUR"), ("Initech", "USD")]
    contacts = "account,name,email,buyer_role,influence\nGlobex,Hank,hank@globex.example,economic,5\n"
    client.post(upload(client, "contacts", contacts)["Location"])
    incidents = "account,category,opened_at,summary,severity\nGlobex,Outage,2026-11-01 10:00,Down,high\n"
    client.post(upload(client, "incidents", incidents)["Location"])
    with tenant_a.ctx():
        assert Contact.objects.get().buyer_role == "economic"
        assert Incident.objects.get().severity == "high"


def test_csv_import_neutralises_cells_a_spreadsheet_would_run_as_formulas(tenant_a, client_for):
    """A cell beginning with = + - @ is a formula to a spreadsheet (one that re-exports or opens the data later):
    it is kept as text with a leading apostrophe; numbers and phone numbers stay as typed."""
    client = client_for(tenant_a.admin)
    client.post(upload(client, "accounts", "name,tier\nGlobex,Strategic\n")["Location"])
    contacts = (
        "account,name,title,phone,influence\n"
        'Globex,"=HYPERLINK(""http://evil.example"",""x"")",@SUM(A1),+44 20 7946 0000,5\n'
        "Globex,-cmd|' /C calc'!A0,+1 (555) 010-0199,-2,4\n"
    )
    client.post(upload(client, "contacts", contacts.replace(",-2,4", ",+15550100,4"))["Location"])
    with tenant_a.ctx():
        found = sorted(Contact.objects.values_list("name", "title", "phone"))
    assert found == [
        ("'-cmd|' /C calc'!A0", "+1 (555) 010-0199", "+15550100"),
        ('\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)", "+44 20 7946 0000"),
    ]


def test_csv_import_with_bad_rows_saves_nothing_and_lists_every_problem(tenant_a, tenant_b, client_for):
    make_account(tenant_b, "Bravo Only")
    make_account(tenant_a, "Globex")
    client = client_for(tenant_a.admin)
    text = (
        "account,name,email,buyer_role,influence\n"
        "Globex,Good,good@globex.example,economic,5\n"
        "Bravo Only,Sneaky,s@b.example,economic,3\n"  # another tenant's account: not found
        "Globex,Bad role,b@globex.example,king,3\n"
        "Globex,Bad influence,c@globex.example,usage,9\n"
        "Globex,Dup,good@globex.example,usage,3\n"
    )
    response = upload(client, "contacts", text)
    preview = client.get(response["Location"])
    body = preview.content.decode()
    assert preview.status_code == 400
    assert "4 of 5 rows have problems" in body
    assert "No account named &#x27;Bravo Only&#x27;" in body
    assert "is not one of" in body and "from 1 to 5" in body and "Another contact of this account" in body
    assert client.post(response["Location"]).status_code == 400
    with tenant_a.ctx():
        assert not Contact.objects.exists()
        assert ImportBatch.objects.get().committed_at is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "The submitted file is empty."),
        ("name\nx\n", "Missing column(s): tier"),
        ("name,tier,colour\nx,Key,red\n", "Unknown column(s): colour"),
        ("name,tier\n", "no rows"),
    ],
)
def test_csv_whole_file_problems(tenant_a, client_for, text, message):
    response = upload(client_for(tenant_a.admin), "accounts", text)
    assert response.status_code == 400 and message in response.content.decode()


def test_csv_not_utf8(tenant_a, client_for):
    file = SimpleUploadedFile("data.csv", "name,tier\nZürich,Key\n".encode("latin-1"))
    response = client_for(tenant_a.admin).post(url("import_upload", "accounts"), {"file": file})
    assert b"not UTF-8" in response.content


def test_import_is_for_admins_and_account_managers(tenant_a, client_for):
    for role in (Role.EXECUTIVE, Role.MEMBER, Role.VIEWER):
        assert client_for(tenant_a.users[role]).get(url("import_upload", "accounts")).status_code == 403


def test_another_users_import_batch_is_not_found(tenant_a, client_for):
    with tenant_a.ctx():
        batch = ImportBatch.objects.create(kind="accounts", rows=[{"name": "x"}], created_by=tenant_a.admin)
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(url("import_preview", batch.pk)).status_code == 404


def test_program_settings(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    data = {"program-portfolio_band": "custom", "program-portfolio_custom_cap": "", "program-recurrence_threshold": 3,
            "program-recurrence_window_days": 30, "program-review_stale_days": 90,
            "program-quiet_role_days": 45,
            "program-removed_retention_days": 60,
            "program-paper_size": "A4"}  # fmt: skip
    assert client.post(url("program_rules"), data).status_code == 400
    assert client.post(url("program_rules"), {**data, "program-portfolio_custom_cap": 8}).status_code == 302
    with tenant_a.ctx():
        assert AccountsSettings.current().portfolio_cap == 8
        assert AccountsSettings.current().quiet_role_days == 45
    for bad in ("0", "-3", "x", "99999"):
        refused = {**data, "program-portfolio_custom_cap": 8, "program-quiet_role_days": bad}
        assert client.post(url("program_rules"), refused).status_code == 400
    assert client.post(url("program_rules"), {**data, "program-paper_size": "Letter",
                                                  "program-portfolio_custom_cap": 8}).status_code == 302  # fmt: skip
    with tenant_a.ctx():
        assert WorkspaceSettings.current().paper_size == "Letter"
    assert client.post(url("scorecard_period_length"), {"period_length": "fortnight"}).status_code == 400
    assert client.post(url("scorecard_period_length"), {"period_length": "month"}).status_code == 302
    assert (
        client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
        .post(url("scorecard_period_length"), {"period_length": "half"})
        .status_code
        == 403
    )
    with tenant_a.ctx():
        assert ScorecardSettings.current().period_length == "month"
    client.post(url("program_category_add"), {"name": "Network"})
    with tenant_a.ctx():
        assert IncidentCategory.objects.filter(name="Network").exists()
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(url("program_settings")).status_code == 403


def test_each_change_of_the_program_page_has_its_route(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert client.get(url("program_settings")).status_code == 200  # the default tiers, criteria and categories
    assert client.post(url("program_tier_add"), {"name": "Growth", "strategic": "on"}).status_code == 302
    assert client.post(url("program_tier_add"), {"name": "Growth"}).status_code == 400  # taken
    assert client.post(url("program_tier_add"), {"name": ""}).status_code == 400
    with tenant_a.ctx():
        growth = Tier.objects.get(name="Growth")
        assert growth.strategic
    assert (
        client.post(url("program_tier_edit", growth.pk), {"name": "Growth accounts", "strategic": "on"}).status_code
        == 302
    )
    assert client.post(url("program_tier_edit", 999999), {"name": "x"}).status_code == 404
    assert (
        client.post(url("program_criterion_add"), {"question": "Do they share plans?", "weight": "4"}).status_code
        == 302
    )
    for bad in ({"question": "", "weight": "4"}, {"question": "x", "weight": "11"}, {"question": "x", "weight": "two"},
                {"question": "a\x00b", "weight": "1"}):  # fmt: skip
        response = client.post(url("program_criterion_add"), bad)
        assert response.status_code == 400 and b"alert-danger" in response.content, bad
    with tenant_a.ctx():
        criterion = SelectionCriterion.objects.get(question="Do they share plans?")
        assert Tier.objects.get(pk=growth.pk).name == "Growth accounts"
    assert client.post(url("program_criterion_weight", criterion.pk), {"weight": "7"}).status_code == 302
    assert client.post(url("program_criterion_weight", criterion.pk), {"weight": "0"}).status_code == 400
    assert client.post(url("program_criterion_toggle", criterion.pk)).status_code == 302
    with tenant_a.ctx():
        criterion.refresh_from_db()
        assert criterion.weight == 7 and not criterion.active
        category = IncidentCategory.objects.order_by("pk").first()
    assert client.post(url("program_category_add"), {"name": category.name}).status_code == 400  # exists
    assert client.post(url("program_category_toggle", category.pk)).status_code == 302
    with tenant_a.ctx():
        assert not IncidentCategory.objects.get(pk=category.pk).active
    assert client.post(url("program_logo"), {}).status_code == 400
    assert client.get(url("program_tier_add")).status_code == 405
    manager = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert manager.post(url("program_category_add"), {"name": "Sneaky"}).status_code == 403
    assert manager.post(url("program_criterion_toggle", criterion.pk)).status_code == 403


def test_team_assignment_from_the_page(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    member = tenant_a.users[Role.MEMBER]
    client.post(url("team_add", account_a.pk), {"user": member.pk, "role": "customer_service_manager"})
    with tenant_a.ctx():
        assignment = TeamAssignment.objects.get(user=member)
    body = client.get(url("account_detail", account_a.pk) + "?tab=team").content.decode()
    assert "Customer Service Manager" in body and member.full_name in body
    client.post(url("team_remove", account_a.pk, assignment.pk))
    with tenant_a.ctx():
        assert not TeamAssignment.objects.filter(user=member).exists()


def test_deliverable_file_upload_and_scoped_download(tenant_a, tenant_b, account_a, client_for):
    with tenant_a.ctx():
        deliverable = Deliverable.objects.get(account=account_a, role="technical_lead")
    client = client_for(tenant_a.admin)
    file = SimpleUploadedFile("runbook.txt", b"operate, maintain, support", content_type="text/plain")
    data = {"status": "current", "owner": "", "last_reviewed": "", "link": "", "note": "", "file": file}
    assert client.post(url("deliverable_edit", account_a.pk, deliverable.pk), data).status_code == 302
    response = client.get(url("deliverable_file", account_a.pk, deliverable.pk))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"operate, maintain, support"
    assert client_for(tenant_b.admin).get(url("deliverable_file", account_a.pk, deliverable.pk)).status_code == 404


def test_contact_delete_asks_first(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        contact = services.contact_save(account=account_a, data={"name": "Hank"})
    client = client_for(tenant_a.admin)
    edit = client.get(url("contact_edit", account_a.pk, contact.pk)).content.decode()
    assert f'href="{url("contact_delete", account_a.pk, contact.pk)}">Delete</a>' in edit
    response = client.get(url("contact_delete", account_a.pk, contact.pk))
    assert response.status_code == 200 and b"Delete the contact Hank?" in response.content
    with tenant_a.ctx():
        assert Contact.objects.exists()
    assert (
        client.post(url("contact_edit", account_a.pk, contact.pk), {"delete": "1", "confirm": "1"}).status_code == 400
    )
    with tenant_a.ctx():
        assert Contact.objects.exists()  # the edit page saves (here: a contact without a name), never deletes
    client.post(url("contact_delete", account_a.pk, contact.pk))
    with tenant_a.ctx():
        assert not Contact.objects.exists()


def test_action_source_links_to_its_object(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        cat = IncidentCategory.objects.get(name="Outage")
        for _ in range(3):
            services.incident_record(account=account_a, data={"category": cat, "summary": "Down"})
        issue = RecurringIssue.objects.get()
    body = client_for(tenant_a.admin).get(url("account_detail", account_a.pk) + "?tab=actions").content.decode()
    assert f'href="{url("recurring_edit", account_a.pk, issue.pk)}">Recurring issue</a>' in body
