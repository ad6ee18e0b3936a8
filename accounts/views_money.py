"""Pages for renewal outcomes, revenue history and the portfolio's money settings: one small view per action."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import money_selectors, money_services, renewals
from accounts.forms import ContractOutcomeForm, ExchangeRateForm, ListItemForm, PortfolioSettingsForm, RevenueEntryForm
from accounts.models import Account, AccountsSettings, Contract, ExchangeRate, LossReason, RevenueEntry, RevenueSource
from accounts.views import account_child_or_404, account_or_404, tab_done, tab_url, tab_with_form
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.permissions import can, require, tenant_view
from sam.services import row_update
from sam.tenancy.urls import tenant_redirect

LISTS: dict[str, tuple[type[Any], str]] = {"reason": (LossReason, "loss reason"), "source": (RevenueSource, "source")}


# --- renewal outcome of one contract -----------------------------------------------------------------------


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def contract_outcome(request: TenantRequest, account_id: int, contract_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    contract: Contract = account_child_or_404(Contract, account, contract_id)
    require(request, "account.edit", account)
    money_services.loss_reasons()  # a tenant without a list gets the defaults
    initial = {
        "outcome": contract.outcome,
        "renewed_as": contract.renewed_as_id,
        "value_change": contract.value_change,
        "lost_reason": contract.lost_reason_id,
        "competitor": contract.competitor,
        "note": contract.outcome_note,
    }
    form = ContractOutcomeForm(request.POST or None, contract=contract, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            renewals.contract_outcome_record(
                contract=contract,
                outcome=data["outcome"],
                renewed_as=data["renewed_as"],
                value_change=data["value_change"],
                lost_reason=data["lost_reason"],
                competitor=data["competitor"],
                note=data["note"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Outcome of “{contract.title}” recorded.")
            return redirect(tab_url(request, account, "contracts"))
    context = {
        "account": account,
        "contract": contract,
        "form": form,
        "title": f"Renewal outcome: {contract.title}",
        "tab": "contracts",
        "active_nav": "accounts",
        "today": timezone.localdate(),
    }
    return render(request, "accounts/contract_outcome.html", context, status=400 if form.errors else 200)


# --- the account's revenue tab ------------------------------------------------------------------------------


def revenue_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    money_services.revenue_sources()
    return {
        "revenue": money_selectors.account_revenue(account),
        "revenue_form": RevenueEntryForm(initial={"currency": account.currency}),
        "can_edit_revenue": can(request, "account.edit", account),
    }


@tenant_view("account.view")
@require_POST
def revenue_add(request: TenantRequest, account_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    require(request, "account.edit", account)
    form = RevenueEntryForm(request.POST)
    if form.is_valid():
        try:
            money_services.revenue_entry_save(account=account, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return tab_done(request, account, "revenue", "Revenue saved.")
    return tab_with_form(request, account, "revenue", "revenue_form", form)


@tenant_view("account.view")
@require_POST
def revenue_delete(request: TenantRequest, account_id: int, entry_id: int) -> HttpResponse:
    account = account_or_404(account_id)
    entry = account_child_or_404(RevenueEntry, account, entry_id)
    require(request, "account.edit", account)
    money_services.revenue_entry_delete(entry=entry)
    return tab_done(request, account, "revenue", f"Removed the {entry.label} revenue from {entry.source.name}.")


# --- portfolio money settings (admins) --------------------------------------------------------------------------


def _settings_page(request: TenantRequest, **forms: Any) -> HttpResponse:
    rules = AccountsSettings.current()
    context = {
        "form": forms.get("form") or PortfolioSettingsForm(instance=rules, prefix="portfolio"),
        "rate_form": forms.get("rate_form") or ExchangeRateForm(),
        "list_forms": {kind: forms.get(f"{kind}_form") or ListItemForm(prefix=kind) for kind in LISTS},
        "reasons": money_services.loss_reasons(),
        "sources": money_services.revenue_sources(),
        "base_currency": rules.base_currency,
        "rates": ExchangeRate.objects.filter(base=rules.base_currency)[:500],
        "rate_count": ExchangeRate.objects.filter(base=rules.base_currency).count(),
        "other_bases": ExchangeRate.objects.exclude(base=rules.base_currency).count(),
        "active_nav": "admin",
    }
    failed = any(f is not None and f.errors for f in forms.values())
    return render(request, "accounts/portfolio_settings.html", context, status=400 if failed else 200)


@tenant_view("tenant.manage_settings")
@require_http_methods(["GET", "POST"])
def portfolio_settings(request: TenantRequest) -> HttpResponse:
    form = PortfolioSettingsForm(request.POST or None, instance=AccountsSettings.current(), prefix="portfolio")
    if request.method == "POST":
        if form.is_valid():
            row_update(form.instance, form.cleaned_data)
            messages.success(request, "Portfolio settings saved.")
            return tenant_redirect("portfolio_settings")
        return _settings_page(request, form=form)
    return _settings_page(request)


@tenant_view("tenant.manage_settings")
@require_POST
def portfolio_list_add(request: TenantRequest, kind: str) -> HttpResponse:
    if kind not in LISTS:
        raise Http404
    model, label = LISTS[kind]
    form = ListItemForm(request.POST, prefix=kind)
    if form.is_valid():
        try:
            money_services.list_item_save(model, name=form.cleaned_data["name"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Added the {label} “{form.cleaned_data['name']}”.")
            return tenant_redirect("portfolio_settings")
    return _settings_page(request, **{f"{kind}_form": form})


def _toggle(request: TenantRequest, kind: str, item_id: int) -> HttpResponse:
    model, label = LISTS[kind]
    item = model.objects.filter(pk=item_id).first()
    if item is None:
        raise Http404
    money_services.list_item_save(model, name=item.name, item=item, active=not item.active)
    messages.success(request, f"The {label} “{item.name}” is {'in use' if item.active else 'retired'}.")
    return tenant_redirect("portfolio_settings")


@tenant_view("tenant.manage_settings")
@require_POST
def loss_reason_toggle(request: TenantRequest, reason_id: int) -> HttpResponse:
    return _toggle(request, "reason", reason_id)


@tenant_view("tenant.manage_settings")
@require_POST
def revenue_source_toggle(request: TenantRequest, source_id: int) -> HttpResponse:
    return _toggle(request, "source", source_id)


@tenant_view("tenant.manage_settings")
@require_POST
def exchange_rate_add(request: TenantRequest) -> HttpResponse:
    form = ExchangeRateForm(request.POST)
    if form.is_valid():
        try:
            rate = money_services.exchange_rate_save(**form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"{rate.currency} is worth {rate.rate} {money_selectors.base_currency()} "
                f"from {rate.valid_from:%d %b %Y}.",
            )
            return tenant_redirect("portfolio_settings")
    return _settings_page(request, rate_form=form)


@tenant_view("tenant.manage_settings")
@require_POST
def exchange_rate_delete(request: TenantRequest, rate_id: int) -> HttpResponse:
    rate = ExchangeRate.objects.filter(pk=rate_id).first()
    if rate is None:
        raise Http404
    money_services.exchange_rate_delete(rate=rate)
    messages.success(request, f"Removed the {rate.currency} rate of {rate.valid_from:%d %b %Y}.")
    return tenant_redirect("portfolio_settings")
