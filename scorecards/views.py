"""Scorecard pages: one account's scorecard (grid with inline editing), and the portfolio heatmap."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Account, Tier
from sam.documents.services import document_request, documents_of, requested_text
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.numbers import whole
from sam.pages import Message, button_change, done_redirect, form_change
from sam.permissions import can, require, tenant_view
from sam.selectors import member_choices
from sam.tenancy.urls import tenant_redirect, tenant_reverse
from scorecards import cache, reports, selectors, services, templating
from scorecards.forms import AgreedTargetForm, MetricForm, ScorecardSettingsForm, TemplateForm, ValueForm, WeightsForm
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


def _joint_scorecard(account_id: int, request: TenantRequest) -> Scorecard:
    """The account's scorecard of the period the page shows (?period=, else the current one), computed if open."""
    account = Account.objects.alive().filter(pk=account_id).first()
    if account is None:
        raise Http404
    scorecard = services.scorecard_for(account=account, period=_period(request.GET.get("period")))
    if not scorecard.period.closed:
        services.scorecard_fill_computed(scorecard)
        services.scorecard_compute(scorecard)
    return scorecard


def _joint_back(scorecard: Scorecard) -> HttpResponse:
    return redirect(tenant_reverse("joint_scorecard", scorecard.account_id) + f"?period={scorecard.period.label}")


@tenant_view("account.view")
@require_safe
def joint_scorecard(request: TenantRequest, account_id: int) -> HttpResponse:
    """The joint metrics with their agreed targets, previewed as the PDF prints them."""
    return _joint_page(request, _joint_scorecard(account_id, request))


def _joint_page(
    request: TenantRequest, scorecard: Scorecard, bound: dict[int, AgreedTargetForm] | None = None
) -> HttpResponse:
    account = scorecard.account
    preview = reports.joint_context(scorecard)
    bound = bound or {}
    rows = [
        {**row, "form": bound.get(row["metric"].pk) or _target_form(row["metric"], row.get("agreed"))}
        for row in preview["rows"]
    ]
    context = {
        "account": account,
        "period": scorecard.period,
        "periods": _recent_periods(),
        "preview_html": render_to_string("scorecards/_joint_body.html", preview),
        "documents": documents_of(scorecard, reports.JOINT_KIND)[:20],
        "can_request": can(request, "report.request"),
        "can_agree": can(request, "account.edit_team_work", account) and not scorecard.period.closed,
        "joint_rows": rows,
        # a refused change of a metric the page has no row for (an internal one): its errors at the top
        "stray_errors": [
            str(error)
            for pk, form in bound.items()
            if pk not in {row["metric"].pk for row in rows}
            for errors in form.errors.values()
            for error in errors
        ],
        "active_nav": "scorecards",
    }
    return render(request, "scorecards/joint.html", context, status=400 if bound else 200)


def _target_form(metric: MetricDefinition, agreed: Any) -> AgreedTargetForm:
    initial = {
        "target": "" if agreed is None or agreed.target is None else f"{agreed.target.normalize():f}",
        "agreed_with": getattr(agreed, "agreed_with", ""),
        "agreed_on": timezone.localdate(),
    }
    return AgreedTargetForm(initial=initial, auto_id=f"t{metric.pk}-%s")


@tenant_view("report.request")
@require_POST
def joint_scorecard_pdf(request: TenantRequest, account_id: int) -> HttpResponse:
    """Make a PDF version of the joint scorecard (the worker renders it; the page lists it)."""
    scorecard = _joint_scorecard(account_id, request)
    _, created = document_request(kind=reports.JOINT_KIND, subject=scorecard, params={}, acting_user=request.user)
    messages.success(request, requested_text(created))
    return _joint_back(scorecard)


@tenant_view("account.view")
@require_POST
def joint_target_set(request: TenantRequest, account_id: int, metric_id: int) -> HttpResponse:
    """Record the target agreed with the customer for one joint metric, on an open period."""
    scorecard = _joint_scorecard(account_id, request)
    require(request, "account.edit_team_work", scorecard.account)
    if scorecard.period.closed:
        raise PermissionDenied("This period is closed: record the agreement on an open period.")
    metric = scorecard.version.metrics.filter(pk=metric_id, retired=False).first()
    if metric is None:
        raise Http404
    form = AgreedTargetForm(request.POST, auto_id=f"t{metric.pk}-%s")

    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        return _joint_back(scorecard)

    return form_change(
        form,
        save=lambda data: services.agreed_target_set(
            account=scorecard.account, metric=metric, **data, acting_user=request.user
        ),
        message=f"Agreed target of {metric.name} saved.",
        done=done,
        again=lambda: _joint_page(request, scorecard, {metric.pk: form}),
    )


