"""The top bar's workspace menu: a few workspaces (the current one always among them) and a way to all of them,
in the same queries whether the user is in 2 workspaces or 30."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sam.roles import Role
from sam.selectors import SWITCHER_SHOWN
from sam.tenancy.context import tenant_context
from tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.django_db


def join(user, count: int, prefix: str) -> None:
    for n in range(count):
        tenant = TenantFactory(name=f"{prefix} workspace {n:02}", slug=f"{prefix}-{n:02}")
        with tenant_context(tenant):
            MembershipFactory(user=user, role=Role.MEMBER)


def menu(html: str) -> list[str]:
    block = html.split("Your workspaces", 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="/t/([^/]+)/"', block)


def test_a_few_workspaces_are_all_listed(tenant_a, client_for):
    html = client_for(tenant_a.admin).get("/t/alpha/").content.decode()
    assert menu(html) == ["alpha"]
    assert "all-workspaces" not in html


def test_many_workspaces_list_a_few_with_the_current_one_and_a_link_to_all(tenant_a, client_for):
    join(tenant_a.admin, 30, "zulu")  # named after alpha: alpha comes first by name
    client = client_for(tenant_a.admin)
    html = client.get("/t/zulu-29/").content.decode()  # the last by name
    shown = menu(html)
    assert len(shown) == SWITCHER_SHOWN and "zulu-29" in shown and "alpha" in shown
    assert 'data-testid="all-workspaces"' in html and "All 31 workspaces" in html
    switcher = client.get("/tenants/").content.decode()
    assert all(f"/t/zulu-{n:02}/" in switcher for n in range(30))  # the switcher page lists every one


def test_the_menu_costs_the_same_queries_for_2_or_30_workspaces(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    join(tenant_a.admin, 1, "few")
    for _ in range(2):
        assert client.get("/t/alpha/").status_code == 200
    with CaptureQueriesContext(connection) as few:
        client.get("/t/alpha/")
    join(tenant_a.admin, 29, "many")
    assert client.get("/t/alpha/").status_code == 200  # as warm as before: the user's cached row, the figures
    with CaptureQueriesContext(connection) as many:
        client.get("/t/alpha/")
    assert len(many.captured_queries) == len(few.captured_queries)
