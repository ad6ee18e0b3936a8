"""No live password link rests in the database: not in a queued email's body nor in its idempotency key, and a sent
security email's body is not kept. The link is made as the email leaves, and it works."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse

from sam.models import OutboundEmail, PlatformEmail, User
from sam.outbox import email_send

pytestmark = pytest.mark.django_db

RESET_PATH = re.compile(r"/auth/reset/[^/\s]+/[^/\s]+/")


def rows_text(row) -> str:
    return " ".join([row.idempotency_key, row.body_text, row.body_html])


def follow_link(body: str, new_password: str) -> bool:
    """Open the emailed link, choose a password; whether it took."""
    client = Client()
    found = RESET_PATH.search(body)
    assert found, body
    page = client.get(found.group(0), follow=True)
    assert b"Choose a new password" in page.content
    done = client.post(page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    return done.status_code == 302


def test_a_password_reset_leaves_no_link_in_the_database(tenant_a):
    user = tenant_a.admin
    assert Client().post(reverse("password_reset"), {"email": user.email}).status_code == 302
    row = PlatformEmail.objects.get()
    token = default_token_generator.make_token(User.objects.get(pk=user.pk))  # what a link made now would hold
    assert token not in rows_text(row)
    assert not RESET_PATH.search(rows_text(row))
    assert re.fullmatch(rf"password-reset:{user.pk}:\d+", row.idempotency_key)

    assert email_send(email_id=row.pk, platform=True)[0] == "sent"
    row.refresh_from_db()
    assert (row.body_text, row.body_html) == ("", "")  # what it said is not kept
    assert follow_link(mail.outbox[0].body, "A-new-pass-2026!")
    assert User.objects.get(pk=user.pk).check_password("A-new-pass-2026!")


def test_a_reset_for_a_deactivated_account_is_not_sent(tenant_a):
    user = tenant_a.admin
    Client().post(reverse("password_reset"), {"email": user.email})
    User.objects.filter(pk=user.pk).update(is_active=False)
    row = PlatformEmail.objects.get()
    assert email_send(email_id=row.pk, platform=True)[0] == "failed"
    assert mail.outbox == []


def test_an_invitation_leaves_no_link_in_the_outbox(tenant_a, client_for):
    from sam.models import Invitation

    client = client_for(tenant_a.admin)
    client.post(reverse("members", args=["alpha"]), {"email": "new@example.test", "name": "New", "role": "member"})
    with tenant_a.ctx():
        row = OutboundEmail.objects.get(idempotency_key__startswith="invitation:")
        assert "[invitation link]" in row.body_text and "/invitations/" not in rows_text(row)
        assert email_send(email_id=row.pk)[0] == "sent"
        row.refresh_from_db()
        assert (row.body_text, row.body_html) == ("", "")
        invitation = Invitation.objects.get()
    link = re.search(r"/invitations/\d+/(\S+)/", mail.outbox[0].body)
    assert link and link.group(1) not in invitation.token_hash  # only its hash is kept
    assert len(invitation.token_hash) == 64