def _context(request: TenantRequest, scorecard: Scorecard, **extra: object) -> dict[str, object]:
    can_edit = can(request, "account.edit_team_work", scorecard.account) and (
        not scorecard.period.closed or can(request, "tenant.manage_settings")
    )
    newest = selectors.newest_version_for(scorecard) if can_edit and not scorecard.period.closed else None
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
    form = ValueForm(request.POST)
    error = " ".join(f"{name.capitalize()}: {e}" for name, errors in form.errors.items() for e in errors)
    if not error:
        try:
            services.value_set(
                scorecard=scorecard,
                metric=metric,
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
                evidence=form.cleaned_data["evidence"],
                acting_user=request.user,
                is_admin=can(request, "tenant.manage_settings"),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    scorecard.refresh_from_db()
    context = _context(
        request,
        scorecard,
        error_metric=metric.pk if error else None,
        error=error,
        error_value=(form["value"].value() or "")[:40],
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
    tier, owner = (tier if whole(tier) is not None else ""), (owner if whole(owner) is not None else "")
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
            "scorecards/_heatmap_content.html", heatmap_context(request, label, tier, owner, sort)
        )
        cache.put(key, content)
    context = {
        "content": mark_safe(content),  # noqa: S308  (our own template's output, cached)
        "can_import": can(request, "account.import"),
        "can_templates": can(request, "tenant.manage_templates"),
        "active_nav": "scorecards",
    }
    return render(request, "scorecards/heatmap.html", context)


def heatmap_context(request: TenantRequest, label: str, tier: str, owner: str, sort: str) -> dict[str, Any]:
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
    before = selectors.current_version(template)
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

    return form_change(
        form,
        save=lambda data: services.scorecard_settings_update(data=data, acting_user=request.user),
        message=lambda config: f"New scorecard periods are a {config.get_period_length_display().lower()} long.",
        done=done_redirect(request, "scorecard_templates"),
        again=lambda: _templates_page(
            request, TemplateForm(), default=services.template_defaults_ensure(), length_form=form
        ),
    )


@tenant_view("tenant.manage_settings")
@require_POST
def period_close(request: TenantRequest, period_id: int, closed: bool) -> HttpResponse:
    """Close a period (its scorecards are locked; admins can still correct them, recorded) or open it again (the
    URL says which)."""
    period = Period.objects.filter(pk=period_id).first()
    if period is None:
        raise Http404
    services.period_close(period=period, closed=closed, acting_user=request.user)
    messages.success(request, f"{period.label} is {'closed' if closed else 'open again'}.")
    return tenant_redirect("scorecard_templates")


@tenant_view("tenant.manage_templates")
@require_safe
def template_detail(request: TenantRequest, template_id: int) -> HttpResponse:
    """The current version's metrics by area, the area weights, retire/restore/delete, the version history."""
    return _template_page(request, _template(template_id))


def _template_page(
    request: TenantRequest, template: ScorecardTemplate, weights_form: WeightsForm | None = None
) -> HttpResponse:
    view = selectors.template_view(template)
    context = {
        **view,
        "weights_form": weights_form or WeightsForm.of(view["version"].area_weights),
        "active_nav": "admin",
    }
    return render(request, "scorecards/template_detail.html", context, status=400 if weights_form else 200)


TemplateView = Callable[..., HttpResponseBase]


def template_change(view: TemplateView) -> TemplateView:
    """A POST that changes one scorecard template (and, with ``metric_id``, a metric of its current version)."""

    @tenant_view("tenant.manage_templates")
    @require_POST
    @wraps(view)
    def wrapped(request: TenantRequest, template_id: int, **kwargs: Any) -> HttpResponseBase:
        template = _template(template_id)
        if "metric_id" in kwargs:
            version = selectors.current_version(template)
            metric = MetricDefinition.objects.filter(pk=kwargs.pop("metric_id"), version=version).first()
            if metric is None:
                raise Http404
            kwargs["metric"] = metric
        return view(request, template, **kwargs)

    return wrapped


def _template_button(
    request: TenantRequest, template: ScorecardTemplate, change: Callable[[], Any], message: Message
) -> HttpResponse:
    return button_change(
        request,
        change=change,
        message=message,
        done=done_redirect(request, "scorecard_template", template.pk),
        again=lambda: _template_page(request, template),
    )


@template_change
def template_default(request: TenantRequest, template: ScorecardTemplate) -> HttpResponse:
    templating.template_make_default(template=template, acting_user=request.user)
    messages.success(request, f"New scorecards now start on “{template.name}”.")
    return tenant_redirect("scorecard_templates")


@template_change
def template_weights(request: TenantRequest, template: ScorecardTemplate) -> HttpResponse:
    form = WeightsForm(request.POST)

    return form_change(
        form,
        save=lambda data: templating.weights_set(template=template, data=data, acting_user=request.user),
        message="Area weights saved.",
        done=done_redirect(request, "scorecard_template", template.pk),
        again=lambda: _template_page(request, template, form),
    )


@template_change
def metric_retire(request: TenantRequest, template: ScorecardTemplate, metric: Any, retired: bool) -> HttpResponse:
    """Retire a metric (new scorecards leave it out) or use it again (the URL says which)."""
    return _template_button(
        request,
        template,
        lambda: templating.metric_retire(template=template, key=metric.key, retired=retired, acting_user=request.user),
        "Metric retired." if retired else "Metric in use again.",
    )


@template_change
def metric_delete(request: TenantRequest, template: ScorecardTemplate, metric: Any) -> HttpResponse:
    return _template_button(
        request,
        template,
        lambda: templating.metric_delete(template=template, key=metric.key, acting_user=request.user),
        "Metric deleted.",
    )


@tenant_view("tenant.manage_templates")
@require_http_methods(["GET", "POST"])
def metric_edit(request: TenantRequest, template_id: int, metric_id: int | None = None) -> HttpResponse:
    """Add a metric, or change one of the current version (a new version when scorecards use it)."""
    template = _template(template_id)
    version = selectors.current_version(template)
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
            new_version = selectors.current_version(template)
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
