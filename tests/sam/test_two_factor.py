"""Two-factor sign-in (sam/twofactor/): setting it up, the second step of signing in, recovery codes, the lockout,
a workspace that requires it, and turning it off."""

from __future__ import annotations

import logging
import re
import time

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sam import sessions
from sam.models import AuditEvent, RecoveryCode, User, WorkspaceSettings
from sam.roles import Role
from sam.services import token_create
from sam.twofactor import services, signin
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN, CODE, SETUP = reverse("login"), reverse("login_code"), reverse("two_factor")
RENEW, OFF = reverse("two_factor_recovery_codes"), reverse("two_factor_off")
REQUIRE = reverse("two_factor_requirement", args=["alpha"])


# Wrong codes one after the other, without django-otp's wait between them (tested apart).
def no_wait() -> override_settings:
    """django-otp checks at once after a wrong code. A new override each time: one instance entered twice (a test
    decorated with it calling a helper that enters it) would leave its settings in place after the test."""
    return override_settings(OTP_TOTP_THROTTLE_FACTOR=0)


@pytest.fixture(autouse=True)
def _fresh_rules():
    sessions._limits.clear()
    yield
    sessions._limits.clear()


def app_code(user: User) -> str:
    """The code the person's app shows next: the current time step, or the one after the last code used (each
    code works once), as an app whose clock runs a few seconds ahead would show it."""
    device = TOTPDevice.objects.filter(user=user).latest("pk")
    now = int((time.time() - device.t0) // device.step)
    step = max(now, device.last_t + 1)
    return f"{hotp(device.bin_key, step, digits=device.digits):06d}"


def wrong_code(user: User) -> str:
    right = app_code(user)
    return "000000" if right != "000000" else "111111"


def turn_on(user: User) -> list[str]:
    """Two-factor sign-in on for ``user`` as the settings page does it; the recovery codes."""
    services.device_pending(user=user)
    return services.device_confirm(user=user, code=app_code(user))


def sign_in_password(client: Client, user: User, **extra: str):
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD, **extra})


def signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def auth_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sam.auth"]


def test_setting_up_shows_the_key_and_turns_on_only_with_a_code_from_it(tenant_a, client_for, caplog):
    caplog.set_level(logging.INFO, logger="sam.auth")
    user = tenant_a.users[Role.MEMBER]
    client = client_for(user)
    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg role="img"' in html and "<title>QR code of your new key" in html
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    shown = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', html).group(1)
    from base64 import b32decode

    assert b32decode(shown.replace(" ", "")) == device.bin_key  # the key typed by hand is the QR code's key
    assert client.get(SETUP).content.decode().count(shown) == 1  # a reload shows the same key

    refused = client.post(SETUP, {"code": wrong_code(user)})
    assert refused.status_code == 400 and b"does not match" in refused.content
    device.refresh_from_db()
    assert not device.confirmed and RecoveryCode.objects.filter(user=user).count() == 0

    with no_wait():
        done = client.post(SETUP, {"code": app_code(user)})
    assert done.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>", done.content.decode())
    assert len(codes) == 10 == len(set(codes))
    # Only hashes rest in the database: no code is found in any stored value.
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(c in h or c.replace("-", "") in h for c in codes for h in stored)
    assert "Two-factor sign-in is on" in done.content.decode()
    # Shown once: the page now says it is on, with the number of codes, not the codes.
    again = client.get(SETUP).content.decode()
    assert "10 recovery codes" in again and not any(c in again for c in codes)
    assert any(f"2fa-set-up user={user.pk}" in line for line in auth_lines(caplog))


def test_a_person_without_two_factor_signs_in_with_the_password_alone(tenant_a):
    client = Client()
    response = sign_in_password(client, tenant_a.admin)
    assert response.status_code == 302 and response["Location"] != CODE
    assert signed_in_as(client) == tenant_a.admin.pk


def test_sign_in_asks_for_the_code_and_a_half_signed_in_session_reaches_nothing(tenant_a, tenant_b):
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    response = sign_in_password(client, user, next="/t/alpha/accounts/")
    assert response.status_code == 302 and response["Location"] == CODE
    assert signed_in_as(client) is None
    # Fail closed: the session that gave only the password is anonymous everywhere.
    for path in ("/", "/t/alpha/", "/t/alpha/accounts/", reverse("members", args=["alpha"]), SETUP):
        refused = client.get(path)
        assert refused.status_code == 302 and refused["Location"].startswith(LOGIN), path
    assert client.get(reverse("me")).status_code in (401, 403)
    assert client.get("/api/v1/members/", HTTP_X_SAM_TENANT="alpha").status_code in (401, 403)
    assert client.post(reverse("sign_out_everywhere")).status_code == 302
    assert signed_in_as(client) is None

    page = client.get(CODE)
    assert page.status_code == 200 and user.email.encode() in page.content
    assert b'autocomplete="one-time-code"' in page.content
    done = client.post(CODE, {"code": app_code(user)})
    assert done.status_code == 302 and done["Location"] == "/t/alpha/accounts/"  # where the person was going
    assert signed_in_as(client) == user.pk
    assert client.get("/t/alpha/").status_code == 200
    assert signin.PENDING not in client.session


