"""What a contact sees in the portal: their own account only, and on it only what is shared with the customer.

Every lookup starts from the contact's account; an id of another account or tenant finds nothing (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import ActionItem, ActionItemEvent, Contact
from assessments.models import Assessment, Recommendation
from assessments.services import SHARED_STATUSES
from portal.models import PortalAccess
from qbr.models import AgendaComment, AgendaItem, Milestone, Participant, Qbr
from qbr.reports import shared_actions
from sam.icalendar import zone_of
from sam.models import AuditEvent, Document
from scorecards import reports as scorecard_reports
from scorecards.models import Scorecard
from voc.models import Invitation
from voc.services import OPEN as OPEN_INVITATIONS

ACTIVITY = {
    "portal.sign_in": "signed in",
    "portal.sign_out": "signed out",
    "portal.agenda_propose": "proposed an agenda item",
    "portal.agenda_comment": "commented on an agenda",
    "portal.agenda_agree": "agreed the agenda",
    "portal.action_update": "updated an action",
    "portal.recommendation_answer": "answered a recommendation",
    "portal.survey_open": "opened a survey",
    "portal.document_open": "opened a document",
}


def _one(queryset: QuerySet[Any], pk: int) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- QBRs ----------------------------------------------------------------------------------------------------


def qbrs_of(contact: Contact) -> dict[str, list[Qbr]]:
    """Upcoming (open) and past (held) QBRs of the contact's account; cancelled ones are not shown."""
    qbrs = list(Qbr.objects.filter(account_id=contact.account_id).exclude(status=Qbr.Status.CANCELLED))
    for qbr in qbrs:
        qbr.local = _local(qbr)
    upcoming = sorted((q for q in qbrs if q.open), key=lambda q: (q.scheduled_at is None, q.scheduled_at, q.pk))
    past = sorted((q for q in qbrs if not q.open), key=lambda q: q.held_at or timezone.now(), reverse=True)
    return {"upcoming": upcoming, "past": past}


def _local(qbr: Qbr) -> Any:
    """The meeting's time on its own clock (the time zone it was set in)."""
    return timezone.localtime(qbr.scheduled_at, zone_of(qbr.timezone)) if qbr.scheduled_at else None


def qbr_of(contact: Contact, qbr_id: int) -> Qbr:
    qbr: Qbr = _one(
        Qbr.objects.filter(account_id=contact.account_id)
        .exclude(status=Qbr.Status.CANCELLED)
        .select_related("account"),
        qbr_id,
    )
    return qbr


def qbr_view(qbr: Qbr) -> dict[str, Any]:
    """The QBR page: when and where, who, the agenda with its comments, the agreement and the documents."""
    items = list(AgendaItem.objects.filter(qbr=qbr).select_related("owner", "proposed_by"))
    comments = list(AgendaComment.objects.filter(qbr=qbr).select_related("item", "contact", "user"))
    return {
        "qbr": qbr,
        "local": _local(qbr),
        "items": items,
        "comments": comments,
        "agenda_minutes": sum(i.minutes for i in items),
        "people": list(Participant.objects.filter(qbr=qbr).select_related("contact", "user")),
        "agenda_milestone": Milestone.objects.filter(qbr=qbr, kind=Milestone.Kind.AGENDA).first(),
        "documents": qbr_documents(qbr),
        "agreed_by": qbr.agenda_agreed_by if qbr.agenda_agreed_by_id else None,
    }


SENT_FIELDS = ("preread_sent", "minutes_sent", "snapshot_sent")


def _ready(document: Document | None) -> bool:
    return document is not None and document.status == Document.Status.READY and bool(document.file)


def qbr_documents(qbr: Qbr) -> list[Document]:
    """What the participants were sent: the latest pre-read, the minutes, and the joint scorecard that went with
    the pre-read (never the team's copy, which is never sent)."""
    found = Qbr.objects.filter(pk=qbr.pk).select_related(*SENT_FIELDS).first()
    return [d for d in (getattr(found, f) for f in SENT_FIELDS) if _ready(d)] if found else []


def document_of(contact: Contact, document_id: int) -> Document:
    """A document the contact may open: one sent to the participants of a QBR of their account (not a cancelled
    one)."""
    qbrs = Qbr.objects.filter(account_id=contact.account_id).exclude(status=Qbr.Status.CANCELLED)
    sent = Q(pk__in=qbrs.values("preread_sent")) | Q(pk__in=qbrs.values("minutes_sent"))
    document = Document.objects.filter(sent | Q(pk__in=qbrs.values("snapshot_sent")), pk=document_id).first()
    if not _ready(document):
        raise Http404
    assert document is not None
    return document


# --- the joint scorecard -------------------------------------------------------------------------------------


def joint_scorecard(contact: Contact) -> dict[str, Any] | None:
    """The latest scorecard of the account, its joint metrics only (as the customer's PDF prints them)."""
    card = (
        Scorecard.objects.filter(account_id=contact.account_id, period__start__lte=timezone.localdate())
        .order_by("-period__start")
        .first()
    )
    if card is None:
        return None
    return scorecard_reports.joint_context(card)


