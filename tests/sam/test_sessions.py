"""A workspace's limits on a signed-in session (sam/sessions.py): idle and in all, set by its admins within the
platform's bounds; a page past them signs the person out and says why."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from sam import sessions
from sam.models import WorkspaceSettings
from sam.roles import Role

pytestmark = pytest.mark.django_db
MEMBERS = reverse("members", args=["alpha"])
LIMITS = reverse("session_limits", args=["alpha"])


@pytest.fixture(autouse=True)
def _fresh_limits():
    sessions._limits.clear()
    yield
    sessions._limits.clear()


def aged(client: Client, **seconds_ago: float) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_an_idle_or_an_old_session_is_ended_with_the_reason(tenant_a):
    client = Client()
    client.force_login(tenant_a.admin)
    assert client.get("/t/alpha/").status_code == 200
    assert sessions.SIGNED_IN in client.session and sessions.SEEN in client.session
    aged(client, sam_seen=239 * 60)  # the default: 240 idle minutes
    assert client.get("/t/alpha/").status_code == 200
    aged(client, sam_seen=241 * 60)
    ended = client.get("/t/alpha/accounts/")
    assert ended.status_code == 302 and ended["Location"] == reverse("login") + "?next=/t/alpha/accounts/"
    assert "240 minutes without activity" in client.get(ended["Location"]).content.decode()
    assert client.get("/t/alpha/")["Location"].startswith(reverse("login"))  # signed out for good

    client.force_login(tenant_a.admin)
    aged(client, sam_signed_in=13 * 3600, sam_seen=10)  # active, but past the 12 hours in all
    ended = client.get("/t/alpha/")
    assert ended.status_code == 302
    assert "12 hours after signing in" in client.get(ended["Location"]).content.decode()


def test_an_htmx_request_past_the_limit_is_sent_to_sign_in(tenant_a):
    client = Client()
    client.force_login(tenant_a.admin)
    aged(client, sam_seen=300 * 60)
    ended = client.get("/t/alpha/", HTTP_HX_REQUEST="true")
    assert ended.status_code == 204 and ended["HX-Redirect"].startswith(reverse("login"))


def test_admins_set_the_limits_within_bounds_and_they_apply(tenant_a, client_for):
    admin = client_for(tenant_a.admin)
    for idle, most in (("10", "2"), ("2000", "2"), ("30", "0"), ("30", "13"), ("x", "2"), ("", "")):
        bad = admin.post(LIMITS, {"session_idle_minutes": idle, "session_max_hours": most})
        assert bad.status_code == 400, (idle, most)
    assert (
        client_for(tenant_a.users[Role.EXECUTIVE])
        .post(LIMITS, {"session_idle_minutes": "15", "session_max_hours": "1"})
        .status_code
        == 403
    )
    assert admin.post(LIMITS, {"session_idle_minutes": "15", "session_max_hours": "1"}).status_code == 302
    with tenant_a.ctx():
        config = WorkspaceSettings.current()
        assert (config.session_idle_minutes, config.session_max_hours) == (15, 1)
    sessions._limits.clear()  # as a minute later
    member = Client()
    member.force_login(tenant_a.users[Role.MEMBER])
    aged(member, sam_seen=16 * 60)
    assert member.get("/t/alpha/").status_code == 302
