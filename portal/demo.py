"""Demo data of the customer portal: one contact of a strategic account with access, a QBR agenda proposed to the
customer, the last QBR's pre-read and minutes sent, actions on the customer's side and ours shared with them, and a
survey waiting for the contact."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Account, ActionItem, BuyerRole, Contact
from accounts.services import action_item_add
from portal.models import PortalAccess
from portal.services import portal_access_grant
from qbr import services as qbr_services
from qbr.calendar import participant_emails
from qbr.models import MINUTES, PACK, AgendaItem, Participant, Qbr
from sam.documents.services import document_request
from sam.documents.tasks import render_document
from sam.models import Document, Tenant
from voc.models import Campaign, Invitation, SurveyVersion
from voc.services import token_salt_new

ACCOUNT = "Umbrella Health"


def seed_portal(tenant: Tenant) -> None:
    if PortalAccess.objects.exists():
        return
    account = Account.objects.alive().filter(name=ACCOUNT).select_related("owner").first()
    if account is None:
        return
    contacts = Contact.objects.filter(account=account).exclude(email="")
    contact = contacts.filter(buyer_role=BuyerRole.TECHNICAL).first() or contacts.first()
    if contact is None:
        return
    # Given access as the account's manager gives it (the emailed link runs out; the tab sends a new one).
    portal_access_grant(contact=contact, acting_user=account.owner)
    today = timezone.localdate()
    _last_review_sent(tenant, account)
    _survey_waiting(tenant, account, contact)
    qbr = Qbr.objects.filter(account=account, status=Qbr.Status.PLANNED).order_by("period_start").first()
    if qbr is not None:
        if not AgendaItem.objects.filter(qbr=qbr).exists():
            qbr_services.agenda_create_from_template(qbr=qbr, template=qbr_services.agenda_template_default_ensure())
        qbr_services.agenda_status_set(qbr=qbr, status=Qbr.AgendaStatus.PROPOSED)
        Participant.objects.get_or_create(qbr=qbr, contact=contact)
    for title, days, owner_contact in (
        ("Name a change coordinator on the hospital side", 14, contact),
        ("Share the clinical systems' maintenance calendar", 30, None),
    ):
        action_item_add(
            account=account,
            title=title,
            due=today + timedelta(days=days),
            side=ActionItem.Side.CUSTOMER,
            owner_contact=owner_contact,
        )
    # Two of our open actions shared with the customer.
    ours = ActionItem.objects.filter(
        account=account, side=ActionItem.Side.SUPPLIER, status__in=ActionItem.OPEN_STATUSES
    )
    ActionItem.objects.filter(pk__in=list(ours.order_by("due", "pk").values_list("pk", flat=True)[:2])).update(
        joint=True
    )


def _last_review_sent(tenant: Tenant, account: Account) -> None:
    """The last held QBR's pack and minutes, rendered as the worker renders them and sent to its participants."""
    qbr = Qbr.objects.filter(account=account, status=Qbr.Status.HELD).order_by("-period_start").first()
    if qbr is None or not participant_emails(qbr):
        return
    for kind in (PACK, MINUTES):
        document, _ = document_request(kind=kind, subject=qbr, params={}, acting_user=account.owner)
        render_document.apply(args=[tenant.pk, document.pk])
        document.refresh_from_db()
        if document.status == Document.Status.READY:
            qbr_services.document_send(qbr=qbr, document=document)


def _survey_waiting(tenant: Tenant, account: Account, contact: Contact) -> None:
    """A short pulse survey sent to the contact two days ago, open for three more weeks, not answered yet."""
    version = SurveyVersion.objects.order_by("-pk").first()
    if version is None:
        return
    sent = timezone.now() - timedelta(days=2)
    campaign = Campaign.objects.create(
        name="Pulse: the new change calendar",
        version=version,
        status=Campaign.Status.SENDING,
        send_at=sent,
        sent_at=sent,
        closes_at=sent + timedelta(days=21),
        reminder_after_days=7,
        reminder_max=0,
        audience={"tiers": [], "buyer_roles": [], "accounts": [account.pk]},
        created_at=sent,
    )
    salt, digest = token_salt_new(tenant.pk)
    Invitation.objects.create(
        campaign=campaign,
        contact=contact,
        token_salt=salt,
        token_hash=digest,
        status=Invitation.Status.SENT,
        sent_at=sent,
    )
