"""The API: token auth (one membership, one tenant), session auth, pagination, schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sam.models import ApiToken, AuditEvent, Membership
from sam.roles import Role
from sam.services import token_create
from tests.conftest import signed_in_client
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def token_for(world, role=Role.ADMIN, **kwargs) -> str:
    with world.ctx():
        _, full = token_create(membership=world.memberships[role], name="t", expires_in_days=kwargs.get("days"))
    return full


def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_me_with_token(tenant_a):
    response = api(token_for(tenant_a, Role.VIEWER)).get(reverse("me"))
    assert response.status_code == 200
    assert response.json()["tenant"]["slug"] == "alpha"
    assert response.json()["role"] == "viewer"
    assert response.json()["tenant"]["paper_size"] == "A4"


def test_me_shows_the_workspace_paper_size(tenant_a):
    from sam.models import WorkspaceSettings
    from sam.services import workspace_settings_update

    with tenant_a.ctx():
        workspace_settings_update(data={"paper_size": WorkspaceSettings.PaperSize.LETTER}, acting_user=None)
    response = api(token_for(tenant_a, Role.VIEWER)).get(reverse("me"))
    assert response.json()["tenant"]["paper_size"] == "Letter"


def test_bearer_scheme_also_works(tenant_a):
    token = token_for(tenant_a)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(reverse("me")).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Token ",
        "Token garbage",
        "Token sam_notanumber_abc",
        "Token sam_1",
        "Token sam_999999_abc",
        "Token sam_1_wrongsecret",
        "Token " + "x" * 5000,
    ],
)
def test_malformed_or_unknown_token_is_401(tenant_a, header):
    response = Client(HTTP_AUTHORIZATION=header).get(reverse("me"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_no_credentials_is_401(db):
    assert Client().get(reverse("me")).status_code == 401


def test_revoked_and_expired_tokens_are_401(tenant_a):
    token = token_for(tenant_a)
    with tenant_a.ctx():
        ApiToken.objects.update(revoked_at=timezone.now())
    assert api(token).get(reverse("me")).status_code == 401
    token = token_for(tenant_a, days=1)
    with tenant_a.ctx():
        ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api(token).get(reverse("me")).status_code == 401


def test_token_of_removed_membership_stops_working(tenant_a):
    token = token_for(tenant_a, Role.MEMBER)
    with tenant_a.ctx():
        tenant_a.memberships[Role.MEMBER].delete()
    assert api(token).get(reverse("me")).status_code == 401


def test_token_is_stored_only_as_hash(tenant_a):
    token = token_for(tenant_a)
    with tenant_a.ctx():
        stored = ApiToken.objects.get()
    assert token not in (stored.key_hash, stored.hint, stored.name)
    assert len(stored.key_hash) == 64


def test_members_list_is_paginated_and_tenant_only(tenant_a, tenant_b):
    with tenant_a.ctx():
        for _ in range(55):
            MembershipFactory(user=UserFactory())
    client = api(token_for(tenant_a, Role.VIEWER))
    page = client.get("/api/v1/members/").json()
    assert page["count"] == 60
    assert len(page["results"]) == 50
    assert page["next"]
    emails = {m["email"] for m in page["results"]} | {m["email"] for m in client.get(page["next"]).json()["results"]}
    assert not any("bravo" in e for e in emails)


def test_members_list_query_count_is_constant(tenant_a, django_assert_max_num_queries):
    client = api(token_for(tenant_a))
    client.get("/api/v1/members/")  # first use records last_used_at
    with django_assert_max_num_queries(8):
        client.get("/api/v1/members/")
    with tenant_a.ctx():
        for _ in range(30):
            MembershipFactory(user=UserFactory())
    with django_assert_max_num_queries(8):
        client.get("/api/v1/members/")


def test_role_change_needs_admin(tenant_a):
    target = tenant_a.memberships[Role.VIEWER]
    url = f"/api/v1/members/{target.pk}/"
    response = api(token_for(tenant_a, Role.ACCOUNT_MANAGER)).patch(
        url, {"role": "admin"}, content_type="application/json"
    )
    assert response.status_code == 403
    response = api(token_for(tenant_a, Role.ADMIN)).patch(url, {"role": "member"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["role"] == "member"
    with tenant_a.ctx():
        assert AuditEvent.objects.filter(action="membership.role").count() == 1


def test_role_change_rejects_bad_input(tenant_a):
    client = api(token_for(tenant_a))
    target = tenant_a.memberships[Role.VIEWER]
    for body in ({"role": "overlord"}, {"role": 7}, {"role": None}):
        response = client.patch(f"/api/v1/members/{target.pk}/", body, content_type="application/json")
        assert response.status_code == 400
        assert "role" in response.json()
    with tenant_a.ctx():
        assert Membership.objects.get(pk=target.pk).role == Role.VIEWER


def test_last_admin_cannot_be_demoted(tenant_a):
    admin = tenant_a.memberships[Role.ADMIN]
    response = api(token_for(tenant_a)).patch(
        f"/api/v1/members/{admin.pk}/", {"role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "at least one admin" in response.content.decode()


def test_tokens_api_create_list_revoke(tenant_a):
    client = api(token_for(tenant_a, Role.MEMBER))
    response = client.post(
        "/api/v1/tokens/", {"name": "CRM sync", "expires_in_days": 30}, content_type="application/json"
    )
    assert response.status_code == 201
    new = response.json()
    assert new["token"].startswith(f"sam_{tenant_a.tenant.pk}_")
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert {t["name"] for t in listed} == {"t", "CRM sync"}
    assert all("token" not in t for t in listed)
    assert api(new["token"]).get(reverse("me")).status_code == 200
    assert client.delete(f"/api/v1/tokens/{new['id']}/").status_code == 204
    assert api(new["token"]).get(reverse("me")).status_code == 401


def test_tokens_api_rejects_bad_input(tenant_a):
    client = api(token_for(tenant_a))
    for body in ({}, {"name": ""}, {"name": "x", "expires_in_days": "soon"}, {"name": "x", "expires_in_days": -3}):
        assert client.post("/api/v1/tokens/", body, content_type="application/json").status_code == 400
    with tenant_a.ctx():
        assert ApiToken.objects.count() == 1


def test_cannot_see_other_members_tokens(tenant_a):
    other = token_for(tenant_a, Role.VIEWER)  # noqa: F841
    mine = api(token_for(tenant_a, Role.ADMIN)).get("/api/v1/tokens/").json()
    assert mine["count"] == 1


def test_session_auth_uses_current_tenant(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    client.get("/t/alpha/")
    assert client.get(reverse("me")).json()["tenant"]["slug"] == "alpha"


def test_session_write_needs_csrf(tenant_a):
    client = Client(enforce_csrf_checks=True, HTTP_X_SAM_TENANT="alpha")
    client.force_login(tenant_a.admin)
    response = client.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert b"CSRF" in response.content


def test_session_write_goes_to_the_named_tenant_not_the_last_opened(tenant_a, tenant_b, client_for):
    from sam.models import Membership

    user = tenant_a.admin
    with tenant_b.ctx():
        Membership.objects.create(user=user, role=Role.ADMIN)
    client = client_for(user)
    client.get("/t/bravo/")  # the last opened tenant is now B
    response = client.post("/api/v1/tokens/", {"name": "from tab A"}, content_type="application/json")
    assert response.status_code == 400
    assert "X-SAM-Tenant" in response.json()["detail"]
    response = client.post(
        "/api/v1/tokens/", {"name": "from tab A"}, content_type="application/json", HTTP_X_SAM_TENANT="alpha"
    )
    assert response.status_code == 201
    with tenant_a.ctx():
        assert ApiToken.objects.filter(name="from tab A").exists()
    with tenant_b.ctx():
        assert not ApiToken.objects.exists()
    # Naming a tenant one is not a member of finds nothing.
    outsider = client_for(tenant_b.users[Role.VIEWER])
    assert outsider.get(reverse("me"), HTTP_X_SAM_TENANT="alpha").status_code == 401


def test_schema_and_docs_for_signed_in_people_and_token_holders_only(tenant_a, settings):
    for anonymous in (Client().get("/api/v1/schema/"), Client().get("/api/v1/docs/")):
        assert anonymous.status_code in (401, 403) and b"members" not in anonymous.content
    from sam.services import token_create

    with tenant_a.ctx():
        _, secret = token_create(membership=tenant_a.memberships[Role.VIEWER], name="t", expires_in_days=None)
    assert Client().get("/api/v1/schema/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    schema = signed_in_client().get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "openapi: 3" in text
    assert "/api/v1/members/" in text and "tokenAuth" in text
    docs = signed_in_client().get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()


def _schema() -> dict:
    import yaml

    return yaml.safe_load(signed_in_client().get("/api/v1/schema/").content)


def test_schema_documents_the_error_answers(db):
    """Besides success, each operation documents what it may answer: 401/403 always, 404 with an id or a page,
    400 for a body or a query, 415 for a body; found by fuzzing the API against its schema."""
    paths = _schema()["paths"]
    assert set(paths["/api/v1/me/"]["get"]["responses"]) == {"200", "401", "403"}
    assert set(paths["/api/v1/accounts/"]["get"]["responses"]) == {"200", "400", "401", "403", "404"}
    assert set(paths["/api/v1/accounts/"]["post"]["responses"]) == {"201", "400", "401", "403", "415"}
    assert set(paths["/api/v1/accounts/{id}/"]["delete"]["responses"]) == {"204", "400", "401", "403", "404"}
    error = paths["/api/v1/accounts/{id}/"]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert all(
        parameter["allowEmptyValue"]
        for parameter in paths["/api/v1/accounts/"]["get"]["parameters"]
        if parameter["in"] == "query"
    )


def test_schema_describes_local_times_and_nullable_answers(db):
    schemas = _schema()["components"]["schemas"]
    prime_start = schemas["Account"]["properties"]["prime_start"]
    assert prime_start["format"] == "partial-time"  # "08:00:00": JSON Schema's "time" wants an offset
    assert prime_start["pattern"].startswith("^([01]")
    assert schemas["Assessment"]["properties"]["confirmed_by"]["nullable"] is True  # a nullable column, read-only
    assert schemas["RecurringIssue"]["properties"]["owner"]["nullable"] is True
    assert "nullable" not in schemas["RecurringIssueRequest"]["properties"]["owner"]  # null is not taken


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=1.5", "page_size=7.1e-06", "page_size=0", "page=²"])
def test_malformed_page_numbers_are_400(tenant_a, query):
    response = api(token_for(tenant_a)).get(f"/api/v1/accounts/?{query}")
    assert response.status_code == 400
    assert set(response.json()) <= {"page", "page_size"}


def test_pages_past_the_last_are_404_and_sizes_are_capped(tenant_a):
    client = api(token_for(tenant_a))
    assert client.get("/api/v1/members/?page=2").status_code == 404
    assert client.get("/api/v1/members/?page=&page_size=").status_code == 200  # empty: not given
    assert client.get("/api/v1/members/?page=last").status_code == 200
    assert client.get("/api/v1/members/?page_size=1").json()["next"] is not None
    assert client.get("/api/v1/members/?page_size=5000").status_code == 200


def test_a_page_and_its_count_come_in_one_query(tenant_a):
    """The count rides on the page's rows (a count subquery): right on every page, the last, and an empty list."""
    client = api(token_for(tenant_a))
    members = len(tenant_a.memberships)  # one of every role
    pages = [client.get(f"/api/v1/members/?page_size=2&page={n}").json() for n in (1, 2, 3)]
    assert [page["count"] for page in pages] == [members] * 3
    assert sum(len(page["results"]) for page in pages) == members
    assert pages[0]["previous"] is None and pages[2]["next"] is None
    assert client.get("/api/v1/members/?page_size=2&page=last").json()["results"] == pages[2]["results"]
    assert client.get("/api/v1/members/?page_size=2&page=4").status_code == 404
    empty = client.get("/api/v1/escalations/?page_size=2").json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/members/?page_size=2").status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(statements) == 4  # the tenant entered where it is found, the token, the page with its count,
    assert "(SELECT COUNT(*) FROM (SELECT" in statements[2]  # and the test's transaction restoring its own setting


def test_api_answers_json_where_django_answers_first(tenant_a):
    """An address no route matches (an id that is not a number), a NUL in the query and a request Django refuses
    (too many form fields) answer JSON under /api/, the pages' HTML elsewhere."""
    client = api(token_for(tenant_a))
    for path in ("/api/v1/accounts/1.5/", "/api/v1/nowhere/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    response = client.get("/api/v1/accounts/?name=a%00b")
    assert response.status_code == 400
    assert response.json() == {"detail": "The address contains a NUL character."}
    fields = "&".join(f"f{i}=1" for i in range(1500))
    response = client.post("/api/v1/accounts/", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}
    assert Client().get("/t/alpha/nowhere/").headers["Content-Type"].startswith("text/html")


def test_patch_without_the_role_changes_nothing(tenant_a):
    with tenant_a.ctx():
        membership = Membership.objects.get(user=tenant_a.users[Role.VIEWER])
    response = api(token_for(tenant_a)).patch(f"/api/v1/members/{membership.pk}/", {}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
