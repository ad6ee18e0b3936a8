"""QBR documents: the pack (agenda, participants, joint scorecard, open actions) and the minutes, as PDFs
through the documents pipeline (their contexts and registration; sending them is a service)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import ActionItem
from qbr import calc, selectors
from qbr.models import MINUTES, PACK, AgendaItem, Participant, Qbr, is_team_copy
from sam.documents import registry
from sam.icalendar import zone_of
from sam.tenancy.urls import tenant_reverse
from scorecards import reports as scorecard_reports
from scorecards import services as scorecard_services


def _base(qbr: Qbr, *, team: bool = False) -> dict[str, Any]:
    """What every QBR document shows; the customer's copies list only the actions the customer sees (theirs and
    ours marked joint), the team's copy all of them."""
    qbr = Qbr.objects.select_related("account", "account__owner").get(pk=qbr.pk)
    local = timezone.localtime(qbr.scheduled_at, zone_of(qbr.timezone)) if qbr.scheduled_at else None
    register = selectors.open_register(qbr).select_related("owner_contact")
    return {
        "qbr": qbr,
        "account": qbr.account,
        "local": local,
        "items": list(AgendaItem.objects.filter(qbr=qbr).select_related("owner", "proposed_by")),
        "people": list(Participant.objects.filter(qbr=qbr).select_related("contact", "user")),
        "register": list(register if team else register.filter(shared_actions())),
        "action_plan": _assessment_actions(qbr, team=team),
    }


def shared_actions() -> Q:
    """The actions the customer sees: theirs, and ours marked joint."""
    return Q(side=ActionItem.Side.CUSTOMER) | Q(joint=True)


def _assessment_actions(qbr: Qbr, *, team: bool) -> list[Any]:
    """The actions of accepted assessment recommendations, open or closed, for their quarterly review."""

    found = ActionItem.objects.filter(
        account=qbr.account,
        source_kind="assessment",  # assessments.models.ACTION_SOURCE: a sibling app, not imported
        dedupe_key__startswith="recommendation:",
    )
    if not team:
        found = found.filter(shared_actions())
    return list(found.select_related("owner", "owner_contact").order_by(F("due").asc(nulls_last=True), "pk"))


def pack_context(qbr: Qbr, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Agenda, participants, the joint scorecard of the period and the open actions; the team's copy adds our
    preparation (what we expect the customer to say is not for the customer's eyes)."""

    context = _base(qbr, team=is_team_copy(params))
    period = scorecard_services.period_for(calc.target_date(context["qbr"]))
    card = scorecard_services.scorecard_for(account=context["account"], period=period)
    context["joint"] = scorecard_reports.joint_context(card)
    context["preparation"] = selectors.preparation_view(context["qbr"]) if is_team_copy(params) else None
    context["team_copy"] = is_team_copy(params)
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
            title=lambda qbr, params: (
                f"QBR pack{' (team copy)' if is_team_copy(params) else ''}: {qbr.account.name}, {qbr.period_label}"
            ),
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
