"""QBR pages: the list (upcoming, overdue, held) and one QBR (date, people, agenda, minutes, register)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from qbr import selectors, services
from qbr.forms import (
    AgendaCommentForm,
    AgendaItemForm,
    AgendaStatusForm,
    AgendaTemplateForm,
    AgendaTemplateItemForm,
    AgendaTemplatePickForm,
    CadenceForm,
    CancelForm,
    ColleagueInviteForm,
    ContactInviteForm,
    DocumentSendForm,
    HeldForm,
    MilestoneForm,
    MinutesForm,
    PreparationForm,
    PrereadForm,
    QbrActionForm,
    QbrProgramForm,
    ScheduleForm,
)
from qbr.models import (
    MINUTES,
    PACK,
    TEAM_COPY,
    AgendaComment,
    AgendaItem,
    AgendaTemplate,
    AgendaTemplateItem,
    Cadence,
    Milestone,
    Participant,
    Preparation,
    Qbr,
    QbrSettings,
)
from qbr.permissions import PreparationRights, preparation_rights
from sam.documents.services import document_request, documents_of, requested_text
from sam.forms import apply_errors, share_choices
from sam.http import TenantRequest
from sam.icalendar import zone_of
from sam.numbers import whole
from sam.pages import Message, button_change, done_redirect, form_change
from sam.permissions import can, require, tenant_view
from sam.selectors import member_choices
from sam.tenancy.urls import tenant_redirect


@tenant_view("account.view")
def qbr_list(request: TenantRequest) -> HttpResponse:
    """Upcoming, overdue and held QBRs across the portfolio, filtered by owner."""
    today = timezone.localdate()
    qbrs = (
        Qbr.objects.filter(account__deleted_at__isnull=True)
        .select_related("account", "account__owner")
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("due")))
    )
    owner = request.GET.get("owner", "")
    if whole(owner) is not None:
        qbrs = qbrs.filter(account__owner_id=whole(owner))
    open_statuses = [Qbr.Status.PLANNED, Qbr.Status.AGENDA_AGREED]
    rows = []
    for qbr in qbrs.order_by("period_start", "account__name"):
        late = [m for m in qbr.milestones.all() if m.done_at is None and m.due < today]
        rows.append(
            {
                "qbr": qbr,
                "late": late,
                "overdue": qbr.status in open_statuses and (qbr.period_end < today or bool(late)),
            }
        )
    upcoming = [r for r in rows if r["qbr"].status in open_statuses and not r["overdue"]]
    overdue = [r for r in rows if r["overdue"]]
    held = sorted(
        (r for r in rows if r["qbr"].status == Qbr.Status.HELD),
        key=lambda r: r["qbr"].held_at or timezone.now(),
        reverse=True,
    )[:50]
    context = {
        "compliance": selectors.qbr_compliance(today, owner_id=whole(owner)),
        "upcoming": upcoming,
        "overdue": overdue,
        "held": held,
        "owners": member_choices(),
        "owner": owner,
        "today": today,
        "can_program": can(request, "tenant.manage_settings"),
        "active_nav": "qbrs",
    }
    return render(request, "qbr/list.html", context)


def _qbr(qbr_id: int) -> Qbr:
    qbr = Qbr.objects.filter(pk=qbr_id, account__deleted_at__isnull=True).select_related("account").first()
    if qbr is None:
        raise Http404
    return qbr


@tenant_view("account.view")
@require_safe
def qbr_detail(request: TenantRequest, qbr_id: int) -> HttpResponse:
    qbr = _qbr(qbr_id)
    return render(request, "qbr/detail.html", _detail_context(request, qbr, {}))


def _detail_context(request: TenantRequest, qbr: Qbr, bound: dict[str, Any]) -> dict[str, Any]:
    """Everything the QBR page shows; ``bound`` holds the forms that failed (by their context name)."""
    can_edit = can(request, "account.edit_team_work", qbr.account)
    items = list(AgendaItem.objects.filter(qbr=qbr).select_related("owner", "proposed_by"))
    people = list(Participant.objects.filter(qbr=qbr).select_related("contact", "user"))
    invited = ({p.contact_id for p in people if p.contact_id}, {p.user_id for p in people if p.user_id})
    cadence = Cadence.objects.filter(account=qbr.account).first()
    local = timezone.localtime(qbr.scheduled_at, zone_of(qbr.timezone)) if qbr.scheduled_at else None
    today = timezone.localdate()
    documents = _documents(qbr)
    preparation = selectors.preparation_view(qbr, today=today)
    rights = _rights(request, qbr)
    context = {
        "qbr": qbr,
        "account": qbr.account,
        "can_edit": can_edit and qbr.open,
        "can_minutes": can_edit and qbr.status != Qbr.Status.CANCELLED,
        "items": [
            {
                "item": item,
                "form": bound.get(f"item_form_{item.pk}")
                or AgendaItemForm(
                    initial={"title": item.title, "minutes": item.minutes, "owner": item.owner_id},
                    auto_id=f"item{item.pk}-%s",
                ),
                "minutes_form": bound.get(f"minutes_form_{item.pk}")
                or MinutesForm(
                    initial={"notes": item.notes, "decisions": item.decisions}, auto_id=f"minutes{item.pk}-%s"
                ),
            }
            for item in items
        ],
        "agenda_minutes": sum(i.minutes for i in items),
        "agenda_comments": list(AgendaComment.objects.filter(qbr=qbr).select_related("item", "contact", "user")),
        "agreed_by": qbr.agenda_agreed_by if qbr.agenda_agreed_by_id else None,
        "comment_form": AgendaCommentForm(auto_id="comment-%s"),
        "people": people,
        "gaps": selectors.qbr_right_people(qbr),
        "milestones": list(Milestone.objects.filter(qbr=qbr)),
        "cadence": cadence,
        "register": list(selectors.open_register(qbr)),
        "local": local,
        "today": today,
        "documents": documents,
        "snapshot": qbr.scorecard_snapshot,
        "can_request": can(request, "report.request"),
        "date_warnings": [],
        "active_nav": "qbrs",
        "schedule_form": ScheduleForm(
            initial={
                "day": local.date() if local else None,
                "time": local.time() if local else time(10, 0),
                "timezone": qbr.timezone,
                "location": qbr.location,
            }
        ),
        "cadence_form": CadenceForm(
            initial={
                "interval_months": cadence.interval_months if cadence else None,
                "paused_until": cadence.paused_until if cadence else None,
                "pause_reason": cadence.pause_reason if cadence else "",
            }
        ),
        "contact_form": ContactInviteForm(qbr=qbr, invited=invited[0], auto_id="contact-%s"),
        "user_form": ColleagueInviteForm(invited=invited[1], auto_id="colleague-%s"),
        "preread_form": PrereadForm(initial={"preread_notes": qbr.preread_notes}),
        "template_form": AgendaTemplatePickForm(initial={"template": services.agenda_template_default_ensure()}),
        "item_form": AgendaItemForm(auto_id="new-item-%s", new=True),
        "agreed_form": AgendaStatusForm(initial={"status": Qbr.AgendaStatus.AGREED, "agreed_on": today}),
        "action_form": QbrActionForm(auto_id="action-%s"),
        "send_form": DocumentSendForm(qbr=qbr, kinds=(PACK, MINUTES)),
        "held_form": HeldForm(),
        "cancel_form": CancelForm(),
        "preparation": preparation,
        "can_prepare": rights.fill and qbr.open and not preparation["complete"],
        "can_complete_preparation": rights.complete and qbr.open,
        "preparation_form": PreparationForm.of(preparation["rows"]),
    }
    share_choices([row["form"] for row in context["items"]], "owner")
    context.update(bound)
    form = context["preparation_form"]
    context["preparation_rows"] = [{**row, "fields": form.fields_of(row["topic"])} for row in preparation["rows"]]
    return context


def _rights(request: TenantRequest, qbr: Qbr) -> PreparationRights:
    return preparation_rights(role=request.membership.role, user=request.user, qbr=qbr)


def _show(
    request: TenantRequest, qbr: Qbr, card: str, bound: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """The page, or with htmx the card that changed (422 for errors, so htmx swaps them in too) with the cards a
    change elsewhere also moves (the timeline's milestones, the invitation button, the status) swapped out of band."""
    qbr.refresh_from_db()
    context = _detail_context(request, qbr, bound or {})
    if not (request.htmx and card):
        return render(request, "qbr/detail.html", context, status=status)
    parts = [render_to_string(f"qbr/detail.html#{card}", {**context, "swapped": True}, request=request)]
    for other in ALSO_SWAPPED:
        if other != card:
            parts.append(render_to_string(f"qbr/detail.html#{other}", {**context, "oob": True}, request=request))
    return HttpResponse("".join(parts), status=422 if status == 400 else status)


# Cards that follow changes made in other cards: sent along with every swapped card.
ALSO_SWAPPED = ("when", "documents", "status")


def _done(request: TenantRequest, qbr: Qbr, card: str, message: str) -> HttpResponse:
    messages.success(request, message)
    now = Qbr.objects.filter(pk=qbr.pk).first()
    if now is None:  # e.g. a pause removed this untouched QBR
        response = tenant_redirect("qbr_list")
        if request.htmx:
            return HttpResponseClientRedirect(response.url)
        return response
    if request.htmx and now.open != qbr.open:  # held or cancelled elsewhere: every card changes
        return HttpResponseClientRefresh()
    if request.htmx and card:
        qbr.refresh_from_db()
        return _show(request, qbr, card)
    return tenant_redirect("qbr_detail", qbr.pk)


def _submit(
    request: TenantRequest,
    qbr: Qbr,
    form: forms.Form,
    *,
    card: str,
    name: str,
    save: Callable[[dict[str, Any]], Any],
    message: Message,
) -> HttpResponse:
    """One card's form: the card again when done, or with the form's errors."""
    return form_change(
        form,
        save=save,
        message=message,
        done=lambda text: _done(request, qbr, card, text),
        again=lambda: _show(request, qbr, card, {name: form}, status=400),
    )


def _run(request: TenantRequest, qbr: Qbr, card: str, change: Callable[[], Any], message: Message) -> HttpResponse:
    """One card's button: the card again, with the message or the refusal."""
    return button_change(
        request,
        change=change,
        message=message,
        done=lambda text: _done(request, qbr, card, text),
        again=lambda: _show(request, qbr, card, status=400),
    )


QbrView = Callable[..., HttpResponseBase]


def qbr_change(permission: str = "account.edit_team_work") -> Callable[[QbrView], QbrView]:
    """A POST that changes one QBR: the QBR found in the tenant (404 otherwise), then the permission asked."""

    def decorate(view: QbrView) -> QbrView:
        @tenant_view("account.view")
        @require_POST
        @wraps(view)
        def wrapped(request: TenantRequest, qbr_id: int, **kwargs: Any) -> HttpResponseBase:
            qbr = _qbr(qbr_id)
            require(request, "account.edit_team_work", qbr.account)
            if permission != "account.edit_team_work":
                require(request, permission)
            return view(request, qbr, **kwargs)

        return wrapped

    return decorate


def _item(qbr: Qbr, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.filter(qbr=qbr, pk=item_id).first()
    if item is None:
        raise Http404
    return item


# --- date, time line and cadence -------------------------------------------------------------------


@qbr_change()
def schedule_set(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            warnings = services.qbr_schedule_set(
                qbr=qbr, when=form.when(), tz=data["timezone"], location=data["location"], confirmed=data["confirm"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if warnings:  # shown with the posted values and a box to confirm them
                return _show(request, qbr, "when", {"schedule_form": form, "date_warnings": warnings})
            return _done(request, qbr, "when", "Date and place saved; the milestones follow the date.")
    return _show(request, qbr, "when", {"schedule_form": form}, status=400)


@qbr_change()
def milestone_set(request: TenantRequest, qbr: Qbr, milestone_id: int) -> HttpResponse:
    milestone = Milestone.objects.filter(qbr=qbr, pk=milestone_id).first()
    if milestone is None:
        raise Http404
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether the milestone is done.")
        return _show(request, qbr, "when", status=400)
    done = form.cleaned_data["done"]
    return _run(
        request,
        qbr,
        "when",
        lambda: services.milestone_set(qbr=qbr, milestone=milestone, done=done),
        "Milestone updated.",
    )


@qbr_change()
def cadence_set(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        CadenceForm(request.POST),
        card="cadence",
        name="cadence_form",
        save=lambda data: services.cadence_set(account=qbr.account, acting_user=request.user, **data),
        message="Cadence saved. QBRs planned by the scheduler that no longer fit it were removed.",
    )


# --- participants and pre-read ----------------------------------------------------------------------


def _invited(qbr: Qbr, column: str) -> set[int]:
    """The contacts (``contact_id``) or the colleagues (``user_id``) invited already."""
    return set(Participant.objects.filter(qbr=qbr).exclude(**{column: None}).values_list(column, flat=True))


@qbr_change()
def contact_invite(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    form = ContactInviteForm(request.POST, qbr=qbr, invited=_invited(qbr, "contact_id"), auto_id="contact-%s")
    return _submit(
        request,
        qbr,
        form,
        card="people",
        name="contact_form",
        save=lambda data: services.participant_add(qbr=qbr, contact_id=data["contact"].pk),
        message="Invited.",
    )


@qbr_change()
def colleague_invite(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    form = ColleagueInviteForm(request.POST, invited=_invited(qbr, "user_id"), auto_id="colleague-%s")
    return _submit(
        request,
        qbr,
        form,
        card="people",
        name="user_form",
        save=lambda data: services.participant_add(qbr=qbr, user_id=data["user"].pk),
        message="Invited.",
    )


@qbr_change()
def participant_remove(request: TenantRequest, qbr: Qbr, participant_id: int) -> HttpResponse:
    participant = Participant.objects.filter(qbr=qbr, pk=participant_id).first()
    if participant is None:
        raise Http404
    return _run(
        request,
        qbr,
        "people",
        lambda: services.participant_remove(qbr=qbr, participant_id=participant.pk),
        "Removed from the invitation.",
    )


@qbr_change()
def agenda_comment_add(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    """The team answers the customer's comments on the agenda; the customer reads it in the portal."""
    return _submit(
        request,
        qbr,
        AgendaCommentForm(request.POST, auto_id="comment-%s"),
        card="agenda",
        name="comment_form",
        save=lambda data: services.agenda_comment_add(qbr=qbr, text=data["text"], user=request.user),
        message="Comment added: the customer sees it in the portal.",
    )


@qbr_change()
def preread_set(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        PrereadForm(request.POST),
        card="preread",
        name="preread_form",
        save=lambda data: services.preread_notes_set(qbr=qbr, notes=data["preread_notes"]),
        message="Pre-read notes saved.",
    )


@qbr_change("report.request")
def snapshot_attach(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _run(
        request,
        qbr,
        "preread",
        lambda: services.snapshot_attach(qbr=qbr, acting_user=request.user),
        "The joint scorecard of the period is being made as a PDF and attached to this QBR.",
    )


# --- our preparation -----------------------------------------------------------------------------------------


@qbr_change()
def preparation_save(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    form = PreparationForm(request.POST)
    return _submit(
        request,
        qbr,
        form,
        card="preparation",
        name="preparation_form",
        save=lambda data: services.preparation_save(qbr=qbr, rows=form.service_rows(), acting_user=request.user),
        message="Preparation saved.",
    )


@qbr_change()
def preparation_complete(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    """Save what the form holds and mark the preparation complete, both or neither."""
    if not _rights(request, qbr).complete:
        raise PermissionDenied
    form = PreparationForm(request.POST)

    def save(data: dict[str, Any]) -> Preparation:
        with transaction.atomic():
            services.preparation_save(qbr=qbr, rows=form.service_rows(), acting_user=request.user)
            return services.preparation_complete(qbr=qbr, acting_user=request.user)

    return _submit(
        request,
        qbr,
        form,
        card="preparation",
        name="preparation_form",
        save=save,
        message=lambda done: (
            "Our preparation is complete; its facts are kept as they stand today."
            + (" It was completed after the pre-read was due, so it shows as late." if done.completed_late else "")
        ),
    )


@qbr_change()
def preparation_reopen(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    if not _rights(request, qbr).complete:
        raise PermissionDenied
    return _run(
        request,
        qbr,
        "preparation",
        lambda: services.preparation_reopen(qbr=qbr, acting_user=request.user),
        "Our preparation is open again: its facts follow the data until it is completed.",
    )


# --- agenda and minutes --------------------------------------------------------------------------------


@qbr_change()
def agenda_from_template(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        AgendaTemplatePickForm(request.POST),
        card="agenda",
        name="template_form",
        save=lambda data: services.agenda_create_from_template(
            qbr=qbr, template=data["template"] or services.agenda_template_default_ensure()
        ),
        message="The agenda starts from the template: change it as you need.",
    )


@qbr_change()
def agenda_item_add(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    form = AgendaItemForm(request.POST, auto_id="new-item-%s", new=True)
    return _submit(
        request,
        qbr,
        form,
        card="agenda",
        name="item_form",
        save=lambda data: services.agenda_item_save(qbr=qbr, data=form.service_data()),
        message="Item added.",
    )


@qbr_change()
def agenda_item_edit(request: TenantRequest, qbr: Qbr, item_id: int) -> HttpResponse:
    item = _item(qbr, item_id)
    form = AgendaItemForm(request.POST, auto_id=f"item{item.pk}-%s")
    return _submit(
        request,
        qbr,
        form,
        card="agenda",
        name=f"item_form_{item.pk}",
        save=lambda data: services.agenda_item_save(qbr=qbr, data=form.service_data(), item=item),
        message="Item saved.",
    )


@qbr_change()
def agenda_item_move(request: TenantRequest, qbr: Qbr, item_id: int, up: bool) -> HttpResponse:
    """Up or down a place (the URL says which)."""
    item = _item(qbr, item_id)
    return _run(
        request, qbr, "agenda", lambda: services.agenda_item_move(qbr=qbr, item=item, up=up), "Agenda reordered."
    )


@qbr_change()
def agenda_item_delete(request: TenantRequest, qbr: Qbr, item_id: int) -> HttpResponse:
    item = _item(qbr, item_id)
    return _run(request, qbr, "agenda", lambda: services.agenda_item_delete(qbr=qbr, item=item), "Item removed.")


@qbr_change()
def agenda_status_set(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        AgendaStatusForm(request.POST),
        card="agenda",
        name="agreed_form",
        save=lambda data: services.agenda_status_set(qbr=qbr, **data),
        message=lambda _: f"Agenda: {qbr.get_agenda_status_display().lower()}.",
    )


@qbr_change()
def minutes_save(request: TenantRequest, qbr: Qbr, item_id: int) -> HttpResponse:
    item = _item(qbr, item_id)
    form = MinutesForm(request.POST, auto_id=f"minutes{item.pk}-%s")
    return _submit(
        request,
        qbr,
        form,
        card="agenda",
        name=f"minutes_form_{item.pk}",
        save=lambda data: services.minutes_save(qbr=qbr, item=item, **data),
        message="Minutes saved.",
    )


@qbr_change()
def action_add(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        QbrActionForm(request.POST, auto_id="action-%s"),
        card="register",
        name="action_form",
        save=lambda data: services.qbr_action_add(qbr=qbr, acting_user=request.user, **data),
        message="Action added to the account's register: it stays there, QBR after QBR, until closed.",
    )


# --- invitation and documents ---------------------------------------------------------------------------


@qbr_change()
def invitation_send(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _run(
        request,
        qbr,
        "documents",
        lambda: services.invitation_send(qbr=qbr),
        lambda sent: "Invitation sent with a calendar file." if sent else "That invitation was sent already.",
    )


def _make(request: TenantRequest, qbr: Qbr, kind: str, params: dict[str, Any] | None = None) -> HttpResponse:
    return _run(
        request,
        qbr,
        "documents",
        lambda: document_request(kind=kind, subject=qbr, params=params or {}, acting_user=request.user)[1],
        requested_text,
    )


@qbr_change("report.request")
def pack_make(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _make(request, qbr, PACK)


@qbr_change("report.request")
def pack_team_make(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    """The team's copy of the pack: with our preparation, never sent to the participants."""
    return _make(request, qbr, PACK, dict(TEAM_COPY))


@qbr_change("report.request")
def minutes_make(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _make(request, qbr, MINUTES)


@qbr_change()
def document_send(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        DocumentSendForm(request.POST, qbr=qbr, kinds=(PACK, MINUTES)),
        card="documents",
        name="send_form",
        save=lambda data: services.document_send(qbr=qbr, document=data["document"]),
        message=lambda sent: "Sent to the participants." if sent else "This version was sent already.",
    )


# --- after the meeting: the whole page changes -----------------------------------------------------------


@qbr_change()
def qbr_held(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        HeldForm(request.POST),
        card="",
        name="held_form",
        save=lambda data: services.qbr_held(qbr=qbr, acting_user=request.user, **data),
        message="The QBR is held. Open actions carry into the next one.",
    )


@qbr_change()
def qbr_cancel(request: TenantRequest, qbr: Qbr) -> HttpResponse:
    return _submit(
        request,
        qbr,
        CancelForm(request.POST),
        card="",
        name="cancel_form",
        save=lambda data: services.qbr_cancel(qbr=qbr, acting_user=request.user, **data),
        message="The QBR is cancelled; no more reminders for it.",
    )


@tenant_view("tenant.manage_settings")
@require_http_methods(["GET", "POST"])
def program(request: TenantRequest) -> HttpResponse:
    """The tenant's QBR program: default cadence and the milestone timeline."""
    if request.method != "POST":
        return _program_page(request, QbrProgramForm.of(QbrSettings.current()))
    form = QbrProgramForm(request.POST)

    return form_change(
        form,
        save=lambda data: services.qbr_settings_update(data=data, acting_user=request.user),
        message="QBR program saved; open QBRs' milestones follow the new timeline.",
        done=done_redirect(request, "qbr_program"),
        again=lambda: _program_page(request, form),
    )


def _program_page(request: TenantRequest, form: QbrProgramForm) -> HttpResponse:
    context = {"form": form, "active_nav": "admin"}
    return render(request, "qbr/program.html", context, status=400 if form.errors else 200)


def _documents(qbr: Qbr) -> list[Any]:
    return sorted(
        [*documents_of(qbr, PACK)[:10], *documents_of(qbr, MINUTES)[:10]],
        key=lambda d: d.pk,
        reverse=True,
    )


def _agenda_templates() -> list[Any]:
    services.agenda_template_default_ensure()
    return list(AgendaTemplate.objects.order_by("-is_default", "name"))


def _template_rows(templates: list[AgendaTemplate], bound: dict[str, Any]) -> list[dict[str, Any]]:
    items: dict[int, list[AgendaTemplateItem]] = {t.pk: [] for t in templates}
    for item in AgendaTemplateItem.objects.filter(template__in=templates).order_by("order", "pk"):
        items[item.template_id].append(item)
    return [
        {
            "template": t,
            "minutes": sum(i.minutes for i in items[t.pk]),
            "items": [
                {
                    "item": i,
                    "form": bound.get(f"item_form_{i.pk}")
                    or AgendaTemplateItemForm(initial={"title": i.title, "minutes": i.minutes}, auto_id=f"ti{i.pk}-%s"),
                }
                for i in items[t.pk]
            ],
            "item_form": bound.get(f"new_item_form_{t.pk}")
            or AgendaTemplateItemForm(auto_id=f"new{t.pk}-%s", new=True),
        }
        for t in templates
    ]


@tenant_view("tenant.manage_templates")
@require_safe
def agenda_templates(request: TenantRequest) -> HttpResponse:
    """Agenda templates (admins): items in order with their time boxes; one is the default."""
    return _templates_page(request)


def _templates_page(request: TenantRequest, create_form: AgendaTemplateForm | None = None) -> HttpResponse:
    context = {
        "rows": _template_rows(_agenda_templates(), {}),
        "create_form": create_form or AgendaTemplateForm(),
        "active_nav": "admin",
    }
    return render(request, "qbr/agenda_templates.html", context, status=400 if create_form else 200)


@tenant_view("tenant.manage_templates")
@require_POST
def agenda_template_create(request: TenantRequest) -> HttpResponse:
    form = AgendaTemplateForm(request.POST)
    if form.is_valid():
        try:
            template = services.agenda_template_create(name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Template “{template.name}” created: add its items.")
            return tenant_redirect("qbr_agenda_templates")
    return _templates_page(request, form)


def _template_card(
    request: TenantRequest, template: AgendaTemplate, bound: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """After a change to one template: its card (htmx) or the page again."""
    if not request.htmx:
        if status == 200:
            return tenant_redirect("qbr_agenda_templates")
        context = {"rows": _template_rows(_agenda_templates(), bound or {}), "create_form": AgendaTemplateForm()}
        return render(request, "qbr/agenda_templates.html", {**context, "active_nav": "admin"}, status=status)
    template.refresh_from_db()
    row = _template_rows([template], bound or {})[0]
    return render(
        request,
        "qbr/agenda_templates.html#template_card",
        {"row": row, "swapped": True},
        status=422 if status == 400 else status,
    )


TemplateView = Callable[..., HttpResponseBase]


def template_change(view: TemplateView) -> TemplateView:
    """A POST that changes one agenda template (and, with ``template_item_id``, one of its items)."""

    @tenant_view("tenant.manage_templates")
    @require_POST
    @wraps(view)
    def wrapped(request: TenantRequest, agenda_template_id: int, **kwargs: Any) -> HttpResponseBase:
        template = AgendaTemplate.objects.filter(pk=agenda_template_id).first()
        if template is None:
            raise Http404
        if "template_item_id" in kwargs:
            item = AgendaTemplateItem.objects.filter(template=template, pk=kwargs.pop("template_item_id")).first()
            if item is None:
                raise Http404
            kwargs["item"] = item
        return view(request, template, **kwargs)

    return wrapped


def _template_save(
    request: TenantRequest, template: AgendaTemplate, form: AgendaTemplateItemForm, name: str, item: Any = None
) -> HttpResponse:
    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        return _template_card(request, template)

    return form_change(
        form,
        save=lambda data: services.agenda_template_item_save(template=template, data=data, item=item),
        message="Template saved.",
        done=done,
        again=lambda: _template_card(request, template, {name: form}, status=400),
    )


@template_change
def agenda_template_item_add(request: TenantRequest, template: AgendaTemplate) -> HttpResponse:
    form = AgendaTemplateItemForm(request.POST, auto_id=f"new{template.pk}-%s", new=True)
    return _template_save(request, template, form, f"new_item_form_{template.pk}")


@template_change
def agenda_template_item_edit(request: TenantRequest, template: AgendaTemplate, item: Any) -> HttpResponse:
    form = AgendaTemplateItemForm(request.POST, auto_id=f"ti{item.pk}-%s")
    return _template_save(request, template, form, f"item_form_{item.pk}", item)


@template_change
def agenda_template_item_move(request: TenantRequest, template: AgendaTemplate, item: Any, up: bool) -> HttpResponse:
    """Up or down a place (the URL says which)."""
    services.agenda_template_item_move(template=template, item=item, up=up)
    return _template_card(request, template)


@template_change
def agenda_template_item_delete(request: TenantRequest, template: AgendaTemplate, item: Any) -> HttpResponse:
    services.agenda_template_item_delete(template=template, item=item)
    messages.success(request, f"“{item.title}” removed from the template.")
    return _template_card(request, template)


@template_change
def agenda_template_default(request: TenantRequest, template: AgendaTemplate) -> HttpResponse:
    services.agenda_template_make_default(template=template)
    messages.success(request, f"New QBR agendas start from “{template.name}”.")
    return tenant_redirect("qbr_agenda_templates")  # the badge moves between cards: the whole page
