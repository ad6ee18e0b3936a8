"""Scorecard pages: one account's scorecard (grid with inline editing), and the portfolio heatmap."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, Tier
from sam.documents.services import document_request, documents_of, requested_text
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.permissions import can, require, tenant_view
from sam.selectors import member_choices
from sam.services import row_update
from sam.tenancy.urls import tenant_redirect, tenant_reverse
from scorecards import cache, reports, selectors, services, templating
from scorecards.forms import MetricForm, ScorecardSettingsForm, TemplateForm
from scorecards.models import Area, MetricDefinition, Period, Scorecard, ScorecardSettings, ScorecardTemplate


def _period(label: str | None) -> Period:
    if label:
        period = Period.objects.filter(label=label[:20]).first()
        if period is None:
            raise Http404("No such period.")
        return period
    return services.period_for(timezone.localdate())


def _recent_periods() -> list[Period]:
    """The last eight periods (made on first use) and up to eight older ones with scorecards, newest first."""
    return services.recent_periods(8, older=8)[::-1]


@tenant_view("account.view")
def account_scorecard(request: TenantRequest, account_id: int) -> HttpResponse:
    account = Account.objects.alive().select_related("tier", "owner").filter(pk=account_id).first()
    if account is None:
        raise Http404
    period = _period(request.GET.get("period"))
    scorecard = services.scorecard_for(account=account, period=period)
    if not period.closed:
        services.scorecard_fill_computed(scorecard)
        services.scorecard_compute(scorecard)
        scorecard.refresh_from_db()
    return render(request, "scorecards/scorecard.html", _context(request, scorecard))


@tenant_view("account.view")
def scorecard_trends(request: TenantRequest, account_id: int) -> HttpResponse:
    """Overall, area and metric trends over the last eight periods, with arrows."""
    account = Account.objects.alive().filter(pk=account_id).first()
    if account is None:
        raise Http404
    scorecard = services.scorecard_for(account=account, period=_period(request.GET.get("period")))
    context = {"account": account, "scorecard": scorecard, **selectors.trends(scorecard), "active_nav": "scorecards"}
    return render(request, "scorecards/trends.html", context)


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def joint_scorecard(request: TenantRequest, account_id: int) -> HttpResponse:
    """The joint metrics with their agreed targets, previewed as the PDF prints them; POST makes a PDF version."""

    account = Account.objects.alive().filter(pk=account_id).first()
    if account is None:
        raise Http404
    scorecard = services.scorecard_for(account=account, period=_period(request.GET.get("period")))
    if not scorecard.period.closed:
        services.scorecard_fill_computed(scorecard)
        services.scorecard_compute(scorecard)
    back = tenant_reverse("joint_scorecard", account.pk) + f"?period={scorecard.period.label}"
    target_errors: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("action") == "target":
        require(request, "account.edit_team_work", account)
        if scorecard.period.closed:
            raise PermissionDenied("This period is closed: record the agreement on an open period.")
        key = request.POST.get("key", "")[:60]
        metric = scorecard.version.metrics.filter(key=key, retired=False).first()
        if metric is None:
            raise Http404
        agreed_on = None
        raw_date = request.POST.get("agreed_on", "").strip()[:20]
        try:
            if raw_date:
                agreed_on = date.fromisoformat(raw_date)
            services.agreed_target_set(
                account=account,
                metric=metric,
                target=request.POST.get("target", "")[:40],
                agreed_with=request.POST.get("agreed_with", "")[:300],
                agreed_on=agreed_on,
                acting_user=request.user,
            )
        except ValueError:
            target_errors[key] = "Give the date as YYYY-MM-DD."
        except ValidationError as exc:
            target_errors[key] = " ".join(exc.messages)
        else:
            messages.success(request, f"Agreed target of {metric.name} saved.")
            return redirect(back)
    elif request.method == "POST":
        require(request, "report.request")
        _, created = document_request(kind=reports.JOINT_KIND, subject=scorecard, params={}, acting_user=request.user)

        messages.success(request, requested_text(created))
        return redirect(back)
    preview = reports.joint_context(scorecard)
    context = {
        "account": account,
        "period": scorecard.period,
        "periods": _recent_periods(),
        "preview_html": render_to_string("scorecards/_joint_body.html", preview),
        "documents": documents_of(scorecard, reports.JOINT_KIND)[:20],
        "can_request": can(request, "report.request"),
        "can_agree": can(request, "account.edit_team_work", account) and not scorecard.period.closed,
        "today": timezone.localdate(),
        "joint_rows": preview["rows"],
        "target_errors": target_errors,
        "stray_errors": [
            msg for key, msg in target_errors.items() if key not in {r["metric"].key for r in preview["rows"]}
        ],
        "active_nav": "scorecards",
    }
    return render(request, "scorecards/joint.html", context, status=400 if target_errors else 200)


def _context(request: TenantRequest, scorecard: Scorecard, **extra: object) -> dict[str, object]:
    can_edit = can(request, "account.edit_team_work", scorecard.account) and (
        not scorecard.period.closed or can(request, "tenant.manage_settings")
    )
    newest = services.newest_version_for(scorecard) if can_edit and not scorecard.period.closed else None
    return {
        **selectors.scorecard_view(scorecard),
        "newest_version": newest,
        "account": scorecard.account,
        "periods": _recent_periods(),
        "can_edit": can_edit,
        "active_nav": "scorecards",
        **extra,
    }


@tenant_view("account.view")
@require_POST
def scorecard_upgrade(request: TenantRequest, scorecard_id: int) -> HttpResponse:
    """Move this period's scorecard to the newest template version (values carried over by metric)."""
    scorecard = (
        Scorecard.objects.filter(pk=scorecard_id, account__deleted_at__isnull=True)
        .select_related("account", "period", "version")
        .first()
    )
    if scorecard is None:
        raise Http404
    require(request, "account.edit_team_work", scorecard.account)
    try:
        card = services.scorecard_upgrade(scorecard=scorecard, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"This scorecard now uses version {card.version.number} of the template.")
    return redirect(tenant_reverse("account_scorecard", scorecard.account_id) + f"?period={scorecard.period.label}")


