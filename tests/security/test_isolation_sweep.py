"""The isolation sweep: every route, requested with tenant A's ids by a member of tenant B.

Pages, htmx partials, downloads and API: 404, nothing of A in the body, and
for writes no row of A changed. The meta-tests fail as soon as a route
exists that the sweep does not know how to cover.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from sam.models import ApiToken
from sam.services import token_create
from sam.tenancy.models import TenantOwned
from tests.sweep import MAKERS, MARKER, PAGE_QUERIES, PLAIN_KWARGS, Route, all_routes, snapshot

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")


def swept_routes() -> list[Route]:
    return [r for r in all_routes() if not r.is_public]


def test_every_route_is_public_or_swept():
    unknown = [r.route for r in all_routes() if not r.is_public and not (r.is_tenant or r.is_api or r.is_portal)]
    assert unknown == [], f"routes outside /t/<tenant_slug>/, /api/ and /p/ that are not declared public: {unknown}"


def test_every_object_id_in_a_route_has_a_maker():
    problems = []
    for route in swept_routes():
        for kwarg in route.object_kwargs:
            model = route.model_for(kwarg)
            if model is None:
                problems.append(f"{route.route}: unknown id kwarg {kwarg!r} (add it to tests/sweep.py OBJECT_KWARGS)")
            elif model not in MAKERS:
                problems.append(f"{route.route}: no maker for {model.__name__} (add it to tests/sweep.py MAKERS)")
    assert problems == []


def test_every_tenant_owned_model_has_a_maker():
    owned = {m for m in apps.get_models() if issubclass(m, TenantOwned)}
    assert owned - set(MAKERS) == set()


@pytest.fixture
def a_objects(tenant_a) -> dict[type, Any]:
    with tenant_a.ctx():
        return {model: maker() for model, maker in MAKERS.items()}


@pytest.fixture
def b_token(tenant_b) -> str:
    from sam.roles import Role

    with tenant_b.ctx():
        _, full = token_create(membership=tenant_b.memberships[Role.ADMIN], name="sweep", expires_in_days=None)
    return full


def url_for(route: Route, slug: str | None, objects: dict[type, Any]) -> str:
    kwargs: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg == "tenant_slug":
            kwargs[kwarg] = slug
        elif kwarg in PLAIN_KWARGS:
            kwargs[kwarg] = PLAIN_KWARGS[kwarg]
        else:
            kwargs[kwarg] = objects[route.model_for(kwarg)].pk
    return reverse(route.name, kwargs=kwargs)


def assert_same_for_missing_id(client: Client, route: Route, slug: str | None, method: str) -> None:
    # A route refuses a method before it reads an id or a header: asked once per client, route, slug and method,
    # whichever headers the sweep tries.
    asked: set[tuple[str, str | None, str]] = client.__dict__.setdefault("sweep_refusals_asked", set())
    if (route.name, slug, method) in asked:
        return
    missing = {model: type("Missing", (), {"pk": 2_000_000_000})() for model in MAKERS}
    response = getattr(client, method)(url_for(route, slug, missing), data={}, content_type="application/json")
    assert response.status_code == 405, f"{method.upper()} {route.route} depends on the id"
    asked.add((route.name, slug, method))


def request_a_ids(
    client: Client, route: Route, slug: str | None, url: str, *, same_tenant: bool = False, **headers: str
) -> set[int]:
    """Every method on one URL carrying A's ids: 404, or 405 whatever the id. Returns the statuses. A client of
    tenant A itself (a contact of another account) may see A's name, never A's data."""
    statuses = set()
    for method in ("get", *WRITE_METHODS):
        response = getattr(client, method)(url, data={}, content_type="application/json", **headers)
        statuses.add(response.status_code)
        if response.status_code == 405:
            # A method the route never accepts: the same answer for any id.
            assert_same_for_missing_id(client, route, slug, method)
        else:
            assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        assert_clean(response, route, method, same_tenant=same_tenant)
    assert 404 in statuses, f"{url}: no method answered 404"
    return statuses


def assert_clean(response: Any, route: Route, method: str, *, same_tenant: bool = False) -> None:
    body = response.content.decode(errors="replace")
    assert MARKER not in body, f"{method.upper()} {route.route} leaked tenant A data"
    if not (route.is_api or same_tenant):
        assert "alpha" not in body.lower(), f"{method.upper()} {route.route} mentions tenant A"


def test_tenant_pages_with_a_ids_as_b_member(tenant_a, tenant_b, a_objects, client_for):
    from sam.roles import Role

    client = client_for(tenant_b.users[Role.ADMIN])
    before = snapshot(tenant_a.tenant)
    checked = 0
    for route in swept_routes():
        if not route.is_tenant:
            continue
        for hx in (False, True):  # full pages and their htmx partials
            headers = {"HTTP_HX_REQUEST": "true"} if hx else {}
            for slug in (tenant_a.tenant.slug, tenant_b.tenant.slug):
                if not route.object_kwargs and slug == tenant_b.tenant.slug:
                    # B's own page without ids: it must not show anything of A, nor find it by A's words.
                    query = PAGE_QUERIES.get(route.name, "")
                    response = client.get(url_for(route, slug, a_objects) + (f"?{query}" if query else ""), **headers)
                    assert response.status_code in (200, 405), f"GET {route.route} -> {response.status_code}"
                    assert_clean(response, route, "get")
                    continue
                checked += len(request_a_ids(client, route, slug, url_for(route, slug, a_objects), **headers))
    assert checked > 0
    assert snapshot(tenant_a.tenant) == before


def test_api_with_a_ids_and_b_token(tenant_a, tenant_b, a_objects, b_token):
    client = Client(HTTP_AUTHORIZATION=f"Token {b_token}")
    before = snapshot(tenant_a.tenant)
    checked = 0
    for route in swept_routes():
        if not route.is_api:
            continue
        url = url_for(route, None, a_objects)
        if route.object_kwargs:
            checked += len(request_a_ids(client, route, None, url))
        else:
            response = client.get(url)
            assert response.status_code in (200, 405), f"GET {url} -> {response.status_code}"
            assert_clean(response, route, "get")
            checked += 1
    assert checked > 0
    assert snapshot(tenant_a.tenant) == before


def test_api_with_a_ids_and_b_session(tenant_a, tenant_b, a_objects, client_for):
    from sam.roles import Role

    client = client_for(tenant_b.users[Role.ADMIN], HTTP_X_SAM_TENANT=tenant_b.tenant.slug)
    before = snapshot(tenant_a.tenant)
    for route in swept_routes():
        if not (route.is_api and route.object_kwargs):
            continue
        request_a_ids(client, route, None, url_for(route, None, a_objects))
    assert snapshot(tenant_a.tenant) == before


def test_token_with_another_tenants_prefix_is_refused(tenant_a, tenant_b, b_token):
    """Pointing B's secret at tenant A finds nothing: 401, not A's data."""
    secret = b_token.split("_", 2)[2]
    forged = f"sam_{tenant_a.tenant.pk}_{secret}"
    response = Client(HTTP_AUTHORIZATION=f"Token {forged}").get(reverse("me"))
    assert response.status_code == 401
    with tenant_a.ctx():
        assert not ApiToken.objects.filter(name="sweep").exists()


@pytest.fixture
def portal_clients(tenant_a, tenant_b) -> dict[str, Client]:
    """Signed in to the portal: a contact of tenant B, and a contact of another account of tenant A."""
    from accounts import services as account_services
    from tests.accounts.conftest import make_account
    from tests.portal.conftest import signed_in

    clients = {}
    for label, world, name in (("other tenant", tenant_b, "Bravo Customer"), ("other account", tenant_a, "Initech")):
        account = make_account(world, name=name)
        with world.ctx():
            contact = account_services.contact_save(
                account=account, data={"name": f"{name} contact", "email": f"contact@{label.replace(' ', '')}.test"}
            )
        clients[label] = signed_in(world, contact)
    return clients


def test_portal_pages_with_a_ids_as_another_contact(tenant_a, a_objects, portal_clients):
    """Every portal route, as a contact of another tenant and of another account of the same tenant: A's ids are
    404 (or 405 whatever the id), and nothing of A's account shows."""
    before = snapshot(tenant_a.tenant)
    checked = 0
    for label, client in portal_clients.items():
        for route in swept_routes():
            if not route.is_portal:
                continue
            for hx in (False, True):
                headers = {"HTTP_HX_REQUEST": "true"} if hx else {}
                if not route.object_kwargs:
                    response = client.get(url_for(route, None, a_objects), **headers)
                    assert response.status_code in (200, 302, 405), f"GET {route.route} -> {response.status_code}"
                    assert_clean(response, route, "get", same_tenant=label == "other account")
                    continue
                url = url_for(route, None, a_objects)
                checked += len(request_a_ids(client, route, None, url, same_tenant=label == "other account", **headers))
    assert checked > 0
    assert snapshot(tenant_a.tenant) == before