# --- the action register -------------------------------------------------------------------------------------


def _shared_register(contact: Contact) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(account_id=contact.account_id).filter(shared_actions())


def _customer_notes() -> Prefetch[Any]:
    """The notes contacts left on an action, newest first (as ``notes``)."""
    queryset = ActionItemEvent.objects.filter(contact__isnull=False).exclude(note="").select_related("contact")
    return Prefetch("events", queryset=queryset.order_by("-at"), to_attr="notes")


def actions_of(contact: Contact, *, show_all: bool = False) -> dict[str, list[ActionItem]]:
    """The customer's actions (theirs to update) and ours marked joint (to see), open ones unless all asked."""
    found = (
        _shared_register(contact)
        .select_related("owner", "owner_contact")
        .prefetch_related(_customer_notes())
        .order_by("due", "pk")
    )
    if not show_all:
        found = found.filter(status__in=ActionItem.OPEN_STATUSES)
    items = list(found)
    return {
        "theirs": [a for a in items if a.side == ActionItem.Side.CUSTOMER],
        "ours": [a for a in items if a.side != ActionItem.Side.CUSTOMER],
    }


def customer_action_of(contact: Contact, action_id: int) -> ActionItem:
    """One of the customer's own actions (the only ones a contact may update): any other id is a 404."""
    item: ActionItem = _one(
        ActionItem.objects.filter(account_id=contact.account_id, side=ActionItem.Side.CUSTOMER)
        .select_related("owner", "owner_contact")
        .prefetch_related(_customer_notes()),
        action_id,
    )
    return item


# --- shared assessments --------------------------------------------------------------------------------------


def _shared_assessments(contact: Contact) -> QuerySet[Assessment]:
    return Assessment.objects.filter(account_id=contact.account_id, status__in=SHARED_STATUSES)


def assessments_of(contact: Contact) -> list[Assessment]:
    return list(_shared_assessments(contact).order_by("-shared_on", "-pk"))


def assessment_of(contact: Contact, assessment_id: int) -> dict[str, Any]:
    """A shared assessment: its summary and the recommendations, each with the customer's answer."""
    assessment: Assessment = _one(_shared_assessments(contact), assessment_id)
    recs = list(
        Recommendation.objects.filter(assessment=assessment)
        .exclude(status=Recommendation.Status.DECLINED)  # withdrawn by the team, as in the customer's report
        .select_related("customer_contact")
        .order_by("priority", "start", "pk")
    )
    return {"assessment": assessment, "recommendations": recs}


def recommendation_of(contact: Contact, recommendation_id: int) -> Recommendation:
    rec: Recommendation = _one(
        Recommendation.objects.filter(assessment__account_id=contact.account_id, assessment__status__in=SHARED_STATUSES)
        .exclude(status=Recommendation.Status.DECLINED)
        .select_related("assessment", "customer_contact"),
        recommendation_id,
    )
    return rec


# --- surveys -------------------------------------------------------------------------------------------------


def _open_invitations(contact: Contact) -> QuerySet[Invitation]:
    """The contact's own survey invitations that still take an answer (sent or opened, the campaign open)."""
    return (
        Invitation.objects.filter(contact=contact, status__in=OPEN_INVITATIONS)
        .exclude(campaign__status="closed")
        .filter(Q(campaign__closes_at__isnull=True) | Q(campaign__closes_at__gt=timezone.now()))
        .select_related("campaign")
    )


def open_surveys(contact: Contact) -> list[Invitation]:
    return list(_open_invitations(contact).order_by("-sent_at", "-pk"))


def survey_of(contact: Contact, invitation_id: int) -> Invitation:
    invitation: Invitation = _one(_open_invitations(contact), invitation_id)
    return invitation


# --- the staff side ------------------------------------------------------------------------------------------


def access_of_account(account: Any) -> dict[str, Any]:
    """Who of the account's contacts has portal access, when they last signed in, and what they did."""
    accesses = list(
        PortalAccess.objects.filter(contact__account=account).select_related("contact", "granted_by", "revoked_by")
    )
    with_access = {a.contact_id for a in accesses}
    contact_ids = list(Contact.objects.filter(account=account).values_list("pk", flat=True))
    names = dict(Contact.objects.filter(account=account).values_list("pk", "name"))
    activity = list(
        AuditEvent.objects.filter(actor_contact_id__in=contact_ids, action__startswith="portal.").order_by(
            "-created_at"
        )[:50]
    )
    statuses = dict(ActionItem.Status.choices)
    for event in activity:
        event.contact_name = names.get(event.actor_contact_id or 0, "A former contact")
        event.label = ACTIVITY.get(event.action, event.action)
        event.status_label = statuses.get(event.data.get("status", ""), "")
    return {
        "accesses": accesses,
        "without": [c for c in Contact.objects.filter(account=account).order_by("name") if c.pk not in with_access],
        "activity": activity,
    }
