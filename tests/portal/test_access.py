"""Portal access: given and revoked by the account's team, emailed single-use links that are never stored, portal
sessions that end when idle or revoked; every refusal is the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import services as account_services
from portal import services
from portal.models import PortalAccess, PortalLink, PortalSession
from sam.models import AuditEvent, OutboundEmail
from sam.outbox import email_send
from sam.roles import Role
from tests.portal.conftest import link_of

pytestmark = pytest.mark.django_db


def sent_link(world, outbox_row: OutboundEmail) -> str:
    """The link's token as the contact receives it (filled in as the email leaves)."""
    return link_of(world, outbox_row).split("/")[3]


def test_a_grant_emails_a_link_that_rests_nowhere(tenant_a, contact):
    am = tenant_a.users[Role.ACCOUNT_MANAGER]
    with tenant_a.ctx():
        access = services.portal_access_grant(contact=contact, acting_user=am)
        row = OutboundEmail.objects.get(idempotency_key__startswith=services.KEY_PREFIX)
        link = PortalLink.objects.get(access=access)
        assert row.to == ["cleo@globex.test"] and services.LINK_PLACEHOLDER in row.body_text
        assert AuditEvent.objects.filter(action="portal.grant", actor=am).exists()
    token = sent_link(tenant_a, row)
    assert token.startswith(f"{tenant_a.tenant.pk}.") and token not in row.body_text
    with tenant_a.ctx():
        stored = " ".join(str(v) for v in PortalLink.objects.values_list("token_salt", "token_hash").get(pk=link.pk))
    assert token not in stored and token.split(".", 1)[1] not in stored
    assert link.expires_at - link.created_at == timedelta(minutes=30)


def test_only_the_accounts_manager_or_an_admin_gives_and_revokes_access(tenant_a, contact):
    with tenant_a.ctx():
        for role in (Role.MEMBER, Role.EXECUTIVE, Role.VIEWER):
            with pytest.raises(PermissionDenied):
                services.portal_access_grant(contact=contact, acting_user=tenant_a.users[role])
        access = services.portal_access_grant(contact=contact, acting_user=tenant_a.users[Role.ACCOUNT_MANAGER])
        with pytest.raises(PermissionDenied):
            services.portal_access_revoke(access=access, acting_user=tenant_a.users[Role.MEMBER])
        assert PortalAccess.objects.get().active


def test_a_contact_without_an_email_cannot_be_given_access(tenant_a, account_a):
    with tenant_a.ctx():
        nobody = account_services.contact_save(account=account_a, data={"name": "No Mail"})
        with pytest.raises(ValidationError):
            services.portal_access_grant(contact=nobody, acting_user=tenant_a.admin)
        assert not PortalAccess.objects.exists()


def test_a_link_opens_one_session_once_and_only_while_fresh(tenant_a, contact):
    with tenant_a.ctx():
        services.portal_access_grant(contact=contact, acting_user=tenant_a.admin)
        row = OutboundEmail.objects.get(idempotency_key__startswith=services.KEY_PREFIX)
    token = sent_link(tenant_a, row)
    key, session = services.portal_sign_in(token=token, address="203.0.113.9")
    assert key.startswith(f"{tenant_a.tenant.pk}.") and session.access.contact_id == contact.pk
    with pytest.raises(services.PortalRefused):
        services.portal_sign_in(token=token)  # used
    with tenant_a.ctx():
        assert PortalSession.objects.get().key_hash != key and key not in PortalSession.objects.get().key_hash
        assert PortalAccess.objects.get().last_sign_in_at is not None
        assert AuditEvent.objects.filter(action="portal.sign_in", actor_contact_id=contact.pk).exists()
        # a second link, opened after it ran out
        access = PortalAccess.objects.get()
        services.portal_link_send(access=access)
        late = OutboundEmail.objects.filter(idempotency_key__startswith=services.KEY_PREFIX).latest("pk")
    later = sent_link(tenant_a, late)
    with pytest.raises(services.PortalRefused):
        services.portal_sign_in(token=later, now=timezone.now() + timedelta(minutes=31))
    for bad in ("", "x", f"{tenant_a.tenant.pk}.short", f"{tenant_a.tenant.pk}." + "A" * 43, "9999." + "A" * 43):
        with pytest.raises(services.PortalRefused):
            services.portal_sign_in(token=bad)


