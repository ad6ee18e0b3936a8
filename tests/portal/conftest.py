"""A contact of tenant A's account with portal access, and a browser-less client signed in as them."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from accounts import services as account_services
from portal import services
from sam.models import OutboundEmail
from sam.outbox import email_send
from sam.roles import Role


def link_of(world, row: OutboundEmail) -> str:
    """The sign-in link's path as the contact receives it (filled in as the email leaves)."""
    mail.outbox.clear()
    with world.ctx():
        assert email_send(email_id=row.pk)[0] == "sent"
    found = re.search(r"(/p/in/\S+/)", mail.outbox[0].body)
    assert found
    return found.group(1)


def grant(world, contact, role: Role = Role.ACCOUNT_MANAGER) -> str:
    """Give the contact access (as the account manager, unless told); the emailed link's path."""
    with world.ctx():
        services.portal_access_grant(contact=contact, acting_user=world.users[role])
        row = OutboundEmail.objects.filter(idempotency_key__startswith=services.KEY_PREFIX).latest("pk")
    return link_of(world, row)


def signed_in(world, contact, client: Client | None = None, role: Role = Role.ACCOUNT_MANAGER) -> Client:
    client = client or Client()
    link = grant(world, contact, role)
    assert client.get(link).status_code == 302
    assert client.get("/p/in/").status_code == 200
    assert client.post("/p/in/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}).status_code == 302
    assert "sam_portal_token" in client.cookies
    return client


@pytest.fixture
def contact(tenant_a, account_a):
    with tenant_a.ctx():
        return account_services.contact_save(
            account=account_a, data={"name": "Cleo Customer", "email": "Cleo@Globex.test", "buyer_role": "technical"}
        )


@pytest.fixture
def portal(tenant_a, contact) -> Client:
    return signed_in(tenant_a, contact)
