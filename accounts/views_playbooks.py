"""Playbooks: the list (everyone sees what fires and what it did), and the admin's pages to make, change, pause and
remove one. One small view per action; the services decide who may."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import playbook_selectors, playbook_services, triggers
from accounts.forms import PlaybookForm, PlaybookStepFormSet
from accounts.models import Playbook, PlaybookStep
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.permissions import can, tenant_view
from sam.tenancy.urls import tenant_redirect


def _playbook_or_404(playbook_id: int) -> Playbook:
    playbook = Playbook.objects.filter(pk=playbook_id).first()
    if playbook is None:
        raise Http404("No such playbook.")
    return playbook


@tenant_view("tenant.view")
@require_safe
def playbooks(request: TenantRequest) -> HttpResponse:
    context = {
        "rows": playbook_selectors.playbook_list(),
        "can_manage": can(request, "playbook.manage"),
        "triggers": {t.key: t for t in triggers.triggers()},
        "roles": dict(PlaybookStep.role_choices()),
        "active_nav": "admin",
    }
    return render(request, "accounts/playbooks.html", context)


def _steps_of(formset: Any) -> list[dict[str, Any]]:
    """The filled rows, in order; a row left empty is not a step."""
    steps = []
    for form in formset.forms:
        data = form.cleaned_data if form.is_valid() else {}
        if data.get("title"):
            steps.append({"title": data["title"], "role": data["role"], "due_days": data["due_days"]})
    return steps


def _edit(request: TenantRequest, playbook: Playbook | None) -> HttpResponse:
    if playbook is None:
        initial: dict[str, Any] = {"active": True}
        steps_initial: list[dict[str, Any]] = []
    else:
        initial = {"name": playbook.name, "trigger": playbook.trigger, "days": playbook.days, "active": playbook.active}
        steps_initial = [{"title": s.title, "role": s.role, "due_days": s.due_days} for s in playbook.steps.all()]
    form = PlaybookForm(request.POST or None, initial=initial)
    formset = PlaybookStepFormSet(request.POST or None, initial=steps_initial, prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            saved = playbook_services.playbook_save(
                playbook=playbook,
                name=data["name"],
                trigger=data["trigger"],
                days=data["days"],
                active=data["active"],
                steps=_steps_of(formset),
                acting_user=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Playbook \u201c{saved.name}\u201d saved.")
            return tenant_redirect("playbooks")
    context = {
        "form": form,
        "formset": formset,
        "playbook": playbook,
        "triggers": triggers.triggers(),
        "active_nav": "admin",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/playbook_edit.html", context, status=status)


@tenant_view("playbook.manage")
@require_http_methods(["GET", "POST"])
def playbook_create(request: TenantRequest) -> HttpResponse:
    return _edit(request, None)


@tenant_view("playbook.manage")
@require_http_methods(["GET", "POST"])
def playbook_edit(request: TenantRequest, playbook_id: int) -> HttpResponse:
    return _edit(request, _playbook_or_404(playbook_id))


@tenant_view("tenant.view")
@require_POST
def playbook_toggle(request: TenantRequest, playbook_id: int, active: bool) -> HttpResponse:
    playbook = _playbook_or_404(playbook_id)
    playbook_services.playbook_set_active(playbook=playbook, active=active, acting_user=request.user)
    messages.success(request, f"\u201c{playbook.name}\u201d {'is active' if active else 'is paused'}.")
    return tenant_redirect("playbooks")


@tenant_view("tenant.view")
@require_POST
def playbook_delete(request: TenantRequest, playbook_id: int) -> HttpResponse:
    playbook = _playbook_or_404(playbook_id)
    try:
        playbook_services.playbook_delete(playbook=playbook, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Playbook \u201c{playbook.name}\u201d removed.")
    return tenant_redirect("playbooks")