def test_another_tenants_prefix_finds_nothing(tenant_a, tenant_b, contact):
    with tenant_a.ctx():
        services.portal_access_grant(contact=contact, acting_user=tenant_a.admin)
        row = OutboundEmail.objects.get(idempotency_key__startswith=services.KEY_PREFIX)
    token = sent_link(tenant_a, row)
    moved = f"{tenant_b.tenant.pk}.{token.split('.', 1)[1]}"
    with pytest.raises(services.PortalRefused):
        services.portal_sign_in(token=moved)
    services.portal_sign_in(token=token)  # the real one still works


def test_sessions_end_when_idle_signed_out_or_revoked(tenant_a, contact):
    now = timezone.now()
    with tenant_a.ctx():
        access = services.portal_access_grant(contact=contact, acting_user=tenant_a.admin)
        row = OutboundEmail.objects.get(idempotency_key__startswith=services.KEY_PREFIX)
    key, _ = services.portal_sign_in(token=sent_link(tenant_a, row), now=now)
    assert services.portal_session_of(key=key, now=now + timedelta(minutes=119)).access_id == access.pk
    # touched at 119 minutes: still live two hours after that, not after
    assert services.portal_session_of(key=key, now=now + timedelta(minutes=238))
    with pytest.raises(services.PortalRefused):
        services.portal_session_of(key=key, now=now + timedelta(minutes=238 + 121))
    with pytest.raises(services.PortalRefused):  # ended for good, not revived by a fresh clock
        services.portal_session_of(key=key, now=now + timedelta(minutes=240))
    # revoking ends live sessions and unused links at once
    with tenant_a.ctx():
        services.portal_link_send(access=access)
        pending = OutboundEmail.objects.filter(idempotency_key__startswith=services.KEY_PREFIX).latest("pk")
    unused = sent_link(tenant_a, pending)
    with tenant_a.ctx():
        services.portal_link_send(access=access)
        queued = OutboundEmail.objects.filter(idempotency_key__startswith=services.KEY_PREFIX).latest("pk")
    key2, _ = services.portal_sign_in(token=unused)
    with tenant_a.ctx():
        services.portal_access_revoke(access=access, acting_user=tenant_a.users[Role.ACCOUNT_MANAGER])
        assert AuditEvent.objects.filter(action="portal.revoke").exists()
        assert email_send(email_id=queued.pk)[0] == "failed"  # a link still in the outbox is not sent
    with pytest.raises(services.PortalRefused):
        services.portal_session_of(key=key2)
    # given again: a new link works, the old session stays ended
    with tenant_a.ctx():
        services.portal_access_grant(contact=contact, acting_user=tenant_a.admin)
        fresh = OutboundEmail.objects.filter(idempotency_key__startswith=services.KEY_PREFIX).latest("pk")
    key3, session3 = services.portal_sign_in(token=sent_link(tenant_a, fresh))
    services.portal_sign_out(session=session3)
    with pytest.raises(services.PortalRefused):
        services.portal_session_of(key=key3)


def test_a_new_link_on_request_says_nothing_and_sends_at_most_once_a_minute(tenant_a, tenant_b, contact):
    now = timezone.now()
    with tenant_a.ctx():
        services.portal_access_grant(contact=contact, acting_user=tenant_a.admin, now=now)
        links = PortalLink.objects.all()
        assert links.count() == 1
    services.portal_link_request(tenant=tenant_a.tenant, email=" CLEO@globex.test ", now=now + timedelta(seconds=30))
    services.portal_link_request(tenant=tenant_a.tenant, email="nobody@globex.test", now=now + timedelta(minutes=5))
    services.portal_link_request(tenant=tenant_a.tenant, email="bad\x00@x", now=now + timedelta(minutes=5))
    services.portal_link_request(tenant=tenant_b.tenant, email="cleo@globex.test", now=now + timedelta(minutes=5))
    with tenant_a.ctx():
        assert links.count() == 1  # too soon, unknown, broken, other workspace: nothing
    services.portal_link_request(tenant=tenant_a.tenant, email="cleo@globex.test", now=now + timedelta(minutes=2))
    with tenant_a.ctx():
        assert links.count() == 2
        services.portal_access_revoke(access=PortalAccess.objects.get(), acting_user=tenant_a.admin)
    services.portal_link_request(tenant=tenant_a.tenant, email="cleo@globex.test", now=now + timedelta(minutes=9))
    with tenant_a.ctx():
        assert links.count() == 2  # revoked: no more links
