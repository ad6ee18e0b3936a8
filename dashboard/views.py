"""The executive's pages: the portfolio dashboard, the list behind each tile, and the review PDFs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from accounts.models import Account, AccountsSettings, ActionItem
from dashboard import cache, reports
from dashboard.forms import FilterForm
from dashboard.models import PortfolioReview
from dashboard.selectors import DRILLS, Filters, account_risk_reasons, portfolio_review_cached
from sam.documents import registry
from sam.documents.services import document_request, requested_text
from sam.http import TenantRequest
from sam.models import Document
from sam.permissions import can, require, tenant_view
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_redirect, tenant_reverse
from voc.scoring import SEGMENT_LABELS

SECTIONS = {
    "retention": "Retention",
    "health": "Health",
    "at-risk": "Accounts at risk",
    "customers": "Customer loyalty and quality",
    "qbrs": "QBRs and actions by owner",
    "revenue": "Revenue by year and source",
}


def _filters(request: TenantRequest) -> tuple[FilterForm, Filters]:
    """The filters in the URL; bad ones leave the form with its errors and the role's default view."""
    role = request.membership.role
    form = FilterForm(request.GET, role=role)
    if form.is_valid():
        return form, form.filters(request.user)
    fallback = FilterForm({}, role=role)
    fallback.is_valid()
    return form, fallback.filters(request.user)


def _shown(form: FilterForm, filters: Filters) -> FilterForm:
    """The filter bar as it applies: what is in force, so the bar always says what the page shows."""
    if form.errors:
        return form
    return FilterForm(
        role=form.role,
        initial={
            "scope": "mine" if filters.mine_user_id else "all",
            "window": filters.window or "",
            "start": filters.start,
            "end": filters.end,
            "tier": filters.tier_id,
            "owner": filters.owner_id,
            "industry": filters.industry,
        },
    )


def _context(request: TenantRequest, form: FilterForm, filters: Filters) -> dict[str, Any]:
    """Everything the figures' templates show (computed only when the rendered figures are not cached)."""
    fresh = request.GET.get("fresh") == "1"
    review, as_of = portfolio_review_cached(filters, tenant=request.tenant, fresh=fresh)
    query = urlencode(filters.query())
    other_scope = urlencode({**filters.query(), "scope": "all" if filters.mine_user_id else "mine"})
    return {
        "review": review,
        "charts": reports.review_charts(review),
        "filter_form": _shown(form, filters),
        "query": query,
        "links": {key.replace("-", "_"): tenant_reverse("dashboard_section", key) + "?" + query for key in SECTIONS},
        "scope_link": tenant_reverse("dashboard") + "?" + other_scope,
        "as_of": as_of,
        "fresh_link": "?" + urlencode({**filters.query(), "fresh": "1"}),
        "segments": SEGMENT_LABELS,
        "drills": DRILLS,
        "has_accounts": bool(review["account_count"]) or Account.objects.alive().exists(),
    }


def _body(request: TenantRequest, form: FilterForm, filters: Filters, template: str, **extra: Any) -> SafeString:
    """The figures rendered, cached like the figures themselves (they hold nothing of the user or the request);
    a form with errors is rendered afresh."""

    def render() -> str:
        return render_to_string(template, {**_context(request, form, filters), **extra}, request=request)

    if form.errors:
        return mark_safe(render())  # noqa: S308  (our own template's output)
    what = json.dumps({**filters.as_params(), "template": template, **extra}, sort_keys=True)
    fresh = request.GET.get("fresh") == "1"
    html, _ = cache.cached(request.tenant.pk, what, render, fresh=fresh)
    return mark_safe(html)  # noqa: S308


def _page(request: TenantRequest, filters: Filters) -> dict[str, Any]:
    return {
        "query": urlencode(filters.query()),
        "active_nav": "dashboard",
        "can_request": can(request, "report.request"),
        "can_manage": can(request, "tenant.manage_settings"),
        "can_view_audit": can(request, "tenant.view_audit"),
        "monthly_review_email": AccountsSettings.current().monthly_review_email,
    }


@tenant_view("dashboard.portfolio")
def dashboard(request: TenantRequest) -> HttpResponse:
    """The portfolio at a glance: retention, risk and its reasons, health, loyalty, QBRs, revenue."""
    form, filters = _filters(request)
    mine = ActionItem.objects.filter(
        owner=request.user, status__in=ActionItem.OPEN_STATUSES, account__deleted_at__isnull=True
    ).aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due__lt=timezone.localdate())))
    context = {
        **_page(request, filters),
        "body": _body(request, form, filters, "dashboard/_home_body.html"),
        "my_actions": mine["open"],
        "my_overdue": mine["overdue"],
    }
    return render(request, "dashboard/dashboard.html", context, status=400 if form.errors else 200)


@tenant_view("dashboard.portfolio")
def dashboard_section(request: TenantRequest, section: str) -> HttpResponse:
    """The whole list behind one tile, with the same filters."""
    if section not in SECTIONS:
        raise Http404
    form, filters = _filters(request)
    drill = request.GET.get("by", "source")
    extra = {"section": section, "section_title": SECTIONS[section], "drill": drill if drill in DRILLS else "source"}
    context = {
        **_page(request, filters),
        **extra,
        "body": _body(request, form, filters, "dashboard/_section_body.html", **extra),
    }
    return render(request, "dashboard/section.html", context, status=400 if form.errors else 200)


@tenant_view("dashboard.portfolio")
@require_POST
def review_request(request: TenantRequest) -> HttpResponse:
    """Make the PDF of the portfolio review for the filters on screen."""

    require(request, "report.request")
    form, filters = _filters(request)
    if form.errors:
        messages.error(request, "The PDF was not made: the filters are not valid.")
        extra = {"section": "at-risk", "section_title": SECTIONS["at-risk"], "drill": "source"}
        context = {
            **_page(request, filters),
            **extra,
            "body": _body(request, form, filters, "dashboard/_section_body.html", **extra),
        }
        return render(request, "dashboard/section.html", context, status=400)
    subject = reports.review_for_month(timezone.localdate())
    _, created = document_request(
        kind=reports.KIND, subject=subject, params=filters.as_params(), acting_user=request.user
    )
    messages.success(request, requested_text(created))
    return tenant_redirect("dashboard_reviews")


@tenant_view("dashboard.portfolio")
def reviews(request: TenantRequest) -> HttpResponse:
    """The portfolio review PDFs: the monthly ones and those made on demand."""

    documents = (
        Document.objects.filter(kind=reports.KIND, subject_type=registry.subject_label(PortfolioReview))
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")[:100]
    )
    return render(request, "dashboard/reviews.html", {"documents": documents, "active_nav": "dashboard"})


def risk_fact(account: Any, slug: str) -> dict[str, Any] | None:
    """For the account page: the reasons the dashboard gives for this account being at risk."""

    tenant = current_tenant()
    reasons = account_risk_reasons(account, tenant=tenant) if tenant is not None else []
    if not reasons:
        return None
    return {
        "label": "At risk",
        "value": f"{len(reasons)} reason{'s' if len(reasons) != 1 else ''}",
        "url": tenant_reverse("dashboard_section", "at-risk", slug=slug) + "?scope=all",
        "tone": "danger",
        "reasons": reasons,
    }
