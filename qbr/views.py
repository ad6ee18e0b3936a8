"""QBR pages: the list (upcoming, overdue, held) and one QBR (date, people, agenda, minutes, register)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Contact
from qbr import calendar, reports, selectors, services
from qbr.forms import AgendaStatusForm, CadenceForm, QbrActionForm, ScheduleForm, checked
from qbr.models import (
    AgendaItem,
    AgendaTemplate,
    AgendaTemplateItem,
    Cadence,
    Interval,
    Milestone,
    Participant,
    Qbr,
    QbrSettings,
)
from sam.documents.services import document_request, documents_of, requested_text
from sam.http import TenantRequest
from sam.models import Document
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
    if owner.isdigit():
        qbrs = qbrs.filter(account__owner_id=int(owner))
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
        "compliance": selectors.compliance(today, owner_id=int(owner) if owner.isdigit() else None),
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
@require_http_methods(["GET", "POST"])
def qbr_detail(request: TenantRequest, qbr_id: int) -> HttpResponse:
    qbr = _qbr(qbr_id)
    can_edit = can(request, "account.edit_team_work", qbr.account)
    warnings: list[str] = []
    failed = False
    if request.method == "POST":
        require(request, "account.edit_team_work", qbr.account)
        try:
            done, warnings = _act(request, qbr)
        except ValidationError as exc:
            failed = True
            messages.error(request, " ".join(exc.messages))
        else:
            if done:
                messages.success(request, done)
                if not Qbr.objects.filter(pk=qbr.pk).exists():  # e.g. a pause removed this untouched QBR
                    return tenant_redirect("qbr_list")
                return tenant_redirect("qbr_detail", qbr.pk)
    qbr.refresh_from_db()
    items = list(AgendaItem.objects.filter(qbr=qbr).select_related("owner"))
    people = list(Participant.objects.filter(qbr=qbr).select_related("contact", "user"))
    invited_contacts = {p.contact_id for p in people if p.contact_id}
    invited_users = {p.user_id for p in people if p.user_id}
    context = {
        "qbr": qbr,
        "account": qbr.account,
        "can_edit": can_edit and qbr.open,
        "can_minutes": can_edit and qbr.status != Qbr.Status.CANCELLED,
        "items": items,
        "agenda_minutes": sum(i.minutes for i in items),
        "people": people,
        "gaps": selectors.right_people(qbr),
        "milestones": list(Milestone.objects.filter(qbr=qbr)),
        "cadence": Cadence.objects.filter(account=qbr.account).first(),
        "intervals": Interval.choices,
        "register": list(selectors.open_register(qbr)),
        "contacts": [
            c for c in Contact.objects.filter(account=qbr.account).order_by("name") if c.pk not in invited_contacts
        ],
        "members": [u for u in member_choices() if u.pk not in invited_users],
        "owners": member_choices(),
        "date_warnings": warnings,
        "posted": request.POST if warnings else None,
        "local": timezone.localtime(qbr.scheduled_at, calendar.zone_of(qbr.timezone)) if qbr.scheduled_at else None,
        "today": timezone.localdate(),
        "documents": _documents(qbr),
        "snapshot": qbr.scorecard_snapshot,
        "agenda_templates": _agenda_templates(),
        "can_request": can(request, "report.request"),
        "active_nav": "qbrs",
    }
    return render(request, "qbr/detail.html", context, status=400 if failed else 200)


def _item(qbr: Qbr, raw: str) -> AgendaItem:
    item = AgendaItem.objects.filter(qbr=qbr, pk=int(raw) if raw.isdigit() else 0).first()
    if item is None:
        raise Http404
    return item


def _act(request: TenantRequest, qbr: Qbr) -> tuple[str, list[str]]:
    """One change from the QBR page; returns the message to show (and date warnings needing a confirmation)."""
    post = request.POST
    action = post.get("action", "")
    if action == "schedule":
        form = ScheduleForm(post)
        data = checked(form)
        warnings = services.qbr_schedule_set(
            qbr=qbr, when=form.when(), tz=data["timezone"], location=data["location"], confirmed=data["confirm"]
        )
        return ("" if warnings else "Date and place saved; the milestones follow the date."), warnings
    if action == "participant":
        contact, user = post.get("contact", ""), post.get("user", "")
        services.participant_add(
            qbr=qbr,
            contact_id=int(contact) if contact.isdigit() else None,
            user_id=int(user) if user.isdigit() else None,
        )
        return "Invited.", []
    if action == "participant_remove":
        raw = post.get("id", "")
        services.participant_remove(qbr=qbr, participant_id=int(raw) if raw.isdigit() else 0)
        return "Removed from the invitation.", []
    if action == "agenda_template":
        raw = post.get("template", "")
        template = (
            AgendaTemplate.objects.filter(pk=int(raw)).first() if raw.isdigit() else services.agenda_template_default()
        )
        if template is None:
            raise Http404
        services.agenda_from_template(qbr=qbr, template=template)
        return "The agenda starts from the template: change it as you need.", []
    if action == "item_add":
        services.agenda_item_save(qbr=qbr, data=post)
        return "Item added.", []
    if action == "item_edit":
        services.agenda_item_save(qbr=qbr, data=post, item=_item(qbr, post.get("id", "")))
        return "Item saved.", []
    if action in ("item_up", "item_down"):
        services.agenda_item_move(qbr=qbr, item=_item(qbr, post.get("id", "")), up=action == "item_up")
        return "Agenda reordered.", []
    if action == "item_delete":
        services.agenda_item_delete(qbr=qbr, item=_item(qbr, post.get("id", "")))
        return "Item removed.", []
    if action == "agenda_status":
        data = checked(AgendaStatusForm(post))
        services.agenda_status_set(qbr=qbr, status=data["status"], agreed_on=data["agreed_on"])
        return f"Agenda: {qbr.get_agenda_status_display().lower()}.", []
    if action == "minutes":
        services.minutes_save(
            qbr=qbr,
            item=_item(qbr, post.get("id", "")),
            notes=post.get("notes", ""),
            decisions=post.get("decisions", ""),
        )
        return "Minutes saved.", []
    if action == "action_add":
        data = checked(QbrActionForm(post))
        services.qbr_action_add(
            qbr=qbr, title=data["title"], owner=data["owner"], due=data["due"], acting_user=request.user
        )
        return "Action added to the account's register: it stays there, QBR after QBR, until closed.", []
    if action == "milestone":
        kind = post.get("kind", "")
        if kind not in Milestone.Kind.values:
            raise ValidationError("Unknown milestone.")
        services.qbr_check_editable(qbr)
        services.milestone_done(qbr=qbr, kind=kind, done=post.get("done") == "1")
        return "Milestone updated.", []
    if action == "preread":
        services.preread_notes_set(qbr=qbr, notes=post.get("preread_notes", ""))
        return "Pre-read notes saved.", []
    if action == "cadence":
        data = checked(CadenceForm(post))
        services.cadence_set(
            account=qbr.account,
            interval_months=data["interval_months"],
            paused_until=data["paused_until"],
            pause_reason=data["pause_reason"],
            acting_user=request.user,
        )
        return "Cadence saved. QBRs planned by the scheduler that no longer fit it were removed.", []
    if action in ("make_pack", "make_minutes"):
        require(request, "report.request")
        kind = reports.PACK if action == "make_pack" else reports.MINUTES
        _, created = document_request(kind=kind, subject=qbr, params={}, acting_user=request.user)

        return requested_text(created), []
    if action == "snapshot":
        require(request, "report.request")
        reports.snapshot_attach(qbr=qbr, acting_user=request.user)
        return "The joint scorecard of the period is being made as a PDF and attached to this QBR.", []
    if action == "send":
        raw = post.get("document", "")
        document = Document.objects.filter(
            pk=int(raw) if raw.isdigit() else 0, subject_id=qbr.pk, kind__in=[reports.PACK, reports.MINUTES]
        ).first()
        if document is None:
            raise Http404
        sent = reports.document_send(qbr=qbr, document=document)
        return ("Sent to the participants." if sent else "This version was sent already."), []
    if action == "invite":
        sent = reports.invitation_send(qbr=qbr)
        return ("Invitation sent with a calendar file." if sent else "That invitation was sent already."), []
    if action == "held":
        services.qbr_held(qbr=qbr, no_minutes_reason=post.get("no_minutes_reason", "")[:400], acting_user=request.user)
        return "The QBR is held. Open actions carry into the next one.", []
    if action == "cancel":
        services.qbr_cancel(qbr=qbr, reason=post.get("reason", "")[:400], acting_user=request.user)
        return "The QBR is cancelled; no more reminders for it.", []
    raise ValidationError("Unknown action.")


@tenant_view("tenant.manage_settings")
@require_http_methods(["GET", "POST"])
def program(request: TenantRequest) -> HttpResponse:
    """The tenant's QBR program: default cadence and the milestone timeline."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.program_set(data=request.POST)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, "QBR program saved; open QBRs' milestones follow the new timeline.")
            return tenant_redirect("qbr_program")
    context = {
        "program": QbrSettings.current(),
        "intervals": Interval.choices,
        "errors": errors,
        "posted": request.POST if errors else None,
        "active_nav": "admin",
    }
    return render(request, "qbr/program.html", context, status=400 if errors else 200)


