"""Inviting a person by email: nothing about an existing account is disclosed to the admin, and nothing is live
until the person accepts from the emailed link, signed in with that address or with a new account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sam.models import AuditEvent, Invitation, Membership, OutboundEmail, User
from sam.outbox import email_send
from sam.roles import Role

pytestmark = pytest.mark.django_db

MEMBERS = reverse("members", args=["alpha"])


def invite(client, email: str, name: str = "Typed Name", role: str = "account_manager"):
    return client.post(MEMBERS, {"email": email, "name": name, "role": role})


def emailed_link(world) -> str:
    """Send what waits in the outbox; the path of the last invitation link that left."""
    with world.ctx():
        for row in OutboundEmail.objects.filter(status="queued", idempotency_key__startswith="invitation:"):
            email_send(email_id=row.pk)
    found = re.search(r"(/invitations/\d+/\S+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_inviting_another_workspaces_person_shows_only_what_was_typed_and_adds_nobody(tenant_a, tenant_b, client_for):
    admin = client_for(tenant_a.admin)
    outsider = tenant_b.admin  # stored name "BRAVO Admin", a member of another workspace only
    response = invite(admin, outsider.email.upper())
    assert response.status_code == 302
    page = admin.get(MEMBERS).content.decode()
    assert "Typed Name" in page and outsider.email in page
    assert "BRAVO" not in page  # nothing of the account that exists
    with tenant_a.ctx():
        assert not Membership.objects.filter(user=outsider).exists()  # not live before they accept
        assert AuditEvent.objects.filter(action="invitation.create").exists()
    link = emailed_link(tenant_a)
    assert client_for(outsider).get("/t/alpha/").status_code in (403, 404)

    # They open the link signed out: there is an account for the address, so they sign in to accept.
    signed_out = Client().get(link)
    assert signed_out.status_code == 200 and b"Sign in to accept" in signed_out.content
    theirs = client_for(outsider)
    assert b"Join Alpha Supplies" in theirs.get(link).content
    joined = theirs.post(link)
    assert joined.status_code == 302 and joined["Location"] == reverse("dashboard", args=["alpha"])
    with tenant_a.ctx():
        assert Membership.objects.get(user=outsider).role == Role.ACCOUNT_MANAGER
        assert Invitation.objects.get().accepted_by == outsider
    assert theirs.get("/t/alpha/").status_code == 200
    assert Client().get(link).status_code == 404  # used


def test_a_new_person_makes_their_account_from_the_link(tenant_a, client_for):
    invite(client_for(tenant_a.admin), "New.Person@Example.test", role="member")
    assert not User.objects.filter(email="new.person@example.test").exists()
    link = emailed_link(tenant_a)
    browser = Client()
    form = browser.get(link)
    assert form.status_code == 200 and b'value="Typed Name"' in form.content
    weak = browser.post(link, {"full_name": "Nina New", "password1": "password", "password2": "password"})
    assert weak.status_code == 400 and b"too common" in weak.content
    differ = browser.post(link, {"full_name": "Nina New", "password1": "Good-pass-2026!", "password2": "Other-2026!"})
    assert differ.status_code == 400 and b"The two passwords differ." in differ.content
    assert not User.objects.filter(email="new.person@example.test").exists()
    done = browser.post(link, {"full_name": "Nina New", "password1": "Good-pass-2026!", "password2": "Good-pass-2026!"})
    assert done.status_code == 302 and done["Location"] == reverse("dashboard", args=["alpha"])
    assert browser.get("/t/alpha/").status_code == 200  # signed in
    user = User.objects.get(email="new.person@example.test")
    assert user.full_name == "Nina New" and user.check_password("Good-pass-2026!")
    with tenant_a.ctx():
        assert Membership.objects.get(user=user).role == Role.MEMBER


def test_the_link_works_for_the_invited_address_once_and_until_replaced_withdrawn_or_expired(
    tenant_a, tenant_b, client_for
):
    admin = client_for(tenant_a.admin)
    invite(admin, "someone@example.test")
    first = emailed_link(tenant_a)
    wrong = client_for(tenant_b.admin).get(first)
    assert wrong.status_code == 403 and b'data-testid="wrong-account"' in wrong.content
    assert client_for(tenant_b.admin).post(first).status_code == 403
    with tenant_a.ctx():
        invitation = Invitation.objects.get()
        assert not Membership.objects.filter(user=tenant_b.admin).exists()
    assert admin.post(reverse("invitation_resend", args=["alpha", invitation.pk])).status_code == 302
    second = emailed_link(tenant_a)
    assert second != first
    assert Client().get(first).status_code == 404 and Client().get(second).status_code == 200
    other_tenant = re.sub(r"/invitations/\d+/", f"/invitations/{tenant_b.tenant.pk}/", second)
    assert Client().get(other_tenant).status_code == 404
    with tenant_a.ctx():
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().get(second).status_code == 404
    assert b"Expired" in admin.get(MEMBERS).content
    admin.post(reverse("invitation_resend", args=["alpha", invitation.pk]))
    third = emailed_link(tenant_a)
    assert Client().get(third).status_code == 200
    assert admin.post(reverse("invitation_revoke", args=["alpha", invitation.pk])).status_code == 302
    assert Client().get(third).status_code == 404
    assert b"Nobody is waiting to join" in admin.get(MEMBERS).content
    with tenant_a.ctx():  # an email queued before the withdrawal does not go out
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None and invitation.token_hash == ""


def test_only_admins_invite_resend_or_withdraw(tenant_a, client_for):
    invite(client_for(tenant_a.admin), "someone@example.test")
    with tenant_a.ctx():
        invitation = Invitation.objects.get()
    for role in (Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.MEMBER, Role.VIEWER):
        client = client_for(tenant_a.users[role])
        assert invite(client, "other@example.test").status_code == 403
        assert client.post(reverse("invitation_resend", args=["alpha", invitation.pk])).status_code == 403
        assert client.post(reverse("invitation_revoke", args=["alpha", invitation.pk])).status_code == 403
    with tenant_a.ctx():
        assert Invitation.objects.count() == 1 and Invitation.objects.get().revoked_at is None


def test_inviting_twice_or_a_member_is_refused(tenant_a, client_for):
    admin = client_for(tenant_a.admin)
    invite(admin, "someone@example.test")
    again = invite(admin, "Someone@example.test")
    assert again.status_code == 400 and b"invited already" in again.content
    member = invite(admin, tenant_a.users[Role.VIEWER].email)
    assert member.status_code == 400 and b"already a member" in member.content
    with tenant_a.ctx():
        assert Invitation.objects.count() == 1