@tenant_view("account.view")
@require_POST
def value_save(request: TenantRequest, scorecard_id: int, metric_id: int) -> HttpResponse:
    """Save one value (htmx: answers with the refreshed scorecard; errors next to the value)."""
    scorecard = (
        Scorecard.objects.filter(pk=scorecard_id, account__deleted_at__isnull=True)
        .select_related("account", "period", "version")
        .first()
    )
    metric = MetricDefinition.objects.filter(pk=metric_id).first()
    if scorecard is None or metric is None or metric.version_id != scorecard.version_id:
        raise Http404
    require(request, "account.edit_team_work", scorecard.account)
    error = ""
    try:
        services.value_set(
            scorecard=scorecard,
            metric=metric,
            value=request.POST.get("value", "").strip()[:40],
            comment=request.POST.get("comment", "").strip()[:2000],
            evidence=request.POST.get("evidence", "").strip()[:2000],
            acting_user=request.user,
            is_admin=can(request, "tenant.manage_settings"),
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except PermissionDenied:
        raise
    scorecard.refresh_from_db()
    context = _context(
        request,
        scorecard,
        error_metric=metric.pk if error else None,
        error=error,
        error_value=request.POST.get("value", "")[:40],
    )
    template = "scorecards/scorecard.html#card" if request.htmx else "scorecards/scorecard.html"
    return render(request, template, context, status=422 if error and request.htmx else 400 if error else 200)


@tenant_view("account.view")
def heatmap(request: TenantRequest) -> HttpResponse:
    """Accounts x areas for a period: colour and the number, sortable, filtered by tier and owner.

    The filters and table are cached per tenant, data version, day and query (scorecards.cache).
    """

    label = request.GET.get("period", "")[:20]
    tier, owner = request.GET.get("tier", ""), request.GET.get("owner", "")
    tier, owner = (tier if tier.isdigit() else ""), (owner if owner.isdigit() else "")
    sort = request.GET.get("sort", "health")
    if sort.lstrip("-") not in {"health", "name", *Area.values}:
        sort = "health"
    tenant = request.tenant
    key = "scorecards:heatmap:" + ":".join(
        [
            str(tenant.pk),
            tenant.slug,
            cache.stamps(tenant.pk),
            timezone.localdate().isoformat(),
            label.encode().hex(),
            tier,
            owner,
            sort,
        ]
    )
    content = cache.get(key)
    if content is None:
        content = render_to_string(
            "scorecards/_heatmap_content.html", _heatmap_context(request, label, tier, owner, sort)
        )
        cache.put(key, content)
    context = {
        "content": mark_safe(content),  # noqa: S308  (our own template's output, cached)
        "can_import": can(request, "account.import"),
        "can_templates": can(request, "tenant.manage_templates"),
        "active_nav": "scorecards",
    }
    return render(request, "scorecards/heatmap.html", context)


def _heatmap_context(request: TenantRequest, label: str, tier: str, owner: str, sort: str) -> dict[str, Any]:
    periods = _recent_periods()
    period = next((p for p in periods if p.label == label), None) if label else periods[0]
    if period is None:
        period = _period(label)
    accounts = Account.objects.alive().order_by("name")
    if tier:
        accounts = accounts.filter(tier_id=int(tier))
    if owner:
        accounts = accounts.filter(owner_id=int(owner))
    rows = selectors.heatmap(period=period, accounts=accounts, sort=sort)
    link = tenant_reverse("account_scorecard", 0)
    return {
        "rows": rows,
        "body": selectors.heatmap_body(rows, link=link, period_label=period.label),
        "period": period,
        "periods": periods,
        "tiers": Tier.objects.all(),
        "owners": member_choices(),
        "filters": {"tier": tier, "owner": owner, "sort": sort},
        "columns": selectors.heatmap_columns(sort),
    }


# --- template admin ---------------------------------------------------------------------------------


def _template(template_id: int) -> ScorecardTemplate:
    template = ScorecardTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404
    return template


@tenant_view("tenant.manage_templates")
@require_http_methods(["GET", "POST"])
def template_list(request: TenantRequest) -> HttpResponse:
    default = services.template_defaults_ensure()
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = templating.template_create(name=form.cleaned_data["name"], acting_user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Template “{template.name}” created as a copy of the default.")
            return tenant_redirect("scorecard_template", template.pk)
    return _templates_page(request, form, default=default)


def _templates_page(
    request: TenantRequest, form: TemplateForm, *, default: Any, length_form: ScorecardSettingsForm | None = None
) -> HttpResponse:
    periods = services.recent_periods(8, older=4)[::-1]
    rows = selectors.template_rows()
    length_form = length_form or ScorecardSettingsForm(instance=ScorecardSettings.current())
    survey_switch = templating.survey_switch_plan(default)
    default_version = next((row["version"] for row in rows if row["template"].pk == default.pk), None)
    context = {
        "rows": rows,
        "form": form,
        "periods": periods,
        "length_form": length_form,
        "can_manage_settings": can(request, "tenant.manage_settings"),
        "default_template": default,
        "survey_switch": survey_switch if survey_switch.applies else None,
        "switch_makes_version": bool(default_version and (default_version.in_use or default_version.cards)),
        "active_nav": "admin",
    }
    failed = form.errors or length_form.errors
    return render(request, "scorecards/template_list.html", context, status=400 if failed else 200)


@tenant_view("tenant.manage_templates")
@require_POST
def template_survey_sources(request: TenantRequest, template_id: int) -> HttpResponse:
    """Take satisfaction, NPS, loyalty and response rate from the survey program (once; versioned like any change)."""
    template = _template(template_id)
    before = services.current_version(template)
    version = templating.survey_switch_apply(template=template, acting_user=request.user)
    if version is None:
        messages.success(request, f"“{template.name}” already takes its survey results from the VoC program.")
    else:
        note = ""
        if version.pk != before.pk:
            note = f" Scorecards in use keep version {before.number}; new ones use version {version.number}."
        messages.success(request, f"“{template.name}” now takes its survey results from the VoC program." + note)
    return tenant_redirect("scorecard_templates")


@tenant_view("tenant.manage_settings")
@require_POST
def period_length_set(request: TenantRequest) -> HttpResponse:
    """How long one scorecard period is: new periods follow it, existing scorecards keep theirs."""
    form = ScorecardSettingsForm(request.POST, instance=ScorecardSettings.current())
    if not form.is_valid():
        return _templates_page(request, TemplateForm(), default=services.template_defaults_ensure(), length_form=form)
    row_update(form.instance, form.cleaned_data)
    messages.success(request, f"New scorecard periods are a {form.instance.get_period_length_display().lower()} long.")
    return tenant_redirect("scorecard_templates")


@tenant_view("tenant.manage_settings")
@require_POST
def period_close(request: TenantRequest, period_id: int) -> HttpResponse:
    """Close a period (its scorecards are locked; admins can still correct them, recorded) or open it again."""
    period = Period.objects.filter(pk=period_id).first()
    if period is None:
        raise Http404
    closed = request.POST.get("closed") == "1"
    services.period_close(period=period, closed=closed, acting_user=request.user)
    messages.success(request, f"{period.label} is {'closed' if closed else 'open again'}.")
    return tenant_redirect("scorecard_templates")


@tenant_view("tenant.manage_templates")
@require_http_methods(["GET", "POST"])
def template_detail(request: TenantRequest, template_id: int) -> HttpResponse:
    """The current version's metrics by area, the area weights, retire/restore/delete, the version history."""
    template = _template(template_id)
    weights_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        key = request.POST.get("key", "")[:60]
        try:
            if action == "default":
                templating.template_make_default(template=template, acting_user=request.user)
                messages.success(request, f"New scorecards now start on “{template.name}”.")
            elif action == "weights":
                templating.weights_set(template=template, data=request.POST, acting_user=request.user)
                messages.success(request, "Area weights saved.")
            elif action in ("retire", "restore"):
                templating.metric_retire(
                    template=template, key=key, retired=action == "retire", acting_user=request.user
                )
                messages.success(request, "Metric retired." if action == "retire" else "Metric in use again.")
            elif action == "delete":
                templating.metric_delete(template=template, key=key, acting_user=request.user)
                messages.success(request, "Metric deleted.")
            else:
                return HttpResponse("Unknown action.", status=400)
        except ValidationError as exc:
            if action == "weights":
                weights_errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            else:
                messages.error(request, " ".join(exc.messages))
                return tenant_redirect("scorecard_template", template.pk)
        else:
            return tenant_redirect("scorecard_template", template.pk)
    context = {
        **selectors.template_view(template),
        "weights_errors": weights_errors,
        "posted_weights": request.POST if weights_errors else None,
        "active_nav": "admin",
    }
    return render(request, "scorecards/template_detail.html", context, status=400 if weights_errors else 200)


@tenant_view("tenant.manage_templates")
@require_http_methods(["GET", "POST"])
def metric_edit(request: TenantRequest, template_id: int, metric_id: int | None = None) -> HttpResponse:
    """Add a metric, or change one of the current version (a new version when scorecards use it)."""
    template = _template(template_id)
    version = services.current_version(template)
    metric = None
    if metric_id is not None:
        metric = MetricDefinition.objects.filter(pk=metric_id, version=version).first()
        if metric is None:
            raise Http404
    initial = MetricForm.initial_of(metric) if metric else {"area": request.GET.get("area", "financial")}
    form = MetricForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if metric is None:
                templating.metric_add(template=template, data=form.cleaned_data, acting_user=request.user)
            else:
                templating.metric_update(
                    template=template, key=metric.key, data=form.cleaned_data, acting_user=request.user
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            new_version = services.current_version(template)
            note = f" Scorecards in use keep version {version.number}; new ones use version {new_version.number}."
            messages.success(request, "Metric saved." + (note if new_version.pk != version.pk else ""))
            return tenant_redirect("scorecard_template", template.pk)
    context = {
        "template": template,
        "version": version,
        "metric": metric,
        "form": form,
        "in_use": bool(version.in_use or version.scorecards.exists()),
        "active_nav": "admin",
    }
    return render(request, "scorecards/metric_form.html", context, status=400 if form.errors else 200)
