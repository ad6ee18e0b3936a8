"""The record of data changes, kept by the database (sam/history.py): every tracked table has its trigger; saves,
bulk updates and raw SQL are recorded with the fields' old and new values, the person and the request or task; the
app cannot alter the record; each workspace sees only its own."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Deliverable
from sam import history
from sam.models import ApiToken, DataChange
from sam.roles import Role
from sam.services import token_create
from sam.tenancy.context import origin, tenant_context

pytestmark = pytest.mark.django_db


def last(table: str, row_id: int) -> DataChange:
    return DataChange.objects.filter(table=table, row_id=row_id).order_by("-id").first()


def test_every_tracked_table_has_its_trigger_and_no_other_has_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name = %s",
            [history.TRIGGER],
        )
        with_trigger = {row[0] for row in cursor.fetchall()}
    tracked = {m._meta.db_table for m in history.tracked_models()}
    assert tracked == with_trigger
    assert len(tracked) > 70
    assert not {"sam_datachange", "sam_auditevent", "sam_outboundemail", "assessments_fourrsresult"} & with_trigger


def test_a_save_records_each_changed_field_with_who_and_where(tenant_a, account_a) -> None:
    manager = tenant_a.users[Role.ACCOUNT_MANAGER]
    with origin("request abc123 POST /t/alpha/accounts/1/edit/"), tenant_context(tenant_a.tenant, user_id=manager.pk):
        account = Account.objects.get(pk=account_a.pk)
        old_name = account.name
        account.name = "Renamed Ltd"
        account.save()
        change = last("accounts_account", account.pk)
    assert change.action == "update"
    assert change.changes == {"name": [old_name, "Renamed Ltd"]}
    assert change.actor_id == manager.pk
    assert change.origin == "request abc123 POST /t/alpha/accounts/1/edit/"
    assert change.account_id == account.pk


def test_bulk_updates_raw_sql_and_deletes_are_recorded(tenant_a, account_a) -> None:
    with tenant_a.ctx():
        deliverable = Deliverable.objects.filter(account=account_a).order_by("pk").first()
        created = last("accounts_deliverable", deliverable.pk)
        assert created.action == "insert"
        assert created.changes["role"] == [None, deliverable.role]
        assert created.account_id == account_a.pk
        assert created.actor_id is None  # no one signed in: the system

        Deliverable.objects.filter(pk=deliverable.pk).update(note="Monthly report")
        Deliverable.objects.filter(pk=deliverable.pk).update(note="Weekly report")
        assert last("accounts_deliverable", deliverable.pk).changes == {"note": ["Monthly report", "Weekly report"]}

        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_deliverable SET note = 'Daily report' WHERE id = %s", [deliverable.pk])
        assert last("accounts_deliverable", deliverable.pk).changes == {"note": ["Weekly report", "Daily report"]}

        count = DataChange.objects.count()
        Deliverable.objects.filter(pk=deliverable.pk).update(note="Daily report")  # no change: nothing recorded
        assert DataChange.objects.count() == count

        Deliverable.objects.filter(pk=deliverable.pk).delete()
        deleted = last("accounts_deliverable", deliverable.pk)
        assert deleted.action == "delete"
        assert deleted.changes["note"] == ["Daily report", None]


def test_a_row_part_of_another_gets_its_account(tenant_a, account_a) -> None:
    from qbr.models import AgendaItem, Qbr

    with tenant_a.ctx():
        qbr = Qbr.objects.create(
            account=account_a, period_label="2026-Q4", period_start=date(2026, 10, 1), period_end=date(2026, 12, 31)
        )
        item = AgendaItem.objects.create(qbr=qbr, title="Service review", order=9)
        assert last("qbr_agendaitem", item.pk).account_id == account_a.pk


def test_secrets_hashes_are_recorded_as_changed_without_their_values(tenant_a) -> None:
    membership = tenant_a.memberships[Role.ADMIN]
    with tenant_a.ctx():
        token, secret = token_create(membership=membership, name="CI", expires_in_days=None)
        change = last("sam_apitoken", token.pk)
    hashed = [column for column in change.changes if history.HIDDEN.search(column)]
    assert hashed
    for column in hashed:
        assert change.changes[column] == [None, history.HIDDEN_VALUE]
    assert secret not in str(change.changes)
    assert ApiToken.objects.model._meta.db_table == "sam_apitoken"


def test_the_app_cannot_alter_or_delete_the_record(tenant_a, account_a) -> None:
    with tenant_a.ctx():
        change = last("accounts_account", account_a.pk)
        forged = (
            'INSERT INTO sam_datachange (tenant_id, "table", row_id, action, changes, origin, created_at) '
            "SELECT tenant_id, \"table\", row_id, action, changes, 'forged', now() FROM sam_datachange"
        )
        for statement in ("UPDATE sam_datachange SET actor_id = 1", "DELETE FROM sam_datachange", forged):
            with (
                pytest.raises(DatabaseError, match="permission denied"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement + " WHERE id = %s", [change.pk])
        assert DataChange.objects.filter(pk=change.pk).exists()
        assert history.forget_workspace() == 0  # the workspace still exists: its record stays
        assert DataChange.objects.filter(pk=change.pk).exists()


def test_each_workspace_sees_only_its_own_record(tenant_a, tenant_b, account_a) -> None:
    with tenant_a.ctx():
        assert DataChange.objects.filter(account_id=account_a.pk).exists()
    with tenant_b.ctx(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sam_datachange WHERE account_id = %s", [account_a.pk])
        assert cursor.fetchone()[0] == 0


def test_anonymous_answers_are_not_recorded(tenant_a) -> None:
    from assessments.models import FourRsResult

    assert not FourRsResult.track_changes
    assert "assessments_fourrsresult" not in {m._meta.db_table for m in history.tracked_models()}


# --- the pages -------------------------------------------------------------------------------------------------------


def test_the_account_history_tab_answers_who_changed_a_field_and_when(tenant_a, account_a, client_for) -> None:
    from accounts import services

    member = tenant_a.users[Role.MEMBER]
    with tenant_a.ctx():
        services.team_assign(account=account_a, user_id=member.pk, role="technical_lead")
        own = Deliverable.objects.get(account=account_a, role="technical_lead")
    client = client_for(member, HTTP_X_REQUEST_ID="req-history-0001")
    data = {"status": "current", "owner": member.pk, "last_reviewed": "2026-11-30", "link": "", "note": "Quarterly"}
    edit = reverse(
        "deliverable_edit", kwargs={"tenant_slug": "alpha", "account_id": account_a.pk, "deliverable_id": own.pk}
    )
    assert client.post(edit, data).status_code == 302

    detail = reverse("account_detail", kwargs={"tenant_slug": "alpha", "account_id": account_a.pk})
    page = client.get(detail, {"tab": "history", "kind": "accounts-deliverable", "row": own.pk})
    assert page.status_code == 200
    text = page.content.decode()
    (row,) = [r for r in page.context["rows"] if "req-history-0001" in r.change.origin]
    assert row.actor == member.full_name
    assert row.change.origin.startswith("request req-history-0001 POST ")
    fields = {f.label: (f.old, f.new) for f in row.fields}
    assert fields["Note"] == ("—", "Quarterly")
    assert fields["Last reviewed"] == ("—", "2026-11-30")
    assert fields["Status"] == ("Missing", "Current")
    assert "Quarterly" in text and member.full_name in text and "Changed" in text
    # every row of the page belongs to that deliverable
    assert {r.change.row_id for r in page.context["rows"]} == {own.pk}


def test_the_workspace_page_of_changes_is_for_admins_and_executives(tenant_a, account_a, client_for) -> None:
    audit = reverse("audit", kwargs={"tenant_slug": "alpha"})
    for role, status in {Role.ADMIN: 200, Role.EXECUTIVE: 200, Role.ACCOUNT_MANAGER: 403, Role.MEMBER: 403}.items():
        assert client_for(tenant_a.users[role]).get(audit).status_code == status
        export = reverse("audit_export", kwargs={"tenant_slug": "alpha"})
        assert client_for(tenant_a.users[role]).get(export).status_code == status


def test_filters_narrow_the_changes_and_bad_filters_are_refused(tenant_a, account_a, client_for) -> None:
    admin, manager = tenant_a.admin, tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_context(tenant_a.tenant, user_id=manager.pk):
        Account.objects.filter(pk=account_a.pk).update(name="By the manager")
    client = client_for(admin)
    audit = reverse("audit", kwargs={"tenant_slug": "alpha"})
    page = client.get(audit, {"person": manager.pk, "kind": "accounts-account", "action": "update"})
    assert page.status_code == 200
    assert [(r.change.row_id, r.actor) for r in page.context["rows"]] == [(account_a.pk, manager.full_name)]
    today = timezone.localdate()
    assert client.get(audit, {"since": (today + timedelta(days=1)).isoformat()}).context["rows"] == []
    assert client.get(audit, {"until": today.isoformat()}).context["rows"]
    for bad in (
        {"since": "2026-02-30"},
        {"row": "5"},
        {"kind": "nope"},
        {"person": "abc"},
        {"since": "2026-12-02", "until": "2026-12-01"},
        {"row": "1" * 30},
    ):
        answer = client.get(audit, bad)
        assert answer.status_code == 400, bad
        assert "Check the filter" in answer.content.decode()
        assert client.get(reverse("audit_export", kwargs={"tenant_slug": "alpha"}), bad).status_code == 400


def test_the_export_has_one_line_per_field_and_is_inert_in_spreadsheets(tenant_a, account_a, client_for) -> None:
    with tenant_context(tenant_a.tenant, user_id=tenant_a.admin.pk):
        Account.objects.filter(pk=account_a.pk).update(name='=HYPERLINK("http://evil.example")', industry="Chemicals")
    answer = client_for(tenant_a.admin).get(
        reverse("audit_export", kwargs={"tenant_slug": "alpha"}), {"kind": "accounts-account", "action": "update"}
    )
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    assert lines[0][:3] == ["When", "Person", "Action"]
    by_field = {line[6]: line for line in lines[1:]}
    assert by_field["Name"][8] == '\'=HYPERLINK("http://evil.example")'
    assert by_field["Industry"][8] == "Chemicals" and by_field["Industry"][1] == tenant_a.admin.full_name


def test_another_workspace_sees_none_of_the_changes(tenant_a, tenant_b, account_a, client_for) -> None:
    client = client_for(tenant_b.admin)
    page = client.get(
        reverse("audit", kwargs={"tenant_slug": "bravo"}), {"kind": "accounts-account", "row": account_a.pk}
    )
    assert page.status_code == 200 and page.context["rows"] == []
    assert "ALPHA-SECRET" not in client.get(reverse("audit", kwargs={"tenant_slug": "bravo"})).content.decode()
    detail = reverse("account_detail", kwargs={"tenant_slug": "bravo", "account_id": account_a.pk})
    assert client.get(detail, {"tab": "history"}).status_code == 404


def test_the_pages_of_changes_run_a_fixed_number_of_queries(tenant_a, account_a, client_for) -> None:
    """A page of a few changes and a page of 50 of the same kinds cost the same: one query per kind of row named on
    the page and one for people, never one per change."""
    client = client_for(tenant_a.admin)
    audit = reverse("audit", kwargs={"tenant_slug": "alpha"})
    detail = reverse("account_detail", kwargs={"tenant_slug": "alpha", "account_id": account_a.pk})
    people = [tenant_a.users[role] for role in (Role.ACCOUNT_MANAGER, Role.MEMBER, Role.ADMIN)]

    def change(times: int) -> None:
        for n in range(times):
            with tenant_context(tenant_a.tenant, user_id=people[n % 3].pk):
                Account.objects.filter(pk=account_a.pk).update(name=f"Name {n}", owner=people[n % 3])
                Deliverable.objects.filter(account=account_a).update(owner=people[n % 3], note=f"Note {n}")

    assert client.get(detail, {"tab": "history"}).status_code == 200  # the same page of changes, in the tab

    def counts() -> tuple[int, int, int]:
        query = {"kind": "accounts-deliverable", "action": "update"}
        with CaptureQueriesContext(connection) as one:
            assert client.get(audit, query).status_code == 200
        with CaptureQueriesContext(connection) as two:
            assert client.get(audit, {**query, "person": people[1].pk}).status_code == 200
        with CaptureQueriesContext(connection) as three:
            assert client.get(audit, {"kind": "accounts-account"}).status_code == 200
        return len(one), len(two), len(three)

    change(3)
    counts()  # the session's first pages remember the workspace and membership; the account's facts are cached
    few = counts()
    change(30)
    counts()
    shown = client.get(audit, {"kind": "accounts-deliverable", "action": "update"}).context["rows"]
    assert len(shown) == 50
    assert counts() == few


def test_a_rows_page_links_to_its_history(tenant_a, account_a, client_for) -> None:
    from scorecards.services import template_defaults_ensure

    admin = client_for(tenant_a.admin)
    with tenant_a.ctx():
        deliverable = Deliverable.objects.filter(account=account_a).order_by("pk").first()
        template = template_defaults_ensure()
    edit = reverse(
        "deliverable_edit",
        kwargs={"tenant_slug": "alpha", "account_id": account_a.pk, "deliverable_id": deliverable.pk},
    )
    tab = reverse("account_detail", kwargs={"tenant_slug": "alpha", "account_id": account_a.pk})
    link = f"{tab}?tab=history&amp;kind=accounts-deliverable&amp;row={deliverable.pk}"
    assert link in admin.get(edit).content.decode()
    # a row of no account: the workspace's page of changes, for those who may see it
    page = reverse("scorecard_template", kwargs={"tenant_slug": "alpha", "template_id": template.pk})
    audit = reverse("audit", kwargs={"tenant_slug": "alpha"})
    assert f"{audit}?kind=scorecards-scorecardtemplate&amp;row={template.pk}" in admin.get(page).content.decode()
    shown = admin.get(audit, {"kind": "scorecards-scorecardtemplate", "row": template.pk}).context["rows"]
    assert [(r.action_label, r.object_label) for r in shown][-1] == ("Created", template.name)


def test_a_survey_links_token_never_reaches_the_record(tenant_a, account_a, client) -> None:
    """Opening a survey changes its invitation; the record names the request without the link's live token."""
    from tests.voc.test_tokens import invite

    token, invitation, _ = invite(tenant_a, account_a)
    assert client.get(f"/s/{token}/", follow=True).status_code == 200
    with tenant_a.ctx():
        origins = list(DataChange.objects.filter(table="voc_invitation").values_list("origin", flat=True))
        opened = last("voc_invitation", invitation.pk)
    assert any("/s/[token]/" in o for o in origins), origins
    assert not any(token in o for o in origins)
    assert opened.account_id == account_a.pk  # an invitation's account: through its contact


def test_a_survey_answer_belongs_to_its_contacts_account(tenant_a, account_a) -> None:
    from tests.voc.test_tokens import invite, submit

    token, _, answers = invite(tenant_a, account_a)
    with tenant_a.ctx():
        submit(token, answers)
        answer = DataChange.objects.filter(table="voc_response", action="insert").get()
    assert answer.account_id == account_a.pk


def test_a_deleted_contacts_values_leave_the_record(tenant_a, account_a, client_for) -> None:
    from accounts.models import Contact

    with tenant_a.ctx():
        contact = Contact.objects.create(account=account_a, name="Dana Gone", email="dana@example.test")
    delete = reverse(
        "contact_delete", kwargs={"tenant_slug": "alpha", "account_id": account_a.pk, "contact_id": contact.pk}
    )
    assert client_for(tenant_a.admin).post(delete).status_code == 302
    with tenant_a.ctx():
        records = list(DataChange.objects.filter(table="accounts_contact", row_id=contact.pk))
    assert {r.action for r in records} == {"insert", "delete"}
    assert "Dana Gone" not in str([r.changes for r in records]) and "dana@" not in str([r.changes for r in records])
