"""Demo data of the customer portal: one contact of a strategic account with access, a QBR agenda proposed to the
customer, actions on the customer's side and ours shared with them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import Account, ActionItem, BuyerRole, Contact
from accounts.services import action_item_add
from portal.models import PortalAccess
from qbr import services as qbr_services
from qbr.models import AgendaItem, Participant, Qbr
from sam.models import Tenant

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
    # Given access; the sign-in link is emailed when the team sends one from the account's "Customer portal" tab.
    PortalAccess.objects.create(contact=contact, granted_by=account.owner)
    today = timezone.localdate()
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
