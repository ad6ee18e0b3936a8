"""Portal access: giving and revoking it, sign-in links, and portal sessions.

Links and session keys are tokens of ``sam.tokens`` (``<tenant id>.<secret>``, only hashes kept): a link's secret
is made again from its salt as the email leaves (the outbox holds a placeholder), a session key's is random.
Every refusal is the same (``PortalRefused``), so nothing tells a visitor whether a link was unknown, used,
expired or revoked, or whether an email address is known.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Contact
from assessments import services as assessment_services
from portal.models import PortalAccess, PortalLink, PortalSession
from qbr import services as qbr_services
from sam import tokens
from sam.models import Tenant, User
from sam.outbox import Withdrawn, email_enqueue, register_hook
from sam.permissions import require_member as require
from sam.services import audit_record
from sam.tenancy.context import tenant_context

KEY_PREFIX = "portal-link:"
LINK_PLACEHOLDER = "[[portal-link]]"
RESEND_AFTER = timedelta(seconds=60)  # a new link on request at most once a minute per contact
TOUCH_EVERY = timedelta(seconds=60)  # a session's last-seen time is written at most once a minute


# What a contact may set an action of theirs to, with the words the portal uses.
CONTACT_STATUSES = [(s.value, s.label) for s in account_services.CONTACT_STATUSES]


class PortalRefused(Exception):
    """A link or a session that does not open the portal (unknown, used, expired, revoked, idle, ended)."""


_hash = tokens.token_hash
tenant_of = tokens.tenant_of_token


def _tenant(token: str) -> Tenant | None:
    """The active tenant a link token or session key names (None: not one of ours in form, or no such tenant)."""
    tenant_id = tenant_of(token)
    return Tenant.objects.filter(pk=tenant_id, active=True).first() if tenant_id else None


def link_token(tenant_id: int, salt: str) -> str:
    return tokens.salted_token("sam.portal.link", tenant_id, salt)


# --- access --------------------------------------------------------------------------------------------------


def portal_access_grant(*, contact: Contact, acting_user: User | None, now: datetime | None = None) -> PortalAccess:
    """Give a contact access to their account's portal (again, after a revocation) and email a sign-in link.
    The account's manager (its owner) or an admin decides."""
    require(acting_user, "account.edit", contact.account)
    if not (contact.email or "").strip():
        raise ValidationError({"contact": "This contact has no email address: add one first."})
    now = now or timezone.now()
    with transaction.atomic():
        access, created = PortalAccess.objects.select_for_update().get_or_create(
            contact=contact, defaults={"granted_by": acting_user, "granted_at": now}
        )
        if not created and access.revoked_at is not None:
            access.revoked_at, access.revoked_by, access.granted_by, access.granted_at = None, None, acting_user, now
            access.save(update_fields=["revoked_at", "revoked_by", "granted_by", "granted_at"])
        audit_record(actor=acting_user, action="portal.grant", obj=access, contact=contact.pk)
    portal_link_send(access=access, now=now)
    return access


@transaction.atomic
def portal_access_revoke(*, access: PortalAccess, acting_user: User | None, now: datetime | None = None) -> None:
    """At once: the contact's live sessions end and their unused links stop working."""
    require(acting_user, "account.edit", access.contact.account)
    now = now or timezone.now()
    PortalAccess.objects.filter(pk=access.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=acting_user)
    PortalSession.objects.filter(access=access, ended_at__isnull=True).update(ended_at=now)
    PortalLink.objects.filter(access=access, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    access.revoked_at = access.revoked_at or now
    audit_record(actor=acting_user, action="portal.revoke", obj=access, contact=access.contact_id)


# --- sign-in links -------------------------------------------------------------------------------------------


def portal_link_send(*, access: PortalAccess, now: datetime | None = None) -> PortalLink:
    """A new single-use link, valid ``PORTAL_LINK_MINUTES``, emailed to the contact (the link itself is filled in
    as the email leaves)."""
    now = now or timezone.now()
    salt = secrets.token_hex(16)
    link = PortalLink.objects.create(
        access=access,
        token_salt=salt,
        token_hash=_hash(link_token(access.tenant_id, salt)),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.PORTAL_LINK_MINUTES),
    )
    contact = access.contact
    email_enqueue(
        key=f"{KEY_PREFIX}{link.pk}",
        to=[contact.email],
        subject=f"Your sign-in link: {contact.account.name}",
        text=render_to_string(
            "emails/portal_link.txt",
            {
                "contact": contact,
                "account": contact.account,
                "link": LINK_PLACEHOLDER,
                "minutes": settings.PORTAL_LINK_MINUTES,
            },
        ),
    )
    return link