SENTINEL = "ZQXJ-internal"  # found by its first four letters, so that a short field holds it too
# The text a contact of the account sees by design: the account's name, its people, its QBRs' period, place and
# agenda titles, the comments on the agenda; the scorecard's joint part is tested on its own
# (tests/portal/test_pages.py), so the scorecard models keep their text here. Every other text field takes the
# sentinel: the account's notes, a QBR's minutes before they are sent, the team's preparation, plans...
SHARED_FIELDS = {
    "accounts.Account": {"name"},
    "accounts.Contact": {"name", "title", "email", "phone"},
    "qbr.Qbr": {"period_label", "location"},
    "qbr.AgendaItem": {"title"},
    "qbr.AgendaComment": {"text"},
}
SKIPPED_APPS = {"scorecards", "portal"}
TECHNICAL_FIELDS = {"idempotency_key", "token_hash", "token_salt", "key_hash", "kind", "subject_type", "email",
                    "source_kind", "source_id", "dedupe_key", "key", "slug", "timezone", "time_zone", "currency",
                    "render_token", "checksum", "action", "object_type", "object_id", "role"}  # fmt: skip


def _mark_internal(objects: dict[type, Any]) -> int:
    """Write the sentinel into every free-text field a contact must not see; returns how many fields took it."""
    from django.db import IntegrityError, transaction
    from django.db.models import CharField, TextField

    marked = 0
    for model, obj in objects.items():
        if model._meta.app_label in SKIPPED_APPS or model._meta.label == "sam.DataChange":
            continue  # the record of changes: the database writes it, the app may not change it
        shared = SHARED_FIELDS.get(model._meta.label, set())
        for field in model._meta.concrete_fields:
            if not isinstance(field, (CharField, TextField)) or field.choices or field.name in TECHNICAL_FIELDS:
                continue
            if field.name in shared or (field.max_length or 99) < 4:
                continue
            value = SENTINEL[: field.max_length] if field.max_length else SENTINEL
            try:
                with transaction.atomic():
                    model._default_manager.filter(pk=obj.pk).update(**{field.name: value})
                marked += 1
            except IntegrityError:
                continue
    return marked


