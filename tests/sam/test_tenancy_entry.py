"""The remembered entry: a workspace's tenant and membership kept in the session, checked by the request's first
statement, so a request that reads nothing touches no database and a change is seen by the next one that does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sam.models import Membership, Tenant
from sam.roles import Role
from sam.tenancy.middleware import ENTRIES_KEY

pytestmark = pytest.mark.django_db


def members_page(client, slug: str = "alpha"):
    return client.get(f"/t/{slug}/admin/members/")


def test_the_session_remembers_the_entry_after_the_first_page(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert members_page(client).status_code == 200
    entries = client.session[ENTRIES_KEY]
    assert list(entries) == ["alpha"]
    assert entries["alpha"][0][0] == tenant_a.tenant.pk


@pytest.mark.urls("bench.urls")
@pytest.mark.django_db(transaction=True)  # the request's transaction is the outermost one, as in production
def test_a_view_that_reads_nothing_runs_no_statement(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/bench/hello/").status_code == 200  # the full entry, remembered
    assert client.get("/t/alpha/bench/hello/").status_code == 200  # the user, cached again after last_tenant
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/t/alpha/bench/hello/")
    assert response.status_code == 200
    # Django notes the transaction's start and end; psycopg sends nothing for a transaction no statement began.
    assert [q["sql"] for q in queries.captured_queries] == ["BEGIN", "COMMIT"]


def test_a_page_that_reads_answers_as_on_the_full_path(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    with CaptureQueriesContext(connection) as full:
        first = members_page(client)
    with CaptureQueriesContext(connection) as remembered:
        again = members_page(client)
    assert first.status_code == again.status_code == 200
    assert tenant_a.admin.email in again.content.decode()
    # The same entry statements run (first on the remembered path); the remembered path adds none.
    assert len(remembered.captured_queries) <= len(full.captured_queries)


def test_a_changed_role_counts_at_the_next_request(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert members_page(client).status_code == 200
    with tenant_a.ctx():
        Membership.objects.filter(user=tenant_a.admin).update(role=Role.VIEWER)
    assert members_page(client).status_code == 403
    assert client.session[ENTRIES_KEY]["alpha"][1][3] == Role.VIEWER  # remembered afresh
    assert members_page(client).status_code == 403


def test_a_removed_member_gets_404_at_once(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200
    with tenant_a.ctx():
        Membership.objects.filter(user=tenant_a.admin).delete()
    assert client.get("/t/alpha/").status_code == 404
    assert "alpha" not in client.session.get(ENTRIES_KEY, {})


def test_a_deactivated_workspace_gets_404_at_once(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(active=False)
    assert client.get("/t/alpha/").status_code == 404


def test_a_renamed_workspace_shows_its_new_name(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(name="Alpha Renamed Ltd")
    assert "Alpha Renamed Ltd" in client.get("/t/alpha/").content.decode()


def test_a_remembered_entry_of_another_workspace_or_user_is_ignored(tenant_a, tenant_b, client_for):
    """A session can only remember what the full path found for its user; even so, a remembered entry naming
    another slug or another user is not used."""
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200
    session = client.session
    entries = session[ENTRIES_KEY]
    session[ENTRIES_KEY] = {"bravo": entries["alpha"]}  # alpha's rows under bravo's slug
    session.save()
    assert client.get("/t/bravo/").status_code == 404
    with tenant_b.ctx():
        other = Membership.objects.get(user=tenant_b.admin)
    session = client.session
    session[ENTRIES_KEY] = {
        "alpha": [entries["alpha"][0], [other.pk, tenant_a.tenant.pk, other.user_id, "admin", None]]
    }
    session.save()
    assert client.get("/t/alpha/").status_code == 200  # the full path: alpha's own admin


@pytest.mark.parametrize("garbage", [[], [[1], [2]], "x", [[None] * 4, [None] * 5], {"a": 1}])
def test_a_garbled_remembered_entry_falls_back_to_the_full_path(tenant_a, client_for, garbage):
    client = client_for(tenant_a.admin)
    session = client.session
    session[ENTRIES_KEY] = {"alpha": garbage}
    session.save()
    assert client.get("/t/alpha/").status_code == 200


def test_a_forged_entry_for_a_workspace_the_user_is_not_in_answers_404(tenant_a, tenant_b, client_for):
    """The first statement checks the rows against the database: a session claiming a membership in bravo (which a
    user of alpha cannot get from the full path) is refused."""
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200
    with tenant_b.ctx():
        bravo_admin = Membership.objects.get(user=tenant_b.admin)
    tenant_row = [tenant_b.tenant.pk, tenant_b.tenant.name, "bravo", True, tenant_b.tenant.created_at.isoformat()]
    forged = [bravo_admin.pk, tenant_b.tenant.pk, tenant_a.admin.pk, "admin", bravo_admin.created_at.isoformat()]
    session = client.session
    session[ENTRIES_KEY] = {"bravo": [tenant_row, forged]}
    session.save()
    response = client.get("/t/bravo/")
    assert response.status_code == 404
    assert "BRAVO" not in response.content.decode()


def test_a_stale_entry_met_while_switching_workspace_runs_again(tenant_a, tenant_b, client_for):
    """The first statement may be the middleware's own (remembering the last workspace): stale there too, the
    request runs again on the full path."""
    user = tenant_a.admin
    with tenant_b.ctx():
        from tests.factories import MembershipFactory

        MembershipFactory(user=user, role=Role.ADMIN)
    client = client_for(user)
    assert client.get("/t/alpha/").status_code == 200
    assert client.get("/t/bravo/").status_code == 200  # last workspace: bravo
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(name="Alpha Renamed Ltd")
    response = client.get("/t/alpha/")
    assert response.status_code == 200
    assert "Alpha Renamed Ltd" in response.content.decode()


def test_writes_take_the_full_path(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert members_page(client).status_code == 200
    with tenant_a.ctx():
        Membership.objects.filter(user=tenant_a.admin).update(role=Role.VIEWER)
    viewer = tenant_a.memberships[Role.VIEWER]
    response = client.post(f"/t/alpha/admin/members/{viewer.pk}/role/", {"role": "admin"})
    assert response.status_code == 403


def test_a_refusal_decided_on_the_remembered_role_is_checked_first(tenant_a, client_for):
    """A view that refuses before reading anything decided on the remembered role: the rows are checked before the
    refusal goes out, so a member given a higher role is not refused on the old one."""
    viewer = tenant_a.users[Role.VIEWER]
    client = client_for(viewer)
    assert members_page(client).status_code == 403  # remembered as a viewer
    with tenant_a.ctx():
        Membership.objects.filter(user=viewer).update(role=Role.ADMIN)
    assert members_page(client).status_code == 200
    assert client.session[ENTRIES_KEY]["alpha"][1][3] == Role.ADMIN


def test_the_api_without_a_header_follows_a_workspace_whose_slug_changed(tenant_a, client_for):
    """The browser's API reads without a header use the last workspace: by its id when the remembered slug no
    longer names it."""
    client = client_for(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200  # the last workspace, remembered
    assert client.get("/api/v1/members/").status_code == 200
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(slug="alpha-renamed")
    response = client.get("/api/v1/members/")
    assert response.status_code == 200
    assert response.json()["count"] == len(tenant_a.memberships)
    assert "alpha" not in client.session.get(ENTRIES_KEY, {})


def test_the_entry_rides_ahead_of_the_first_statement(tenant_a, client_for, monkeypatch):
    """On the remembered path the entry's statements and the request's first statement share one round trip: the
    separate check (a round trip of its own) is not used."""
    client = client_for(tenant_a.admin)
    assert members_page(client).status_code == 200
    import sam.tenancy.context as context

    def separate_trip(*args, **kwargs):
        raise AssertionError("the entry took a round trip of its own")

    monkeypatch.setattr(context, "run_together", separate_trip)
    response = members_page(client)
    assert response.status_code == 200 and tenant_a.admin.email in response.content.decode()


def _remembered(tenant_a):
    with tenant_a.ctx():
        membership = Membership.objects.get(user=tenant_a.admin)
    from sam.tenancy.context import RememberedEntry, entry_snapshot

    return RememberedEntry(entry_snapshot(tenant_a.tenant, membership), user_id=tenant_a.admin.pk)


def test_a_failing_first_statement_fails_as_itself_when_the_entry_holds(tenant_a):
    from django.db import DataError

    from sam.tenancy.context import member_context_remembered

    entry = _remembered(tenant_a)
    with pytest.raises(DataError), member_context_remembered(entry), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert not entry.stale


def test_a_failing_first_statement_of_a_stale_entry_is_a_stale_entry(tenant_a):
    """What the statement did under a no-longer-valid entry is never the answer: the request runs again."""
    from sam.tenancy.context import StaleEntry, member_context_remembered

    entry = _remembered(tenant_a)
    with tenant_a.ctx():
        Membership.objects.filter(user=tenant_a.admin).update(role=Role.VIEWER)
    with pytest.raises(StaleEntry), member_context_remembered(entry), connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert entry.stale
    entry = _remembered(tenant_a)  # as a viewer now
    with tenant_a.ctx():
        Membership.objects.filter(user=tenant_a.admin).update(role=Role.ADMIN)
    with pytest.raises(StaleEntry), member_context_remembered(entry), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sam_membership")
        cursor.fetchall()
