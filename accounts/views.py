"""Pages of the accounts app: portfolio, account tabs, forms, My actions, CSV import, program settings.

Views are thin: parse, check the allow table (on the account), call a
service, render. Every object is looked up inside the current tenant and
its account, so another tenant's id is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import (
    governance_selectors,
    imports,
    playbook_selectors,
    privacy,
    reports,
    selectors,
    services,
    sources,
    timeline_selectors,
)
from accounts.forms import (
    AccountDeleteForm,
    AccountForm,
    ActionItemForm,
    ActionReturnForm,
    ContactForm,
    ContractForm,
    CriteriaForm,
    CriterionForm,
    CriterionWeightForm,
    CsvUploadForm,
    DeliverableForm,
    GoalForm,
    IncidentCategoryForm,
    IncidentForm,
    LogoForm,
    NeededRolesForm,
    ObjectiveForm,
    OperationsReviewForm,
    PlanReviewForm,
    ProgramSettingsForm,
    RecurringIssueForm,
    TeamAssignForm,
    TierForm,
)
from accounts.import_kinds import import_kind
from accounts.models import (
    RENEWAL_WINDOW_DAYS,
    TEAM_ROLE_GUIDE,
    Account,
    AccountsSettings,
    ActionItem,
    ActionItemEvent,
    Contact,
    Contract,
    Decision,
    Deliverable,
    ImportBatch,
    Incident,
    IncidentCategory,
    PlanGoal,
    PlanObjective,
    PlanReview,
    RecurringIssue,
    SelectionCriterion,
    TeamAssignment,
    TeamRole,
    Tier,
    roles_in_order,
)
from accounts.permissions import action_item_fields, deliverable_fields
from accounts.tabs import extra_tab, extra_tabs
from sam import history
from sam.documents.services import document_request, documents_of
from sam.facts import account_facts
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.models import WorkspaceSettings
from sam.pages import change_filter, changes_page, done_redirect, form_change
from sam.permissions import can, require, tenant_view
from sam.selectors import member_choices
from sam.services import workspace_logo_set
from sam.tenancy.urls import tenant_redirect, tenant_reverse

TABS = [
    ("overview", "Overview"),
    ("team", "Team"),
    ("contacts", "Contacts"),
    ("plan", "Plan"),
    ("actions", "Actions"),
    ("incidents", "Incidents"),
    ("contracts", "Contracts"),
    ("history", "History"),
]
PAGE_SIZE = 25


def account_or_404(account_id: int) -> Account:
    account = Account.objects.alive().select_related("tier", "owner", "parent").filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


def account_child_or_404(model: type[Model], account: Account, pk: int, **path: Any) -> Any:
    lookup = path or {"account": account}
    obj = model.objects.filter(pk=pk, **lookup).first()  # type: ignore[attr-defined]
    if obj is None:
        raise Http404
    return obj


def tab_url(request: TenantRequest, account: Account, tab: str) -> str:
    return tenant_reverse("account_detail", account.pk) + f"?tab={tab}"


# --- portfolio -------------------------------------------------------------------------


@tenant_view("account.view")
def portfolio(request: TenantRequest) -> HttpResponse:
    """Strategic accounts ranked by strategic score, revenue beside it, with the team's flags."""
    params = request.GET
    filters = {k: params.get(k, "").strip()[:100] for k in ("q", "tier", "owner", "flag", "sort")}
    qs = selectors.portfolio(
        stale_days=AccountsSettings.current().review_stale_days,
        search=filters["q"],
        tier=filters["tier"],
        owner=filters["owner"],
        flag=filters["flag"],
        sort=filters["sort"] or "score",
    )
    page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    base = {k: v for k, v in filters.items() if v and k != "sort"}
    context = {
        "page": page,
        "filters": filters,
        "tiers": Tier.objects.all(),
        "owners": member_choices(),
        "flags": selectors.FLAGS,
        "sort_links": {key: "?" + urlencode({**base, "sort": key}) for key in selectors.SORTS},
        "page_query": urlencode({k: v for k, v in filters.items() if v}),
        "strategic_count": selectors.strategic_count(),
        "cap": AccountsSettings.current().portfolio_cap,
        "can_create": can(request, "account.create"),
        "active_nav": "accounts",
        "renewal_limit": timezone.localdate() + timedelta(days=RENEWAL_WINDOW_DAYS),
    }
    template = (
        "accounts/portfolio.html#results" if request.htmx and not request.htmx.boosted else "accounts/portfolio.html"
    )
    return render(request, template, context)