def test_the_accounts_own_contact_sees_nothing_internal(tenant_a, a_objects):
    """Every portal page, as a contact of the very account the sweep's objects belong to, with their ids: the
    internal ones (the team's preparation, plans, deliverables, changes, drafts, documents not sent...) never
    show, whatever the route answers."""
    import accounts.models as acc
    from sam.roles import Role
    from tests.portal.conftest import signed_in

    with tenant_a.ctx():
        assert _mark_internal(a_objects) > 40
        account = a_objects[acc.Account]
        contact = acc.Contact.objects.create(account=account, name="Own contact", email="own@a.test")
    client = signed_in(tenant_a, contact, role=Role.ADMIN)
    pages = 0
    for route in swept_routes():
        if not route.is_portal:
            continue
        response = client.get(url_for(route, None, a_objects))
        body = (
            b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
        ).decode(errors="replace")
        assert SENTINEL[:4] not in body, f"GET {route.route} shows something internal"
        pages += response.status_code == 200
    assert pages >= 5


def test_the_query_pages_find_the_marker_in_their_own_workspace(tenant_a, a_objects, client_for):
    """The control of the sweep's queries: tenant A's own member finds A's marked rows, so B finding none means
    something."""
    from sam.roles import Role

    client = client_for(tenant_a.users[Role.VIEWER])
    for name, query in PAGE_QUERIES.items():
        body = client.get(reverse(name, args=[tenant_a.tenant.slug]) + f"?{query}").content.decode()
        assert MARKER.lower() in body.lower().replace("<mark>", "").replace("</mark>", ""), name
