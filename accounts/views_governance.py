"""Pages for change control, the customer's decisions and escalations: one small view per action. Who may do
what is decided by the services (the same for the API); a page only hides what its reader may not do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import governance_selectors as selectors
from accounts import governance_services as services
from accounts.forms import (
    ChangeDecideForm,
    ChangeDoneForm,
    ChangeRequestForm,
    DecisionAnswerForm,
    DecisionForm,
    EscalationForm,
    EscalationResolveForm,
)
from accounts.models import Account, ChangeRequest, Decision, Escalation
from accounts.views import _edit_page, account_child_or_404, account_or_404
from sam.http import TenantRequest
from sam.numbers import whole
from sam.pages import Message, button_change, done_redirect, form_change
from sam.permissions import can, require, tenant_view

TAB = "changes"


def governance_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    return {
        **selectors.governance_tab(account),
        "can_request": can(request, "change.request", account),
        "can_decide": can(request, "decision.edit", account),
        "can_escalate": can(request, "escalation.raise", account),
    }


def _initial(request: TenantRequest, *names: str) -> dict[str, Any]:
    """Links from a recurring issue or a change prefill the form with it (the form's own choices check it)."""
    return {name: request.GET[name] for name in names if whole(request.GET.get(name, "")) is not None}


# --- change requests -------------------------------------------------------------------------------------------


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def change_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "change.request", account)
    form = ChangeRequestForm(
        request.POST or None, account=account, initial=_initial(request, "recurring_issue", "incident")
    )
    return _add_page(
        request,
        account,
        form,
        title="Request a change",
        make=lambda data: services.change_request_create(account=account, data=data, acting_user=request.user),
        message=lambda change: f"Change requested: {change.title}. The Technical Lead is asked to approve it.",
        route="change_detail",
        help=_change_help(account),
    )


def _change_help(account: Account) -> str:
    return (
        f"The customer's prime hours are {selectors.prime_hours_text(account)}: a window that touches them is flagged."
    )