def portal_link_request(*, tenant: Tenant, email: str, now: datetime | None = None) -> None:
    """A contact asks for a new link by their email: sent when the address has live access, at most once a minute;
    nothing is said either way."""
    email = (email or "").strip().lower()[:254]
    if not email or "\x00" in email:
        return
    now = now or timezone.now()
    with tenant_context(tenant):
        for access in PortalAccess.objects.filter(revoked_at__isnull=True, contact__email=email).select_related(
            "contact__account"
        ):
            if access.contact.account.deleted_at is not None:
                continue
            if not PortalLink.objects.filter(access=access, created_at__gt=now - RESEND_AFTER).exists():
                portal_link_send(access=access, now=now)


def message_with_link(email: Any, text: str, html: str) -> tuple[str, str]:
    """The outbox's hook: fill in the link as the message leaves; a link that can no longer work is not sent."""
    link = PortalLink.objects.select_related("access").filter(pk=email.idempotency_key[len(KEY_PREFIX) :]).first()
    if link is None or link.used_at is not None or link.access.revoked_at is not None:
        raise Withdrawn("the sign-in link was used or revoked")
    if link.expires_at <= timezone.now():
        raise Withdrawn("the sign-in link has expired")
    url = f"{settings.SITE_URL}/p/in/{link_token(link.tenant_id, link.token_salt)}/"
    return text.replace(LINK_PLACEHOLDER, url), html.replace(LINK_PLACEHOLDER, url)


def register() -> None:
    from accounts.privacy import register_eraser

    register_hook(KEY_PREFIX, expand=message_with_link)
    register_eraser(contact_access_end)


def contact_access_end(contact: Any) -> list[Any]:
    """A privacy request: the contact's portal access ends at once (sessions, unused links); nothing to blank."""
    now = timezone.now()
    accesses = PortalAccess.objects.filter(contact=contact, revoked_at__isnull=True)
    PortalSession.objects.filter(access__in=accesses, ended_at__isnull=True).update(ended_at=now)
    PortalLink.objects.filter(access__in=accesses, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    accesses.update(revoked_at=now)
    return []


# --- sessions ------------------------------------------------------------------------------------------------


def portal_sign_in(*, token: str, address: str = "", now: datetime | None = None) -> tuple[str, PortalSession]:
    """Spend a link: a new portal session and its key (given to the browser once, kept here only as a hash)."""
    now = now or timezone.now()
    tenant = _tenant(token)
    if tenant is None:
        raise PortalRefused
    with tenant_context(tenant), transaction.atomic():
        link = _live_link(token, now, lock=True)
        if link is None:
            raise PortalRefused
        PortalLink.objects.filter(pk=link.pk).update(used_at=now)
        key = f"{tenant.pk}.{secrets.token_urlsafe(32)}"
        session = PortalSession.objects.create(
            access=link.access, key_hash=_hash(key), created_at=now, last_seen_at=now, address=address[:64]
        )
        PortalAccess.objects.filter(pk=link.access_id).update(last_sign_in_at=now)
        audit_record(actor=None, actor_contact_id=link.access.contact_id, action="portal.sign_in", obj=link.access)
    return key, session


def portal_session_of(*, key: str, now: datetime | None = None) -> PortalSession:
    """The live session of a key, touched; an idle, ended or revoked one is refused (and ended)."""
    now = now or timezone.now()
    tenant = _tenant(key)
    if tenant is None:
        raise PortalRefused
    # The refusal is raised outside the tenant's block: raised inside, it would undo the session's ending.
    with tenant_context(tenant):
        session = (
            PortalSession.objects.select_related("access__contact__account")
            .filter(key_hash=_hash(key), ended_at__isnull=True)
            .first()
        )
        live = session is not None
        if session is not None:
            idle = now - session.last_seen_at > timedelta(minutes=settings.PORTAL_IDLE_MINUTES)
            gone = session.access.revoked_at is not None or session.access.contact.account.deleted_at is not None
            if idle or gone:
                PortalSession.objects.filter(pk=session.pk).update(ended_at=max(now, session.created_at))
                live = False
            elif now - session.last_seen_at >= TOUCH_EVERY:
                PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now)
                session.last_seen_at = now
    if not live or session is None:
        raise PortalRefused
    return session


