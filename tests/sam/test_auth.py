"""Sign-in, lockout, rate limit, password reset, tenant resolution and the landing page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from sam.models import PlatformEmail, Tenant, User
from sam.roles import Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-42"


def login(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_login_page_renders(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert b'<label class="form-label required" for="id_username">Email</label>' in response.content


def test_login_lands_on_the_only_tenant(tenant_a):
    client = Client()
    response = login(client, tenant_a.admin.email, PASSWORD)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response["Location"] == reverse("dashboard", args=["alpha"])


def test_landing_goes_to_last_used_tenant(tenant_a, tenant_b, client_for):
    user = tenant_a.admin
    with tenant_b.ctx():
        from sam.models import Membership

        Membership.objects.create(user=user, role=Role.VIEWER)
    client = client_for(user)
    assert client.get(reverse("home"))["Location"] == reverse("tenant_switch")
    assert client.get(reverse("dashboard", args=["bravo"])).status_code == 200
    assert client.get(reverse("home"))["Location"] == reverse("dashboard", args=["bravo"])
    user.refresh_from_db()
    assert user.last_tenant_id == tenant_b.tenant.pk


def test_switcher_lists_only_own_workspaces(tenant_a, tenant_b, client_for):
    response = client_for(tenant_a.admin).get(reverse("tenant_switch"))
    assert b"Alpha Supplies" in response.content
    assert b"Bravo Partners" not in response.content


def test_wrong_password_is_generic_and_counts(tenant_a):
    client = Client()
    wrong_password = login(client, tenant_a.admin.email, "nope")
    unknown_user = login(client, "nobody@example.test", "nope")
    assert wrong_password.status_code == unknown_user.status_code == 200
    message = b"That email and password do not match an account"
    assert message in wrong_password.content and message in unknown_user.content
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.filter(username=tenant_a.admin.email).get().failures_since_start == 1


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_repeated_failures(tenant_a):
    client = Client()
    for _ in range(3):
        login(client, tenant_a.admin.email, "nope")
    response = login(client, tenant_a.admin.email, PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_RATE_LIMIT=4)
def test_login_rate_limit_per_address(tenant_a):
    client = Client()
    statuses = [login(client, f"user{i}@example.test", "nope").status_code for i in range(6)]
    assert statuses[:4] == [200] * 4
    assert statuses[4:] == [429, 429]


def test_logout_needs_post(tenant_a, client_for):
    client = client_for(tenant_a.admin)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard", args=["alpha"]))["Location"].startswith(reverse("login"))


def test_password_reset_sends_a_working_link(tenant_a):
    client = Client()
    response = client.post(reverse("password_reset"), {"email": tenant_a.admin.email})
    assert response.status_code == 302
    send_platform_mail()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if "/auth/reset/" in line)
    path = link.split(settings.SITE_URL, 1)[1]
    response = client.get(path, follow=True)
    assert b"Choose a new password" in response.content
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "A-much-better-pass-99", "new_password2": "A-much-better-pass-99"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=tenant_a.admin.pk).check_password("A-much-better-pass-99")


def test_password_reset_for_unknown_email_says_the_same(db):
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert not PlatformEmail.objects.exists()


def send_platform_mail() -> None:
    """What the worker does for queued platform emails."""
    from sam.outbox import email_send

    for email in PlatformEmail.objects.filter(status="queued"):
        email_send(email_id=email.pk, platform=True)


def test_person_without_password_can_set_one(db):
    """A tenant's first admin (create_tenant) or an invitee whose link expired."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_tenant", "acme", "Acme", "--admin-email", "boss@acme.test", stdout=out)
    link = out.getvalue().strip().splitlines()[-1].strip()
    client = Client()
    response = client.get(link.split("8000", 1)[1], follow=True)
    assert b"Choose a new password" in response.content
    client.post(
        response.redirect_chain[-1][0], {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"}
    )
    assert login(Client(), "boss@acme.test", "Brand-new-pass-77").status_code == 302

    # Also through "Forgot your password?", for someone who never set one.
    User.objects.create_user(email="invited@acme.test", password=None)
    Client().post(reverse("password_reset"), {"email": "invited@acme.test"})
    send_platform_mail()
    assert mail.outbox[-1].to == ["invited@acme.test"]


@override_settings(PASSWORD_RESET_RATE_LIMIT=2)
def test_password_reset_is_rate_limited(db):
    client = Client()
    statuses = [client.post(reverse("password_reset"), {"email": f"x{i}@example.test"}).status_code for i in range(4)]
    assert statuses == [302, 302, 429, 429]


@override_settings(LOGIN_RATE_LIMIT=3)
def test_platform_admin_login_shares_the_rate_limit(tenant_a):
    client = Client()
    for i in range(3):
        login(client, f"user{i}@example.test", "nope")
    response = client.post("/platform/login/", {"username": tenant_a.admin.email, "password": PASSWORD})
    assert response.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_address_behind_one_proxy():
    from django.test import RequestFactory

    from sam.security import client_address

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "203.0.113.9"  # what our proxy saw; the first entry is forgeable
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="junk", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "10.0.0.2"


@pytest.mark.parametrize("path", ["/t/northwind%00/", "/t/" + "x" * 300 + "/", "/t/a%20b/", "/t/%E2%98%83/"])
def test_impossible_slugs_are_404_not_500(tenant_a, client_for, path):
    response = client_for(tenant_a.admin).get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("slug", ["does-not-exist", "bravo", "inactive"])
def test_unknown_foreign_and_inactive_tenants_are_404(tenant_a, tenant_b, client_for, slug):
    Tenant.objects.create(slug="inactive", name="Dormant", active=False)
    response = client_for(tenant_a.admin).get(f"/t/{slug}/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert b"Bravo" not in response.content


def test_inactive_tenant_is_404_even_for_its_members(tenant_a, client_for):
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(active=False)
    assert client_for(tenant_a.admin).get("/t/alpha/").status_code == 404


def test_anonymous_tenant_page_redirects_to_login(tenant_a):
    response = Client().get("/t/alpha/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_nothing_the_app_answers_is_cached_unless_a_view_says_so(tenant_a, client_for):
    from sam.services import token_create

    with tenant_a.ctx():
        _, secret = token_create(membership=tenant_a.memberships[Role.VIEWER], name="t", expires_in_days=None)
    answers = [
        client_for(tenant_a.admin).get("/t/alpha/"),
        client_for(tenant_a.admin).get("/t/alpha/accounts/"),
        Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {secret}"),
        Client().get(reverse("login")),
        Client().get("/t/alpha/"),  # the redirect to sign in
    ]
    for answer in answers:  # the sign-in page's own (Django's never_cache) says more, and as much
        assert {"private", "no-store"} <= {part.strip() for part in answer["Cache-Control"].split(",")}
    assert Client().get("/readyz")["Cache-Control"] == "no-store"  # a view's own choice is kept


def test_security_headers(tenant_a, client_for):
    response = client_for(tenant_a.admin).get("/t/alpha/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    html = response.content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "<script>" not in html  # no inline scripts under the CSP


@pytest.mark.parametrize(
    "path", ["/t/alpha/scorecards/?period=%00", "/t/alpha/accounts/?q=a%00b", "/api/v1/periods/?x=%00"]
)
def test_nul_in_the_address_is_a_clear_400(tenant_a, client_for, path):
    response = client_for(tenant_a.admin).get(path)
    assert response.status_code == 400 and b"NUL" in response.content
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_rate_limit_counts_in_a_fixed_window_that_expires(db):
    from django.core.cache import caches

    from sam.security import rate_limited

    cache = caches["default"]
    cache.delete("ratelimit:probe")
    assert [rate_limited("probe", limit=2, fail_open=True, window_seconds=30) for _ in range(3)] == [False, False, True]
    name = cache.make_and_validate_key("ratelimit:probe")
    client = cache._cache.get_client(name)
    assert 0 < client.ttl(name) <= 30  # the window ends, whatever the traffic
    rate_limited("probe", limit=2, fail_open=True, window_seconds=300)
    assert client.ttl(name) <= 30  # later hits do not stretch it
    cache.delete("ratelimit:probe")


def test_sign_out_everywhere_ends_every_session_of_that_person_and_no_one_elses(tenant_a):
    admin = tenant_a.admin
    laptop, phone, colleague = Client(), Client(), Client()
    laptop.force_login(admin)
    phone.force_login(admin)
    colleague.force_login(tenant_a.users[Role.VIEWER])
    assert phone.get("/t/alpha/").status_code == 200
    assert laptop.get(reverse("sign_out_everywhere")).status_code == 405  # a change: POST only
    response = laptop.post(reverse("sign_out_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    for device in (laptop, phone):
        assert device.get("/t/alpha/")["Location"].startswith(reverse("login"))
    assert colleague.get("/t/alpha/").status_code == 200
    again = Client()
    again.force_login(User.objects.get(pk=admin.pk))
    assert again.get("/t/alpha/").status_code == 200