def _add_page(
    request: TenantRequest,
    account: Account,
    form: Any,
    *,
    title: str,
    make: Callable[[dict[str, Any]], Any],
    message: Message,
    route: str,
    help: str = "",
) -> HttpResponse:
    """A page that makes one row through its service, then goes to the row's own page (errors next to fields)."""

    def page(**extra: Any) -> HttpResponse:
        return _edit_page(request, account, form, title, TAB, **({"help": help} if help else {}), **extra)

    if request.method != "POST":
        return page()
    made: list[Any] = []

    def save(data: dict[str, Any]) -> Any:
        made.append(make(data))
        return made[-1]

    return form_change(
        form,
        save=save,
        message=message,
        done=lambda text: done_redirect(request, route, account.pk, made[-1].pk)(text),
        again=page,
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def change_emergency(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "change.request", account)
    form = ChangeRequestForm(request.POST or None, account=account, emergency=True)
    return _add_page(
        request,
        account,
        form,
        title="Record an emergency change",
        make=lambda data: services.change_request_emergency(account=account, data=data, acting_user=request.user),
        message="Emergency change recorded; the account owner and the Executive Partner are told.",
        route="change_detail",
        help=EMERGENCY_HELP,
    )


EMERGENCY_HELP = (
    "A change made without approval. It is kept on the record, the account owner and the Executive Partner are "
    "told, and it is listed in the Operations Review of its period."
)


def _change_page(request: TenantRequest, account: Account, change: ChangeRequest, **forms: Any) -> HttpResponse:
    decisions = list(change.decisions.select_related("contact"))
    open_ = change.status in ChangeRequest.OPEN_STATUSES
    context = {
        "account": account,
        "change": change,
        "decisions": decisions,
        "customer_approved": services.customer_approved(change),
        "recipients": selectors.customer_recipients(change),
        "approvers": selectors.technical_leads(account),
        "server_zone": timezone.get_current_timezone_name(),
        "can_approve": change.status == ChangeRequest.Status.REQUESTED and can(request, "change.approve", change),
        "can_work": open_ and can(request, "change.request", account),
        "can_ask": open_ and can(request, "decision.edit", account),
        "decide_form": forms.get("decide_form") or ChangeDecideForm(),
        "done_form": forms.get("done_form") or ChangeDoneForm(),
        "active_nav": "accounts",
        "tab": TAB,
    }
    failed = any(f.errors for f in forms.values())
    return render(request, "accounts/change_detail.html", context, status=400 if failed else 200)


@tenant_view("account.view")
def change_detail(request: TenantRequest, account_id: int, change_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    change = account_child_or_404(ChangeRequest, account, change_id)
    return _change_page(request, account, change)


@tenant_view("account.view")
@require_POST
def change_decide(request: TenantRequest, account_id: int, change_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    change = account_child_or_404(ChangeRequest, account, change_id)
    form = ChangeDecideForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.change_request_decide(
            change=change, approve=data["approve"], note=data["note"], acting_user=request.user
        ),
        message=lambda c: f"Change {c.get_status_display().lower()}.",
        done=done_redirect(request, "change_detail", account.pk, change.pk),
        again=lambda: _change_page(request, account, change, decide_form=form),
    )


@tenant_view("account.view")
@require_POST
def change_done(request: TenantRequest, account_id: int, change_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    change = account_child_or_404(ChangeRequest, account, change_id)
    form = ChangeDoneForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.change_request_done(
            change=change, outcome=data["outcome"], emergency=data["emergency"], acting_user=request.user
        ),
        message=lambda c: "Recorded as an emergency change." if c.emergency else "Change recorded as done.",
        done=done_redirect(request, "change_detail", account.pk, change.pk),
        again=lambda: _change_page(request, account, change, done_form=form),
    )


@tenant_view("account.view")
@require_POST
def change_cancel(request: TenantRequest, account_id: int, change_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    change = account_child_or_404(ChangeRequest, account, change_id)
    return button_change(
        request,
        change=lambda: services.change_request_cancel(change=change, acting_user=request.user),
        message="Change cancelled.",
        done=done_redirect(request, "change_detail", account.pk, change.pk),
        again=lambda: _change_page(request, account, change),
    )


# --- decisions ---------------------------------------------------------------------------------------------------


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def decision_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "decision.edit", account)
    form = DecisionForm(
        request.POST or None, account=account, initial=_initial(request, "recurring_issue", "change_request")
    )
    return _add_page(
        request,
        account,
        form,
        title="Ask the customer for a decision",
        make=lambda data: services.decision_request(account=account, acting_user=request.user, **data),
        message=lambda d: f"Decision asked of {d.contact.name}, due {d.due:%d %b %Y}.",
        route="decision_detail",
    )


def _decision_page(request: TenantRequest, account: Account, decision: Decision, form: Any = None) -> HttpResponse:
    context = {
        "account": account,
        "decision": decision,
        "can_answer": decision.status in (Decision.Status.REQUESTED, Decision.Status.EXPIRED)
        and can(request, "decision.edit", account),
        "answer_form": form or DecisionAnswerForm(),
        "overdue": decision.is_overdue(),
        "active_nav": "accounts",
        "tab": TAB,
    }
    return render(request, "accounts/decision_detail.html", context, status=400 if form is not None else 200)


@tenant_view("account.view")
def decision_detail(request: TenantRequest, account_id: int, decision_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    decision = account_child_or_404(Decision, account, decision_id)
    return _decision_page(request, account, decision)


@tenant_view("account.view")
@require_POST
def decision_answer(request: TenantRequest, account_id: int, decision_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    decision = account_child_or_404(Decision, account, decision_id)
    form = DecisionAnswerForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.decision_answer(decision=decision, acting_user=request.user, **data),
        message=lambda d: f"The customer's answer is recorded: {d.get_status_display().lower()}.",
        done=done_redirect(request, "decision_detail", account.pk, decision.pk),
        again=lambda: _decision_page(request, account, decision, form),
    )


@tenant_view("account.view")
@require_POST
def decision_expire(request: TenantRequest, account_id: int, decision_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    decision = account_child_or_404(Decision, account, decision_id)
    return button_change(
        request,
        change=lambda: services.decision_expire(decision=decision, acting_user=request.user),
        message="Marked as expired: no answer came.",
        done=done_redirect(request, "decision_detail", account.pk, decision.pk),
        again=lambda: _decision_page(request, account, decision),
    )


# --- escalations ------------------------------------------------------------------------------------------------


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def escalation_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "escalation.raise", account)
    form = EscalationForm(
        request.POST or None, account=account, initial=_initial(request, "recurring_issue", "decision")
    )
    partners = selectors.executive_partners(account)
    if partners:
        del form.fields["owner"]
    help_text = (
        f"{', '.join(p.display_name for p in partners)} (Executive Partner) will own it."
        if partners
        else "This account has no Executive Partner: choose the executive who will own it."
    )
    return _add_page(
        request,
        account,
        form,
        title="Raise an escalation",
        make=lambda data: services.escalation_raise(account=account, acting_user=request.user, **data),
        message=lambda e: f"Escalation raised; {e.owner.display_name} owns it.",
        route="escalation_detail",
        help=help_text,
    )


def _escalation_page(
    request: TenantRequest, account: Account, escalation: Escalation, form: Any = None
) -> HttpResponse:
    context = {
        "account": account,
        "escalation": escalation,
        "can_resolve": escalation.status == Escalation.Status.OPEN and can(request, "escalation.resolve", escalation),
        "resolve_form": form or EscalationResolveForm(),
        "active_nav": "accounts",
        "tab": TAB,
    }
    return render(request, "accounts/escalation_detail.html", context, status=400 if form is not None else 200)


@tenant_view("account.view")
def escalation_detail(request: TenantRequest, account_id: int, escalation_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    escalation = account_child_or_404(Escalation, account, escalation_id)
    return _escalation_page(request, account, escalation)


@tenant_view("account.view")
@require_POST
def escalation_resolve(request: TenantRequest, account_id: int, escalation_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    escalation = account_child_or_404(Escalation, account, escalation_id)
    form = EscalationResolveForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.escalation_resolve(
            escalation=escalation, resolution=data["resolution"], acting_user=request.user
        ),
        message="Escalation resolved.",
        done=done_redirect(request, "escalation_detail", account.pk, escalation.pk),
        again=lambda: _escalation_page(request, account, escalation, form),
    )