def _documents(qbr: Qbr) -> list[Any]:
    return sorted(
        [*documents_of(qbr, reports.PACK)[:10], *documents_of(qbr, reports.MINUTES)[:10]],
        key=lambda d: d.pk,
        reverse=True,
    )


def _agenda_templates() -> list[Any]:
    services.agenda_template_default()
    return list(AgendaTemplate.objects.order_by("-is_default", "name"))


@tenant_view("tenant.manage_templates")
@require_http_methods(["GET", "POST"])
def agenda_templates(request: TenantRequest) -> HttpResponse:
    """Agenda templates (admins): items in order with their time boxes; one is the default."""

    failed = False
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        try:
            if action == "create":
                template = services.agenda_template_create(name=post.get("name", "")[:200])
                messages.success(request, f"Template “{template.name}” created: add its items.")
            else:
                raw = post.get("template", "")
                template = AgendaTemplate.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
                if template is None:
                    raise Http404
                raw_item = post.get("item", "")
                item = (
                    AgendaTemplateItem.objects.filter(template=template, pk=int(raw_item)).first()
                    if raw_item.isdigit()
                    else None
                )
                if action in ("item_edit", "item_up", "item_down", "item_delete") and item is None:
                    raise Http404
                if action == "item_add":
                    services.agenda_template_item_save(template=template, data=post)
                elif action == "item_edit":
                    services.agenda_template_item_save(template=template, data=post, item=item)
                elif action in ("item_up", "item_down"):
                    services.agenda_template_item_move(template=template, item=item, up=action == "item_up")
                elif action == "item_delete":
                    services.agenda_template_item_delete(template=template, item=item)
                elif action == "default":
                    services.agenda_template_make_default(template=template)
                else:
                    raise ValidationError("Unknown action.")
                messages.success(request, "Saved.")
        except ValidationError as exc:
            failed = True
            messages.error(request, " ".join(exc.messages))
        else:
            return tenant_redirect("qbr_agenda_templates")
    templates = _agenda_templates()
    items: dict[int, list[AgendaTemplateItem]] = {t.pk: [] for t in templates}
    for item in AgendaTemplateItem.objects.filter(template__in=templates).order_by("order", "pk"):
        items[item.template_id].append(item)
    rows = [{"template": t, "items": items[t.pk], "minutes": sum(i.minutes for i in items[t.pk])} for t in templates]
    return render(
        request, "qbr/agenda_templates.html", {"rows": rows, "active_nav": "admin"}, status=400 if failed else 200
    )