@tenant_view("account.create")
@require_http_methods(["GET", "POST"])
def account_create(request: TenantRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, initial={"owner": request.user.pk, "currency": "USD"})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "tier_reason"}
        try:
            account, warning = services.account_create(data=data, acting_user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if warning:
                messages.warning(request, warning)
            messages.success(request, f"{account.name} was added.")
            return tenant_redirect("account_detail", account.pk)
    return render(
        request,
        "accounts/account_form.html",
        {"form": form, "title": "New account", "active_nav": "accounts"},
        status=400 if form.errors else 200,
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def account_edit(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit", account)
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "tier_reason"}
        try:
            account, warning = services.account_update(
                account=account, data=data, acting_user=request.user, tier_reason=form.cleaned_data["tier_reason"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if warning:
                messages.warning(request, warning)
            messages.success(request, "Saved.")
            return tenant_redirect("account_detail", account.pk)
    context = {"form": form, "title": f"Edit {account.name}", "account": account, "active_nav": "accounts"}
    return render(request, "accounts/account_form.html", context, status=400 if form.errors else 200)


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def account_delete(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.delete", account)
    form = AccountDeleteForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_delete(account=account, acting_user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{account.name} was removed from the portfolio. Its history is kept.")
            return tenant_redirect("portfolio")
    context = {"account": account, "active_nav": "accounts", "form": form}
    return render(request, "accounts/account_delete.html", context, status=400 if form.errors else 200)


# --- the account page and its tabs ---------------------------------------------------------


@tenant_view("account.view")
def account_detail(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    tab = request.GET.get("tab", "overview")
    if tab not in dict(_tabs()):
        tab = "overview"
    context = _detail_context(request, account, tab)
    if request.htmx and not request.htmx.boosted:
        return render(request, _tab_partial(tab), context)
    return render(request, "accounts/account_detail.html", context)


def _tabs() -> list[tuple[str, str]]:
    """The account page's tabs in order: the built-in ones, each followed by the tabs registered after it."""
    extras = extra_tabs()
    placed = {t.key for t in extras if t.after in dict(TABS)}
    tabs: list[tuple[str, str]] = []
    for key, label in TABS:
        tabs.append((key, label))
        tabs += [(t.key, t.label) for t in extras if t.after == key]
    return tabs + [(t.key, t.label) for t in extras if t.key not in placed]


def _tab_partial(tab: str) -> str:
    return f"accounts/account_detail.html#tab_{'extra' if extra_tab(tab) else tab}"


def _detail_context(request: TenantRequest, account: Account, tab: str) -> dict[str, Any]:
    context: dict[str, Any] = {
        "account": account,
        "tab": tab,
        "tabs": _tabs(),
        "active_nav": "accounts",
        "can_edit": can(request, "account.edit", account),
        "can_team_work": can(request, "account.edit_team_work", account),
        "can_work": can(request, "account.edit_team_work", account),
        "can_delete": can(request, "account.delete", account),
        "today": timezone.localdate(),
        "facts": account_facts(account, request.tenant.slug),
        "rules": AccountsSettings.current(),
    }
    extra = extra_tab(tab)
    if extra is not None:
        context.update(extra.context(request, account), extra_template=extra.template)
    else:
        context.update(TAB_CONTEXT[tab](request, account))
    return context


def _overview(request: TenantRequest, account: Account) -> dict[str, Any]:
    stale_days = AccountsSettings.current().review_stale_days
    criteria = list(SelectionCriterion.objects.filter(active=True))
    answers = {a.criterion_id: a for a in account.criterion_answers.all()}
    return {
        "rollup": selectors.account_rollup(account),
        "completeness": selectors.team_completeness(account, stale_days=stale_days),
        "plan_stale": selectors.plan_is_stale(account, stale_days=stale_days),
        "criteria_form": CriteriaForm(criteria=criteria, answers=answers),
        "tier_changes": account.tier_changes.select_related("from_tier", "to_tier", "changed_by")[:10],
        "open_recurring": account.recurring_issues.filter(status="open").select_related("category", "owner"),
        "open_escalations": governance_selectors.open_escalations(account),
        "renewals": [c for c in account.contracts.all() if c.renewal_due()],
    }


def _team(request: TenantRequest, account: Account) -> dict[str, Any]:
    assignments = list(TeamAssignment.objects.filter(account=account).select_related("user"))
    deliverables = {d.role: d for d in Deliverable.objects.filter(account=account).select_related("owner")}
    for deliverable in deliverables.values():
        deliverable.account = account  # the page's account: its team is looked up once
    stale_days = AccountsSettings.current().review_stale_days
    needed = account.roles_needed
    roles = [
        {
            "value": value,
            "label": label,
            "needed": value in needed,
            "owns": TEAM_ROLE_GUIDE[value][0],
            "deliverable_name": TEAM_ROLE_GUIDE[value][1],
            "people": [a for a in assignments if a.role == value],
            "deliverable": deliverables.get(value),
            "stale": deliverables[value].is_stale(stale_days) if value in deliverables else True,
            "can_update": value in deliverables and bool(_deliverable_fields(request, deliverables[value])),
        }
        for value, label in TeamRole.choices
    ]
    return {
        "roles": roles,
        "assign_form": TeamAssignForm(),
        "stale_days": stale_days,
        "can_set_roles": can(request, "account.set_roles_needed", account),
        "tier_roles": [TeamRole(value).label for value in roles_in_order(account.tier.needed_roles)],
        "roles_form": NeededRolesForm(
            initial={"follow_tier": account.roles_follow_tier, "roles": needed}, auto_id="needed_%s"
        ),
    }


def _contacts(request: TenantRequest, account: Account) -> dict[str, Any]:
    coverage = timeline_selectors.relationship_coverage(account)
    return {
        "coverage": sorted(coverage, key=lambda c: c.contact.name.lower()),
        "stakeholders": selectors.stakeholder_map(account),
        "role_coverage": timeline_selectors.role_coverage(coverage),
        "contact_form": ContactForm(),
    }


def _plan(request: TenantRequest, account: Account) -> dict[str, Any]:
    goals = PlanGoal.objects.filter(account=account).prefetch_related(
        Prefetch(
            "objectives",
            queryset=PlanObjective.objects.prefetch_related(
                Prefetch("actions", queryset=ActionItem.objects.select_related("owner"))
            ),
        )
    )
    return {
        "goals": goals,
        "goal_form": GoalForm(),
        "objective_form": ObjectiveForm(),
        "reviews": PlanReview.objects.filter(account=account).select_related("reviewed_by")[:20],
        "plan_stale": selectors.plan_is_stale(account, stale_days=AccountsSettings.current().review_stale_days),
        "review_form": PlanReviewForm(),
        "action_form": ActionItemForm(account=account),
    }


def _actions(request: TenantRequest, account: Account) -> dict[str, Any]:
    show = request.GET.get("show", "open")
    found = (
        ActionItem.objects.filter(account=account)
        .select_related("owner", "owner_contact")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ActionItemEvent.objects.filter(contact__isnull=False)
                .select_related("contact")
                .order_by("-at"),
                to_attr="customer_updates",
            )
        )
    )
    if show != "all":
        found = found.filter(status__in=ActionItem.OPEN_STATUSES)
    items = list(found.order_by("due", "pk"))
    for item in items:
        item.account = account  # the page's account: its team is looked up once
    editable = {item.pk for item in items if _action_item_fields(request, item)}
    return {
        "items": items,
        "editable": editable,
        "show": show,
        "action_form": ActionItemForm(account=account),
        "playbook_runs": playbook_selectors.account_playbook_runs(account),
    }


def _incidents(request: TenantRequest, account: Account) -> dict[str, Any]:
    return {
        "incidents": Incident.objects.filter(account=account).select_related("category")[:200],
        "recurring": RecurringIssue.objects.filter(account=account)
        .select_related("category", "owner")
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related("contact"))),
        "incident_form": IncidentForm(initial={"opened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
    }


def _contracts(request: TenantRequest, account: Account) -> dict[str, Any]:
    contracts = Contract.objects.filter(account=account).select_related("lost_reason", "renewed_as")
    return {"contracts": contracts, "contract_form": ContractForm()}


def _history(request: TenantRequest, account: Account) -> dict[str, Any]:
    """Every recorded change to the account and to the rows it holds (its team, plan, QBRs...): who, when, what."""
    form = change_filter(request, kinds=history.account_kinds())
    return changes_page(request, history.of_account(account.pk), form)


TAB_CONTEXT = {
    "overview": _overview,
    "team": _team,
    "contacts": _contacts,
    "plan": _plan,
    "actions": _actions,
    "incidents": _incidents,
    "contracts": _contracts,
    "history": _history,
}


def tab_with_form(request: TenantRequest, account: Account, tab: str, form_name: str, form: Any) -> HttpResponse:
    """Re-show a tab with the form that failed, its errors next to the fields."""
    context = _detail_context(request, account, tab)
    context[form_name] = form
    template = _tab_partial(tab) if request.htmx else "accounts/account_detail.html"
    # 422 lets htmx swap the tab in with the errors (see htmx-config in base.html).
    return render(request, template, context, status=422 if request.htmx else 400)


def tab_done(request: TenantRequest, account: Account, tab: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return account_detail_tab(request, account, tab)
    return redirect(tab_url(request, account, tab))


def account_detail_tab(request: TenantRequest, account: Account, tab: str) -> HttpResponse:
    context = _detail_context(request, account, tab)
    return render(request, _tab_partial(tab), context)


# --- overview: strategic selection --------------------------------------------------------


@tenant_view("account.view")
@require_POST
def account_criteria(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit", account)
    criteria = list(SelectionCriterion.objects.filter(active=True))
    form = CriteriaForm(request.POST, criteria=criteria, answers={})
    if not form.is_valid():
        return tab_with_form(request, account, "overview", "criteria_form", form)
    services.criteria_answers_save(account=account, answers=form.answers())
    return tab_done(request, account, "overview", "Strategic score updated.")


# --- contracts and contacts ------------------------------------------------------------------


@tenant_view("account.view")
@require_POST
def contract_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit", account)
    return _submit(
        request,
        account,
        ContractForm(request.POST),
        tab="contracts",
        form_name="contract_form",
        save=lambda data: services.contract_save(account=account, data=data),
        message="Contract added.",
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def contract_edit(request: TenantRequest, account_id: int, contract_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, Contract, contract_id)
    form = ContractForm(request.POST or None, instance=row)
    return _edit(
        request, account, row, form, save=lambda data: services.contract_save(account=account, data=data, contract=row)
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def contract_delete(request: TenantRequest, account_id: int, contract_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, Contract, contract_id)
    return _delete(request, account, row, delete=lambda: services.account_row_delete(account=account, row=row))


@tenant_view("account.view")
@require_POST
def contact_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit", account)
    return _submit(
        request,
        account,
        ContactForm(request.POST),
        tab="contacts",
        form_name="contact_form",
        save=lambda data: services.contact_save(account=account, data=data),
        message="Contact added.",
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def contact_edit(request: TenantRequest, account_id: int, contact_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, Contact, contact_id)
    form = ContactForm(request.POST or None, instance=row)
    erase = tenant_reverse("contact_erase", account.pk, row.pk) if can(request, "tenant.manage_settings") else ""
    return _edit(
        request,
        account,
        row,
        form,
        save=lambda data: services.contact_save(account=account, data=data, contact=row),
        erase_url=erase,
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def contact_erase(request: TenantRequest, account_id: int, contact_id: int) -> HttpResponse:
    """A privacy request, by an admin: the contact's personal data erased for good (it asks first)."""
    account = account_or_404(account_id)
    contact = account_child_or_404(Contact, account, contact_id)
    require(request, "tenant.manage_settings")
    if request.method == "POST":
        privacy.contact_erase(contact=contact, acting_user=request.user)
        return tab_done(request, account, "contacts", "The contact's personal data was erased.")
    context = {"account": account, "contact": contact, "active_nav": "accounts"}
    return render(request, "accounts/contact_erase.html", context)


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def contact_delete(request: TenantRequest, account_id: int, contact_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, Contact, contact_id)
    return _delete(request, account, row, delete=lambda: services.account_row_delete(account=account, row=row))


def _submit(
    request: TenantRequest, account: Account, form: Any, *, tab: str, form_name: str, save: Any, message: str
) -> HttpResponse:
    """Validate a tab's form, save it through a service, then show the tab (errors next to the fields)."""
    return form_change(
        form,
        save=save,
        message=message,
        done=lambda text: tab_done(request, account, tab, text),
        again=lambda: tab_with_form(request, account, tab, form_name, form),
    )


@dataclass(frozen=True)
class _RowPages:
    """How an account row's edit and delete pages name it, the tab it lives on, who may change it, and its delete
    route."""

    what: Callable[[Any], str]
    tab: str
    permission: str
    delete_route: str
    scope: Callable[[Account], dict[str, Any]] = lambda account: {}


ROW_PAGES: dict[type[Model], _RowPages] = {
    Contract: _RowPages(lambda c: f"the contract “{c.title}”", "contracts", "account.edit", "contract_delete"),
    Contact: _RowPages(lambda c: f"the contact {c.name}", "contacts", "account.edit", "contact_delete"),
    Incident: _RowPages(
        lambda i: f"the incident “{i.summary}”", "incidents", "account.edit_team_work", "incident_delete"
    ),
    PlanGoal: _RowPages(
        lambda g: f"the goal “{g.title}” (with its objectives; their actions stay in the register)",
        "plan",
        "account.edit_team_work",
        "goal_delete",
    ),
    PlanObjective: _RowPages(
        lambda o: f"the objective “{o.title}” (its actions stay in the register)",
        "plan",
        "account.edit_team_work",
        "objective_delete",
        scope=lambda account: {"goal__account": account},
    ),
}


def _account_row(request: TenantRequest, account_id: int, model: type[Model], row_id: int) -> tuple[Account, Any]:
    """The account and its row (404 when either is not found in this workspace), once the user may change it."""
    pages = ROW_PAGES[model]
    account = account_or_404(account_id)
    row = account_child_or_404(model, account, row_id, **pages.scope(account))
    require(request, pages.permission, account)
    return account, row


def _edit(request: TenantRequest, account: Account, row: Any, form: Any, *, save: Any, **extra: Any) -> HttpResponse:
    """The edit page of a row of the account (its Delete button leads to the row's delete page, which asks)."""
    pages = ROW_PAGES[type(row)]
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return tab_done(request, account, pages.tab, "Saved.")
    what = pages.what(row)
    delete_url = tenant_reverse(pages.delete_route, account.pk, row.pk)
    return _edit_page(request, account, form, what[0].upper() + what[1:], pages.tab, delete_url=delete_url, **extra)


def _delete(request: TenantRequest, account: Account, row: Any, *, delete: Callable[[], Any]) -> HttpResponse:
    """A row's delete page: it asks (GET), then deletes through the row's service (POST)."""
    pages = ROW_PAGES[type(row)]
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            return _confirm_delete(request, account, pages.what(row), pages.tab, errors=exc.messages)
        return tab_done(request, account, pages.tab, f"Deleted {pages.what(row)}.")
    return _confirm_delete(request, account, pages.what(row), pages.tab)


def _confirm_delete(
    request: TenantRequest, account: Account, what: str, tab: str, *, errors: list[str] | None = None
) -> HttpResponse:
    context = {"account": account, "what": what, "tab": tab, "active_nav": "accounts", "errors": errors or []}
    return render(request, "accounts/confirm_delete.html", context, status=400 if errors else 200)


def _edit_page(request: TenantRequest, account: Account, form: Any, title: str, tab: str, **extra: Any) -> HttpResponse:
    context = {"account": account, "form": form, "title": title, "tab": tab, "active_nav": "accounts", **extra}
    return render(request, "accounts/child_form.html", context, status=400 if form.errors else 200)


# --- team and deliverables ------------------------------------------------------------------------


@tenant_view("account.view")
@require_POST
def team_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit", account)
    return _submit(
        request,
        account,
        TeamAssignForm(request.POST),
        tab="team",
        form_name="assign_form",
        save=lambda data: services.team_assign(account=account, user_id=data["user"].pk, role=data["role"]),
        message="Team updated.",
    )


@tenant_view("account.view")
@require_POST
def account_roles_needed(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.set_roles_needed", account)
    form = NeededRolesForm(request.POST)
    return _submit(
        request,
        account,
        form,
        tab="team",
        form_name="roles_form",
        save=lambda data: services.account_roles_needed_set(
            account=account, roles=form.cleaned_roles(), acting_user=request.user
        ),
        message="Needed roles saved.",
    )


@tenant_view("account.view")
@require_POST
def team_remove(request: TenantRequest, account_id: int, assignment_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    assignment = account_child_or_404(TeamAssignment, account, assignment_id)
    require(request, "account.edit", account)
    services.team_unassign(assignment=assignment)
    return tab_done(request, account, "team", "Team updated.")


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def deliverable_edit(request: TenantRequest, account_id: int, deliverable_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    deliverable = account_child_or_404(Deliverable, account, deliverable_id)
    deliverable.account = account
    editable = _deliverable_fields(request, deliverable)
    if not editable:
        raise PermissionDenied
    form = _only(DeliverableForm(request.POST or None, request.FILES or None, instance=deliverable), editable)
    if request.method == "POST" and form.is_valid():
        try:
            services.deliverable_change(
                deliverable=deliverable, data=form.cleaned_data, acting_user=request.user, role=request.membership.role
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return tab_done(request, account, "team", "Deliverable saved.")
    title = f"Deliverable: {deliverable.get_role_display()}"
    return _edit_page(request, account, form, title, "team", multipart=True)


def _deliverable_fields(request: TenantRequest, deliverable: Deliverable) -> frozenset[str]:
    return deliverable_fields(role=request.membership.role, user=request.user, deliverable=deliverable)


def _action_item_fields(request: TenantRequest, item: ActionItem) -> frozenset[str]:
    return action_item_fields(role=request.membership.role, user=request.user, item=item)


def _only(form: Any, editable: frozenset[str]) -> Any:
    """Show every field, but let the member change only those they may (the rest keep their saved value)."""
    for name, field in form.fields.items():
        field.disabled = name not in editable
    return form


@tenant_view("account.view")
def deliverable_file(request: TenantRequest, account_id: int, deliverable_id: int) -> FileResponse:
    """The uploaded file of a deliverable, only through this tenant-scoped view (never a public path)."""
    account = account_or_404(account_id)
    deliverable = account_child_or_404(Deliverable, account, deliverable_id)
    if not deliverable.file:
        raise Http404
    handle = deliverable.file.open("rb")
    name = deliverable.file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name)


# --- the account plan ---------------------------------------------------------------------------


@tenant_view("account.view")
@require_POST
def goal_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit_team_work", account)
    form = GoalForm(request.POST)
    if form.is_valid():
        services.goal_add(account=account, title=form.cleaned_data["title"])
        return tab_done(request, account, "plan", "Goal added.")
    return tab_with_form(request, account, "plan", "goal_form", form)


@tenant_view("account.view")
@require_POST
def objective_add(request: TenantRequest, account_id: int, goal_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    goal = account_child_or_404(PlanGoal, account, goal_id)
    require(request, "account.edit_team_work", account)
    form = ObjectiveForm(request.POST)
    if form.is_valid():
        services.objective_add(goal=goal, title=form.cleaned_data["title"], measure=form.cleaned_data["measure"])
        return tab_done(request, account, "plan", "Objective added.")
    return tab_with_form(request, account, "plan", "objective_form", form)


@tenant_view("account.view")
@require_POST
def plan_review(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit_team_work", account)
    form = PlanReviewForm(request.POST)
    if form.is_valid():
        review = services.plan_review_record(account=account, acting_user=request.user, note=form.cleaned_data["note"])
        return tab_done(request, account, "plan", f"Plan reviewed: version {review.version} is kept.")
    return tab_with_form(request, account, "plan", "review_form", form)


@tenant_view("account.view")
def plan_version(request: TenantRequest, account_id: int, review_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    review = account_child_or_404(PlanReview, account, review_id)
    return render(
        request, "accounts/plan_version.html", {"account": account, "review": review, "active_nav": "accounts"}
    )


# --- the running action register ------------------------------------------------------------------


@tenant_view("account.view")
@require_POST
def action_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit_team_work", account)
    form = ActionItemForm(request.POST, account=account)
    tab = "plan" if ActionReturnForm(request.POST).place() == ActionReturnForm.PLAN else "actions"
    if form.is_valid():
        data = form.cleaned_data
        try:
            item, _ = services.action_item_add(
                account=account,
                title=data["title"],
                owner=data["owner"],
                due=data["due"],
                detail=data["detail"],
                objective=data["objective"],
                source_kind=sources.PLAN if data["objective"] else sources.MANUAL,
                source_id=data["objective"].pk if data["objective"] else "",
                acting_user=request.user,
                side=data["side"],
                owner_contact=data["owner_contact"],
                joint=data["joint"],
            )
            if data["status"] and data["status"] != item.status:
                services.action_item_update(item=item, data={"status": data["status"]}, acting_user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return tab_done(request, account, tab, "Action added to the register.")
    return tab_with_form(request, account, tab, "action_form", form)


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def action_edit(request: TenantRequest, account_id: int, action_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    item = account_child_or_404(ActionItem, account, action_id)
    item.account = account
    editable = _action_item_fields(request, item)
    if not editable:
        raise PermissionDenied
    form = _only(ActionItemForm(request.POST or None, instance=item, account=account), editable)
    back = ActionReturnForm(request.POST if request.method == "POST" else request.GET).place()
    if request.method == "POST" and form.is_valid():
        try:
            services.action_item_change(
                item=item, data=form.cleaned_data, acting_user=request.user, role=request.membership.role
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if back == ActionReturnForm.MY_ACTIONS:
                messages.success(request, "Action updated.")
                return tenant_redirect("my_actions")
            return tab_done(request, account, "actions", "Action updated.")
    events = item.events.select_related("actor", "contact")
    mine = back == ActionReturnForm.MY_ACTIONS
    return _edit_page(
        request, account, form, f"Action: {item.title}", "actions", events=events, item=item, return_to_mine=mine
    )


@tenant_view("account.view")
def my_actions(request: TenantRequest) -> HttpResponse:
    items = list(selectors.my_open_actions(request.user))
    today = timezone.localdate()
    return render(
        request,
        "accounts/my_actions.html",
        {
            "items": items,
            "today": today,
            "active_nav": "my_actions",
            "overdue": sum(i.is_overdue(today) for i in items),
        },
    )


# --- incidents and recurring issues -----------------------------------------------------------------


@tenant_view("account.view")
@require_POST
def incident_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit_team_work", account)
    return _submit(
        request,
        account,
        IncidentForm(request.POST),
        tab="incidents",
        form_name="incident_form",
        save=lambda data: services.incident_record(account=account, data=data),
        message="Incident recorded.",
    )


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def incident_edit(request: TenantRequest, account_id: int, incident_id: int) -> HttpResponse:
    """Correct an incident or mark it resolved."""
    account, row = _account_row(request, account_id, Incident, incident_id)
    form = IncidentForm(request.POST or None, instance=row)
    return _edit(request, account, row, form, save=lambda data: services.incident_update(incident=row, data=data))


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def incident_delete(request: TenantRequest, account_id: int, incident_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, Incident, incident_id)
    return _delete(request, account, row, delete=lambda: services.incident_delete(incident=row))


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def goal_edit(request: TenantRequest, account_id: int, goal_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, PlanGoal, goal_id)
    form = GoalForm(request.POST or None, instance=row)
    return _edit(request, account, row, form, save=lambda data: services.goal_update(goal=row, data=data))


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def goal_delete(request: TenantRequest, account_id: int, goal_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, PlanGoal, goal_id)
    return _delete(request, account, row, delete=lambda: services.plan_row_delete(row=row))


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def objective_edit(request: TenantRequest, account_id: int, objective_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, PlanObjective, objective_id)
    form = ObjectiveForm(request.POST or None, instance=row)
    return _edit(request, account, row, form, save=lambda data: services.objective_update(objective=row, data=data))


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def objective_delete(request: TenantRequest, account_id: int, objective_id: int) -> HttpResponse:
    account, row = _account_row(request, account_id, PlanObjective, objective_id)
    return _delete(request, account, row, delete=lambda: services.plan_row_delete(row=row))


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def recurring_edit(request: TenantRequest, account_id: int, issue_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    issue = account_child_or_404(RecurringIssue, account, issue_id)
    require(request, "recurring_issue.edit", account)
    form = RecurringIssueForm(request.POST or None, instance=issue)
    if request.method == "POST" and form.is_valid():
        try:
            services.recurring_issue_update(issue=issue, data=form.cleaned_data, acting_user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return tab_done(request, account, "incidents", "Recurring issue saved.")
    incidents = issue.incidents.select_related("category").order_by("-opened_at")
    title = f"Recurring issue: {issue.category.name}"
    return _edit_page(request, account, form, title, "incidents", incidents=incidents)


# --- Operations Review Report ---------------------------------------------------------------------------


@tenant_view("account.view")
@require_safe
def operations_review(request: TenantRequest, account_id: int) -> HttpResponse:
    """Edit the narrative, preview the report as HTML, render PDF versions and watch them become ready."""
    account = account_or_404(account_id)
    initial = _review_initial(account)
    form = OperationsReviewForm(initial=initial)
    params = {"start": initial["start"].isoformat(), "end": initial["end"].isoformat()}
    if request.GET.get("start") or request.GET.get("end"):
        period = OperationsReviewForm(
            {**initial, "start": request.GET.get("start", ""), "end": request.GET.get("end", "")}
        )
        if period.is_valid():
            params = {"start": period.cleaned_data["start"].isoformat(), "end": period.cleaned_data["end"].isoformat()}
            form = OperationsReviewForm(initial={**initial, **params})
        else:
            form = period  # show why the period was not used
            form.fields["summary"].initial = initial["summary"]
    return _review_page(request, account, form, params)


def _review_initial(account: Account) -> dict[str, Any]:
    start, end = reports.default_period()
    narrative = reports.narrative_of(account)
    return {"start": start, "end": end, "summary": narrative.summary, "recommendations": narrative.recommendations}


def _review_page(
    request: TenantRequest, account: Account, form: OperationsReviewForm, params: dict[str, str]
) -> HttpResponse:
    preview = reports.operations_review_context(account, params)
    context = {
        "account": account,
        "form": form,
        # the very body the PDF prints
        "preview_html": render_to_string("accounts/reports/_operations_review_body.html", preview),
        "documents": documents_of(account, reports.KIND)[:20],
        "can_write": can(request, "account.edit_team_work", account),
        "can_request": can(request, "report.request"),
        "active_nav": "accounts",
    }
    return render(request, "accounts/operations_review.html", context, status=400 if form.errors else 200)


def _review_change(request: TenantRequest, account_id: int, *, render_pdf: bool) -> HttpResponse:
    """Save the narrative (when the user may), and with ``render_pdf`` ask for a PDF of the period."""
    account = account_or_404(account_id)
    can_write = can(request, "account.edit_team_work", account)
    if not render_pdf:
        require(request, "account.edit_team_work", account)
    form = OperationsReviewForm(request.POST, initial=_review_initial(account))

    def save(data: dict[str, Any]) -> bool:
        params = {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
        if can_write:
            reports.narrative_save(
                account=account,
                summary=data["summary"],
                recommendations=data["recommendations"],
                acting_user=request.user,
            )
        if not render_pdf:
            return False
        _, created = document_request(kind=reports.KIND, subject=account, params=params, acting_user=request.user)
        return created

    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        query = urlencode(
            {"start": form.cleaned_data["start"].isoformat(), "end": form.cleaned_data["end"].isoformat()}
        )
        return redirect(tenant_reverse("operations_review", account.pk) + "?" + query)

    def message(created: bool) -> str:
        if not render_pdf:
            return "Saved."
        return (
            "The PDF is being made; this page shows when it is ready."
            if created
            else "That report is already being made."
        )

    start, end = reports.default_period()
    return form_change(
        form,
        save=save,
        message=message,
        done=done,
        again=lambda: _review_page(request, account, form, {"start": start.isoformat(), "end": end.isoformat()}),
    )


@tenant_view("account.view")
@require_POST
def operations_review_save(request: TenantRequest, account_id: int) -> HttpResponse:
    return _review_change(request, account_id, render_pdf=False)


@tenant_view("report.request")
@require_POST
def operations_review_pdf(request: TenantRequest, account_id: int) -> HttpResponse:
    """A PDF of the period (the narrative typed with it is saved first, when the user may change it)."""
    return _review_change(request, account_id, render_pdf=True)


# --- CSV import ---------------------------------------------------------------------------------------


@tenant_view("account.import")
@require_http_methods(["GET", "POST"])
def import_upload(request: TenantRequest, kind: str) -> HttpResponse:
    spec = import_kind(kind)
    if spec is None:
        raise Http404
    if spec.permission:
        require(request, spec.permission)
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = imports.batch_create(kind=kind, raw=upload.read(), filename=upload.name, acting_user=request.user)
        except imports.CsvError as exc:
            form.add_error("file", str(exc))
        else:
            return tenant_redirect("import_preview", batch.pk)
    context = {
        "form": form,
        "kind": kind,
        "kind_label": spec.label,
        "example": spec.example,
        "columns": (spec.required, spec.optional),
        "active_nav": "accounts",
    }
    return render(request, "accounts/import_upload.html", context, status=400 if form.errors else 200)


@tenant_view("account.import")
@require_http_methods(["GET", "POST"])
def import_preview(request: TenantRequest, batch_id: int) -> HttpResponse:
    batch = ImportBatch.objects.filter(pk=batch_id, created_by=request.user).first()
    if batch is None:
        raise Http404
    spec = import_kind(batch.kind)
    assert spec is not None  # validated when the batch was made
    if spec.permission:
        require(request, spec.permission)
    if request.method == "POST" and batch.committed_at is None:
        errors = imports.batch_commit(batch=batch, acting_user=request.user)
        if not errors:
            messages.success(request, f"Imported {len(batch.rows)} {spec.label.lower()}.")
            return tenant_redirect(spec.done_url)
        messages.error(request, "Nothing was saved: some rows no longer pass the checks.")
    row_errors = dict(batch.errors)
    rows = [(number, row, row_errors.get(number, [])) for number, row in enumerate(batch.rows, start=2)]
    # jsonb keeps no key order: show the columns in the order the kind declares them
    required, optional = spec.required, spec.optional
    columns = [c for c in required + optional if batch.rows and c in batch.rows[0]]
    context = {
        "batch": batch,
        "rows": rows,
        "columns": columns,
        "error_count": len(row_errors),
        "active_nav": "accounts",
    }
    return render(request, "accounts/import_preview.html", context, status=400 if row_errors else 200)


# --- program settings (admins) ---------------------------------------------------------------------


@tenant_view("tenant.manage_settings")
@require_safe
def program_settings(request: TenantRequest) -> HttpResponse:
    """The program's rules, the reports' logo, tiers, selection criteria and incident categories (admins)."""
    return _program_page(request)


def _program_form(request: TenantRequest, data: Any = None) -> ProgramSettingsForm:
    return ProgramSettingsForm(
        data,
        instance=AccountsSettings.current(),
        initial={"paper_size": WorkspaceSettings.current().paper_size},
        prefix="program",
    )


def _program_page(
    request: TenantRequest,
    *,
    form: ProgramSettingsForm | None = None,
    logo_form: LogoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form or _program_form(request),
        "tiers": Tier.objects.all(),
        "team_roles": TeamRole.choices,
        "criteria": SelectionCriterion.objects.all(),
        "categories": IncidentCategory.objects.all(),
        "active_nav": "admin",
        "strategic_count": selectors.strategic_count(),
        "logo_form": logo_form or LogoForm(),
        "logo_data": WorkspaceSettings.current().logo_data_uri(),
    }
    return render(request, "accounts/program_settings.html", context, status=status)


def _program_again(request: TenantRequest, form: forms.BaseForm) -> Callable[[], HttpResponse]:
    """A short list form refused: the page again, with what was wrong at the top."""

    def again() -> HttpResponse:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, " ".join(problems) or "Nothing was saved.")
        return _program_page(request, status=400)

    return again


@tenant_view("tenant.manage_settings")
@require_POST
def program_rules_save(request: TenantRequest) -> HttpResponse:
    form = _program_form(request, request.POST)
    return form_change(
        form,
        save=lambda data: services.accounts_settings_update(data=data, acting_user=request.user),
        message="Program settings saved.",
        done=done_redirect(request, "program_settings"),
        again=lambda: _program_page(request, form=form, status=400),
    )


@tenant_view("tenant.manage_settings")
@require_POST
def program_logo_set(request: TenantRequest) -> HttpResponse:
    form = LogoForm(request.POST, request.FILES)
    return form_change(
        form,
        save=lambda data: workspace_logo_set(upload=data["logo"], acting_user=request.user),
        message="Logo saved: it appears on every report.",
        done=done_redirect(request, "program_settings"),
        again=lambda: _program_page(request, logo_form=form, status=400),
    )


def _program_row(model: type[Model], pk: int) -> Any:
    row = model.objects.filter(pk=pk).first()  # type: ignore[attr-defined]
    if row is None:
        raise Http404
    return row


@tenant_view("tenant.manage_settings")
@require_POST
def tier_save(request: TenantRequest, tier_id: int | None = None) -> HttpResponse:
    """A new tier, or a tier renamed and made strategic or not."""
    tier = _program_row(Tier, tier_id) if tier_id is not None else None
    form = TierForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.tier_save(
            tier=tier, name=data["name"], strategic=data["strategic"], needed_roles=form.cleaned_roles()
        ),
        message="Tier saved.",
        done=done_redirect(request, "program_settings"),
        again=_program_again(request, form),
    )


@tenant_view("tenant.manage_settings")
@require_POST
def criterion_add(request: TenantRequest) -> HttpResponse:
    form = CriterionForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.criterion_create(question=data["question"], weight=data["weight"]),
        message="Criterion added.",
        done=done_redirect(request, "program_settings"),
        again=_program_again(request, form),
    )


@tenant_view("tenant.manage_settings")
@require_POST
def criterion_weight_set(request: TenantRequest, criterion_id: int) -> HttpResponse:
    criterion = _program_row(SelectionCriterion, criterion_id)
    form = CriterionWeightForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.criterion_weight_set(criterion=criterion, weight=data["weight"]),
        message="Weight saved; every strategic score follows.",
        done=done_redirect(request, "program_settings"),
        again=_program_again(request, form),
    )


@tenant_view("tenant.manage_settings")
@require_POST
def criterion_toggle(request: TenantRequest, criterion_id: int) -> HttpResponse:
    criterion = _program_row(SelectionCriterion, criterion_id)
    services.criterion_toggle(criterion=criterion)
    messages.success(request, "Criterion used again." if criterion.active else "Criterion retired.")
    return tenant_redirect("program_settings")


@tenant_view("tenant.manage_settings")
@require_POST
def incident_category_add(request: TenantRequest) -> HttpResponse:
    form = IncidentCategoryForm(request.POST)
    return form_change(
        form,
        save=lambda data: services.incident_category_create(name=data["name"]),
        message="Category added.",
        done=done_redirect(request, "program_settings"),
        again=_program_again(request, form),
    )


@tenant_view("tenant.manage_settings")
@require_POST
def incident_category_toggle(request: TenantRequest, category_id: int) -> HttpResponse:
    category = _program_row(IncidentCategory, category_id)
    services.incident_category_toggle(category=category)
    messages.success(request, f"{category.name} is in use again." if category.active else f"{category.name} retired.")
    return tenant_redirect("program_settings")