def portal_sign_out(*, session: PortalSession, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with tenant_context(Tenant.objects.get(pk=session.tenant_id)):
        ended = PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=max(now, session.created_at)
        )
        if ended:
            audit_record(
                actor=None, actor_contact_id=session.access.contact_id, action="portal.sign_out", obj=session.access
            )


def portal_link_check(*, token: str, now: datetime | None = None) -> PortalLink | None:
    """The live link of a token, without spending it (the page that asks the contact to sign in shows whose
    it is); ``None`` for anything that would be refused."""
    now = now or timezone.now()
    tenant = _tenant(token)
    if tenant is None:
        return None
    with tenant_context(tenant):
        return _live_link(token, now)


def _live_link(token: str, now: datetime, *, lock: bool = False) -> PortalLink | None:
    """In the token's tenant: its link if unused, unexpired, its access not revoked and its account not removed
    (locked, to spend it)."""
    links = PortalLink.objects.select_for_update(of=("self",)) if lock else PortalLink.objects.all()
    link = (
        links.select_related("access__contact__account", "tenant")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None or link.access.revoked_at is not None or link.access.contact.account.deleted_at is not None:
        return None
    return link


def portal_link_request_anywhere(*, email: str, tenant_id: int | None = None) -> int:
    """A new link for an address, in the workspace the visitor came from or, not knowing it, in every active one
    (run by a worker: the page answers at once and the same either way). Returns the workspaces looked in."""
    tenants = Tenant.objects.filter(active=True)
    if tenant_id is not None:
        tenants = tenants.filter(pk=tenant_id)
    looked = 0
    for tenant in tenants.order_by("pk"):
        portal_link_request(tenant=tenant, email=email)
        looked += 1
    return looked


# --- what a contact does (each audited with the contact as actor; the account owner hears hourly) -------------


def _audit(contact: Contact, action: str, obj: Any, **data: Any) -> None:
    audit_record(actor=None, actor_contact_id=contact.pk, action=action, obj=obj, account=contact.account_id, **data)


def contact_agenda_propose(*, contact: Contact, qbr: Any, data: dict[str, Any]) -> Any:
    item = qbr_services.agenda_item_propose(qbr=qbr, contact=contact, data=data)
    _audit(contact, "portal.agenda_propose", qbr, title=item.title, minutes=item.minutes)
    return item


def contact_agenda_comment(*, contact: Contact, qbr: Any, text: str, item_id: Any = None) -> Any:
    comment = qbr_services.agenda_comment_add(qbr=qbr, contact=contact, text=text, item_id=item_id)
    _audit(contact, "portal.agenda_comment", qbr, text=comment.text[:200])
    return comment


def contact_agenda_agree(*, contact: Contact, qbr: Any) -> Any:
    qbr = qbr_services.agenda_agree_by_contact(qbr=qbr, contact=contact)
    _audit(contact, "portal.agenda_agree", qbr, period=qbr.period_label)
    return qbr


def contact_action_update(*, contact: Contact, item: Any, status: str, note: str) -> Any:
    item = account_services.action_item_update_by_contact(item=item, contact=contact, status=status, note=note)
    _audit(contact, "portal.action_update", item, title=item.title, status=item.status, note=note.strip()[:200])
    return item


def contact_recommendation_answer(*, contact: Contact, recommendation: Any, answer: str, comment: str) -> Any:
    rec = assessment_services.recommendation_answer_by_contact(
        recommendation=recommendation, contact=contact, answer=answer, comment=comment
    )
    _audit(contact, "portal.recommendation_answer", rec, title=rec.title, answer=answer, comment=rec.customer_comment)
    return rec


def contact_document_opened(*, contact: Contact, document: Any) -> None:
    _audit(contact, "portal.document_open", document, title=document.title)


def contact_survey_opened(*, contact: Contact, invitation: Any) -> None:
    _audit(contact, "portal.survey_open", invitation, campaign=invitation.campaign.name)