def test_the_code_page_without_a_password_first_sends_to_sign_in(db):
    response = Client().post(CODE, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_an_app_code_works_once(tenant_a):
    user = tenant_a.admin
    turn_on(user)
    first = Client()
    sign_in_password(first, user)
    code = app_code(user)
    assert first.post(CODE, {"code": code}).status_code == 302
    second = Client()
    sign_in_password(second, user)
    replayed = second.post(CODE, {"code": code})
    assert replayed.status_code == 200 and b"does not match" in replayed.content
    assert signed_in_as(second) is None


@no_wait()
@override_settings(AXES_FAILURE_LIMIT=50)
def test_a_few_wrong_codes_end_the_halfway_state(tenant_a, caplog):
    caplog.set_level(logging.INFO, logger="sam.auth")
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    sign_in_password(client, user)
    typed = [f"{n:06d}" for n in range(100001, 100001 + signin.MAX_TRIES)]
    for code in typed[:-1]:
        refused = client.post(CODE, {"code": code})
        assert refused.status_code == 200 and b"does not match" in refused.content
        assert signed_in_as(client) is None
    last = client.post(CODE, {"code": typed[-1]})
    assert last.status_code == 302 and last["Location"] == LOGIN
    # The right code no longer helps: the password must be given again.
    assert client.post(CODE, {"code": app_code(user)})["Location"] == LOGIN
    assert signed_in_as(client) is None
    said = auth_lines(caplog)
    assert sum("2fa-failed" in line for line in said) == signin.MAX_TRIES
    assert not any(code in line for code in typed for line in said)  # never the code itself


@no_wait()
@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_lock_out_like_wrong_passwords(tenant_a):
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    assert client.post(LOGIN, {"username": user.email, "password": "nope"}).status_code == 200  # one wrong password
    sign_in_password(client, user)
    assert client.post(CODE, {"code": "100001"}).status_code == 200
    locked = client.post(CODE, {"code": "100002"})  # the third failure for this email from this address
    assert locked.status_code == 429 and b"Too many failed sign-in attempts" in locked.content
    assert signed_in_as(client) is None
    # Locked for both steps: the password is refused, and the right code no longer reaches the check.
    assert sign_in_password(client, user).status_code == 429
    assert client.post(CODE, {"code": app_code(user)})["Location"] == LOGIN
    attempt = AccessAttempt.objects.get(username=user.email)
    assert attempt.failures_since_start >= 3  # and the password tried while locked
    assert "100002" not in attempt.post_data and "100001" not in attempt.post_data  # the lockout keeps no code


@override_settings(AXES_FAILURE_LIMIT=2)
def test_a_lockout_that_starts_while_halfway_stops_the_code_too(tenant_a):
    user = tenant_a.admin
    turn_on(user)
    halfway = Client()
    sign_in_password(halfway, user)
    guesser = Client()  # another tab, the same address
    for _ in range(2):
        guesser.post(LOGIN, {"username": user.email, "password": "nope"})
    locked = halfway.post(CODE, {"code": app_code(user)})
    assert locked.status_code == 429 and signed_in_as(halfway) is None


@override_settings(LOGIN_RATE_LIMIT=3)
def test_the_code_step_shares_the_sign_in_rate_limit(tenant_a):
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    sign_in_password(client, user)
    statuses = [client.post(CODE, {"code": f"{n:06d}"}).status_code for n in range(100001, 100004)]
    assert statuses[-1] == 429  # the password step counted one of the three


def test_the_password_step_gives_the_session_a_new_key(tenant_a):
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    session = client.session
    session["planted"] = True
    session.save()
    before = client.cookies["sessionid"].value
    sign_in_password(client, user)
    assert client.cookies["sessionid"].value != before
    assert client.session.get("planted") and signin.PENDING in client.session


def test_django_otp_makes_the_next_check_wait_after_a_wrong_code(tenant_a, settings):
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    sign_in_password(client, user)
    assert client.post(CODE, {"code": wrong_code(user)}).status_code == 200
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    waiting = client.post(CODE, {"code": app_code(user)})
    assert waiting.status_code == 200 and b"wait a few seconds" in waiting.content
    assert signed_in_as(client) is None


def test_the_halfway_state_expires_and_ends_with_a_new_password(tenant_a):
    user = tenant_a.admin
    turn_on(user)
    client = Client()
    sign_in_password(client, user)
    session = client.session
    session[signin.PENDING] = {**session[signin.PENDING], "until": time.time() - 1}
    session.save()
    assert client.post(CODE, {"code": app_code(user)})["Location"] == LOGIN
    assert signed_in_as(client) is None

    sign_in_password(client, user)
    user.set_password("another-horse-43")
    user.save()
    assert client.post(CODE, {"code": app_code(user)})["Location"] == LOGIN
    assert signed_in_as(client) is None


def test_a_recovery_code_signs_in_once(tenant_a, caplog):
    caplog.set_level(logging.INFO, logger="sam.auth")
    user = tenant_a.admin
    codes = turn_on(user)
    client = Client()
    sign_in_password(client, user)
    done = client.post(CODE, {"code": codes[3].upper().replace("-", " ")}, follow=True)  # as typed from paper
    assert signed_in_as(client) == user.pk
    assert b"You signed in with a recovery code" in done.content and b"9 left" in done.content
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    said = auth_lines(caplog)
    assert any("2fa-recovery-code-used" in line and "left=9" in line for line in said)
    assert not any(codes[3] in line or codes[3].replace("-", "") in line for line in said)

    other = Client()
    sign_in_password(other, user)
    again = other.post(CODE, {"code": codes[3]})
    assert again.status_code == 200 and b"was used already" in again.content
    assert signed_in_as(other) is None
    assert other.post(CODE, {"code": codes[4]}).status_code == 302
    assert signed_in_as(other) == user.pk


def test_someone_elses_recovery_code_does_not_work(tenant_a):
    mine, theirs = tenant_a.admin, tenant_a.users[Role.MEMBER]
    turn_on(mine)
    their_codes = turn_on(theirs)
    client = Client()
    sign_in_password(client, mine)
    assert client.post(CODE, {"code": their_codes[0]}).status_code == 200
    assert signed_in_as(client) is None


def test_new_recovery_codes_replace_the_old_ones(tenant_a, client_for):
    user = tenant_a.admin
    old = turn_on(user)
    client = client_for(user)
    assert client.post(RENEW, {"password": "wrong password"}).status_code == 400
    renewed = client.post(RENEW, {"password": PASSWORD})
    assert renewed.status_code == 200
    new = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>", renewed.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert RecoveryCode.objects.filter(user=user).count() == 10
    signing_in = Client()
    sign_in_password(signing_in, user)
    assert signing_in.post(CODE, {"code": old[0]}).status_code == 200  # an old one: refused
    assert signing_in.post(CODE, {"code": new[0]}).status_code == 302


def test_turning_off_takes_the_password_or_a_code(tenant_a, client_for, caplog):
    caplog.set_level(logging.INFO, logger="sam.auth")
    user = tenant_a.admin
    turn_on(user)
    client = client_for(user)
    refused = client.post(OFF, {"password": "not it"})
    assert refused.status_code == 400 and b"neither your password nor the code" in refused.content
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1  # counted as at sign-in

    with no_wait():
        done = client.post(OFF, {"password": app_code(user)})
    assert done.status_code == 302 and done["Location"] == SETUP
    assert not TOTPDevice.objects.filter(user=user).exists() and not RecoveryCode.objects.filter(user=user).exists()
    assert any(f"2fa-off user={user.pk}" in line for line in auth_lines(caplog))
    assert signed_in_as(client) == user.pk  # still signed in here
    fresh = Client()
    sign_in_password(fresh, user)
    assert signed_in_as(fresh) == user.pk  # the password alone again

    turn_on(user)
    assert client.post(OFF, {"password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


@override_settings(AXES_FAILURE_LIMIT=2)
def test_guessing_at_the_settings_forms_locks_out_too(tenant_a, client_for):
    user = tenant_a.admin
    turn_on(user)
    client = client_for(user)
    assert client.post(OFF, {"password": "guess one"}).status_code == 400
    assert client.post(OFF, {"password": "guess two"}).status_code == 429
    assert client.post(OFF, {"password": PASSWORD}).status_code == 429  # the right one waits out the lockout too
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_the_settings_pages_are_the_signed_in_persons_own(db):
    for path in (SETUP,):
        assert Client().get(path)["Location"].startswith(LOGIN)
    for path in (RENEW, OFF):
        assert Client().post(path, {"password": PASSWORD})["Location"].startswith(LOGIN)


def _require(tenant_a, client_for, rule: str):
    admin = client_for(tenant_a.admin)
    response = admin.post(REQUIRE, {"two_factor_required": rule})
    sessions._limits.clear()  # as a minute later
    return response


def test_an_admin_requires_it_only_once_they_use_it_and_the_change_is_audited(tenant_a, client_for):
    refused = _require(tenant_a, client_for, "everyone")
    assert refused.status_code == 400 and b"Turn on two-factor sign-in for yourself first" in refused.content
    assert client_for(tenant_a.users[Role.EXECUTIVE]).post(REQUIRE, {"two_factor_required": "none"}).status_code == 403
    assert _require(tenant_a, client_for, "sometimes").status_code == 400

    turn_on(tenant_a.admin)
    assert _require(tenant_a, client_for, "admins").status_code == 302
    with tenant_a.ctx():
        assert WorkspaceSettings.current().two_factor_required == "admins"
        event = AuditEvent.objects.get(action="workspace.two_factor_required")
        assert event.actor == tenant_a.admin and event.data == {"old": "none", "new": "admins"}
    page = client_for(tenant_a.admin).get(reverse("members", args=["alpha"])).content.decode()
    assert re.search(r'<input type="radio" name="two_factor_required" value="admins"[^>]* checked>', page)


def test_a_workspace_requiring_it_sends_those_without_it_to_set_it_up(tenant_a, tenant_b, client_for):
    turn_on(tenant_a.admin)
    assert _require(tenant_a, client_for, "everyone").status_code == 302
    member = tenant_a.users[Role.MEMBER]
    client = client_for(member)
    for path in ("/t/alpha/", "/t/alpha/accounts/", reverse("tokens", args=["alpha"])):
        sent = client.get(path)
        assert sent.status_code == 302 and sent["Location"] == f"{SETUP}?next={path.replace('/', '%2F')}", path
    assert client.post("/t/alpha/accounts/", {}).status_code == 302
    htmx = client.get("/t/alpha/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith(SETUP)
    api = client.get("/api/v1/members/", HTTP_X_SAM_TENANT="alpha")
    assert api.status_code == 403 and b"requires two-factor sign-in" in api.content
    # Outside the workspace: the setup page, signing out, the workspace list; tokens are their own factor.
    assert client.get(SETUP).status_code == 200
    assert client.get(reverse("tenant_switch")).status_code == 200
    with tenant_a.ctx():
        _, token = token_create(membership=tenant_a.memberships[Role.MEMBER], name="sync", expires_in_days=None)
    assert Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/members/").status_code == 200

    # Once it is on, the workspace opens, and the setup page sends back to where the person was going.
    with no_wait():
        done = client.post(SETUP, {"code": app_code(member), "next": "/t/alpha/accounts/"})
    assert b'href="/t/alpha/accounts/"' in done.content
    assert client.get("/t/alpha/").status_code == 200
    # Another address is not a place to go back to.
    evil = Client()
    evil.force_login(tenant_a.users[Role.VIEWER])
    assert b"evil.example" not in evil.get(SETUP + "?next=https://evil.example/").content

    assert client.post(reverse("logout")).status_code == 302


def test_required_of_admins_leaves_the_others_alone(tenant_a, tenant_b, client_for):
    turn_on(tenant_a.admin)
    assert _require(tenant_a, client_for, "admins").status_code == 302
    for role in (Role.MEMBER, Role.EXECUTIVE, Role.VIEWER):
        assert client_for(tenant_a.users[role]).get("/t/alpha/").status_code == 200
    other_admin = UserFactory()
    with tenant_a.ctx():
        from tests.factories import MembershipFactory

        MembershipFactory(user=other_admin, role=Role.ADMIN)
    assert client_for(other_admin).get("/t/alpha/")["Location"].startswith(SETUP)
    assert client_for(tenant_a.admin).get("/t/alpha/").status_code == 200
    # Another workspace of the same person keeps its own rule.
    assert client_for(tenant_b.admin).get("/t/bravo/").status_code == 200


def test_the_platform_admin_sign_in_cannot_skip_the_second_step(tenant_a):
    staff = UserFactory(is_staff=True, is_superuser=True)
    turn_on(staff)
    client = Client()
    response = client.post("/platform/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert signed_in_as(client) is None
    assert client.get("/platform/")["Location"].startswith("/platform/login/")
    sign_in_password(client, staff, next="/platform/")
    assert signed_in_as(client) is None
    assert client.post(CODE, {"code": app_code(staff)})["Location"] == "/platform/"
    assert client.get("/platform/").status_code == 200
    # Signed in, but not a platform operator: refused, never a second sign-in form.
    member = Client()
    member.force_login(tenant_a.users[Role.MEMBER])
    assert member.get("/platform/login/").status_code == 403
