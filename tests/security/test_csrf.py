"""Every state-changing route refuses a request without the CSRF token."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.sweep import MAKERS, PLAIN_KWARGS, all_routes, snapshot

pytestmark = pytest.mark.django_db

# POST-only routes of the login flow where Django handles CSRF the same way.
SKIP = {"healthz", "readyz"}


def build(route, slug, objects):
    kwargs = {}
    for k in route.kwargs:
        if k == "tenant_slug":
            kwargs[k] = slug
        elif k in PLAIN_KWARGS:
            kwargs[k] = PLAIN_KWARGS[k]
        elif k in ("uidb64", "token"):
            kwargs[k] = "x"
        else:
            kwargs[k] = objects[route.model_for(k)].pk
    return reverse(route.name, kwargs=kwargs)


def test_every_write_without_token_is_refused(tenant_a, client_for):
    from django.test import Client

    from sam.roles import Role

    with tenant_a.ctx():
        objects = {model: maker() for model, maker in MAKERS.items()}
    user = tenant_a.users[Role.ADMIN]
    client = Client(enforce_csrf_checks=True, HTTP_X_SAM_TENANT=tenant_a.tenant.slug)
    client.force_login(user)
    before = snapshot(tenant_a.tenant)
    checked = []
    for route in all_routes():
        if route.name in SKIP or route.route.startswith("platform/"):
            continue
        url = build(route, tenant_a.tenant.slug, objects)
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, data="{}", content_type="application/json")
            # Refused for the missing token, or the route does not accept the method at all.
            assert response.status_code in (403, 405), f"{method.upper()} {url} -> {response.status_code}"
            if response.status_code == 403:
                assert b"CSRF" in response.content, f"{method.upper()} {url}: 403 for another reason than CSRF"
                checked.append(f"{method} {url}")
    assert any("/admin/members/" in c for c in checked)
    assert any("/api/v1/tokens/" in c for c in checked)
    assert snapshot(tenant_a.tenant) == before


@pytest.mark.parametrize("path", ["/auth/login/", "/platform/login/", "/auth/password-reset/"])
def test_login_and_reset_without_token_are_refused(db, path):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, {"username": "a@b.c", "password": "x", "email": "a@b.c"})
    assert response.status_code == 403
    assert b"CSRF" in response.content
