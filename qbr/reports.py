"""QBR documents: the pack (agenda, participants, joint scorecard, open actions) and the minutes, as PDFs
through the documents pipeline; sending them to the participants; the calendar invitation."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from accounts.models import ActionItem
from qbr import calc, selectors, services
from qbr.calendar import ics, participant_emails, zone_of
from qbr.models import AgendaItem, Milestone, Participant, Qbr
from sam.documents import registry
from sam.documents.services import document_request
from sam.outbox import email_enqueue
from sam.tenancy.urls import tenant_reverse
from scorecards import reports as scorecard_reports
from scorecards import services as scorecard_services

PACK, MINUTES = "qbr_pack", "qbr_minutes"


def _base(qbr: Qbr) -> dict[str, Any]:
    qbr = Qbr.objects.select_related("account", "account__owner").get(pk=qbr.pk)
    local = timezone.localtime(qbr.scheduled_at, zone_of(qbr.timezone)) if qbr.scheduled_at else None
    return {
        "qbr": qbr,
        "account": qbr.account,
        "local": local,
        "items": list(AgendaItem.objects.filter(qbr=qbr).select_related("owner")),
        "people": list(Participant.objects.filter(qbr=qbr).select_related("contact", "user")),
        "register": list(selectors.open_register(qbr)),
        "action_plan": _assessment_actions(qbr),
    }


def _assessment_actions(qbr: Qbr) -> list[Any]:
    """The actions of accepted assessment recommendations, open or closed, for their quarterly review."""

    return list(
        ActionItem.objects.filter(
            account=qbr.account,
            source_kind="assessment",  # assessments.models.ACTION_SOURCE: a sibling app, not imported
            dedupe_key__startswith="recommendation:",
        )
        .select_related("owner")
        .order_by(F("due").asc(nulls_last=True), "pk")
    )


def pack_context(qbr: Qbr, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Agenda, participants, the joint scorecard of the period and the open actions."""

    context = _base(qbr)
    period = scorecard_services.period_for(calc.target_date(context["qbr"]))
    card = scorecard_services.scorecard_for(account=context["account"], period=period)
    context["joint"] = scorecard_reports.joint_context(card)
    return context


def minutes_context(qbr: Qbr, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return _base(qbr)


def register() -> None:
    def page(qbr: Qbr, slug: str) -> str:
        return tenant_reverse("qbr_detail", qbr.pk, slug=slug)

    registry.register(
        registry.DocumentKind(
            key=PACK,
            label="QBR pack",
            subject_model=Qbr,
            template="qbr/pack_print.html",
            context=pack_context,
            title=lambda qbr, params: f"QBR pack: {qbr.account.name}, {qbr.period_label}",
            page_url=page,
        )
    )
    registry.register(
        registry.DocumentKind(
            key=MINUTES,
            label="QBR minutes",
            subject_model=Qbr,
            template="qbr/minutes_print.html",
            context=minutes_context,
            title=lambda qbr, params: f"QBR minutes: {qbr.account.name}, {qbr.period_label}",
            page_url=page,
        )
    )


def document_send(*, qbr: Qbr, document: Any) -> bool:
    """Email a ready version to the participants, once per version (the outbox key)."""

    if document.status != "ready" or document.subject_id != qbr.pk or document.kind not in (PACK, MINUTES):
        raise ValidationError("Only a ready version of this QBR's pack or minutes can be sent.")
    to = participant_emails(qbr)
    if not to:
        raise ValidationError("Nobody invited has an email address.")
    what = "pack" if document.kind == PACK else "minutes"
    _, created = email_enqueue(
        key=f"qbr-document:{document.pk}",
        to=to,
        subject=f"{qbr.account.name}: QBR {qbr.period_label} {what}",
        text=f"Please find the {what} of our {qbr.period_label} business review attached.\n",
        attachments=[{"document": document.pk}],
    )
    if created and document.kind == PACK:
        services.milestone_done(qbr=qbr, kind=Milestone.Kind.PREREAD)
    if created and document.kind == MINUTES:
        services.milestone_done(qbr=qbr, kind=Milestone.Kind.MINUTES)
    return created


def invitation_send(*, qbr: Qbr) -> bool:
    """The invitation with its .ics to every participant, once per date (a new date sends a new one)."""

    to = participant_emails(qbr)
    if not to:
        raise ValidationError("Invite people first: nobody has an email address yet.")
    calendar = ics(qbr)
    local = timezone.localtime(qbr.scheduled_at, zone_of(qbr.timezone))

    services.qbr_check_editable(qbr)
    # Once per date, place and list of people: someone invited later gets the next one.
    stamp = hashlib.sha256(f"{qbr.scheduled_at.isoformat()}|{qbr.location}|{','.join(to)}".encode()).hexdigest()  # type: ignore[union-attr]
    _, created = email_enqueue(
        key=f"qbr-invite:{qbr.pk}:{stamp[:32]}",
        to=to,
        subject=f"Business review {qbr.period_label}: {qbr.account.name}, {local:%d %b %Y %H:%M} ({qbr.timezone})",
        text=f"You are invited to our {qbr.period_label} business review on {local:%A %d %B %Y, %H:%M} "
        f"({qbr.timezone}){', ' + qbr.location if qbr.location else ''}.\n",
        attachments=[{"filename": "invite.ics", "content_type": "text/calendar; method=REQUEST", "content": calendar}],
    )
    services.milestone_done(qbr=qbr, kind=Milestone.Kind.INVITE)
    return created


def snapshot_attach(*, qbr: Qbr, acting_user: Any) -> Any:
    """A PDF version of the period's joint scorecard, kept on the QBR as it stood (the snapshot)."""

    period = scorecard_services.period_for(calc.target_date(qbr))
    card = scorecard_services.scorecard_for(account=qbr.account, period=period)
    document, _ = document_request(kind=scorecard_reports.JOINT_KIND, subject=card, params={}, acting_user=acting_user)
    qbr.scorecard_snapshot = document
    qbr.save(update_fields=["scorecard_snapshot"])
    return document
