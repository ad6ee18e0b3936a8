"""Survey pages: campaigns (list, new, one campaign with live progress), the account's VoC tab, a contact's
history, and the survey program (templates and settings) for admins."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, Contact
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.permissions import can, require, tenant_view
from sam.services import row_update
from sam.tenancy.urls import tenant_redirect
from voc import campaigns as campaign_services
from voc import results, services, templating
from voc.forms import CampaignForm, QuestionForm, VocSettingsForm
from voc.models import Campaign, Invitation, Question, SurveyTemplate, VocSettings
from voc.scoring import SEGMENT_LABELS


def _campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_related("version__template", "created_by").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


@tenant_view("survey.view")
def campaign_list(request: TenantRequest) -> HttpResponse:
    rows = list(Campaign.objects.select_related("version__template").order_by("-created_at")[:200])
    counts = results.campaign_counts(rows)
    context = {
        "rows": [(c, results.progress(counts.get(c.pk, {}))) for c in rows],
        "can_run": can(request, "survey.run"),
        "can_admin": can(request, "tenant.manage_templates"),
        "active_nav": "surveys",
    }
    return render(request, "voc/campaign_list.html", context)


@tenant_view("survey.run")
@require_http_methods(["GET", "POST"])
def campaign_new(request: TenantRequest) -> HttpResponse:
    services.survey_defaults_ensure()  # a tenant made before surveys existed gets its default survey here
    form = CampaignForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            audience = campaign_services.audience_clean(form.audience_data())
            campaign, preview = campaign_services.campaign_create(
                name=data["name"],
                template=data["template"],
                audience=audience,
                send_at=data["send_at"],
                closes_at=data["closes_at"],
                reminder_after_days=data["reminder_after_days"],
                reminder_max=data["reminder_max"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"Draft saved with {len(preview.recipients)} recipients. Check it, then schedule it."
            )
            return tenant_redirect("voc_campaign", campaign.pk)
    if form.is_bound and form.is_valid():
        preview = campaign_services.audience_preview(campaign_services.audience_clean(form.audience_data()))
    elif not form.is_bound:
        preview = campaign_services.audience_preview(campaign_services.Audience())
    context = {"form": form, "preview": preview, "active_nav": "surveys"}
    return render(request, "voc/campaign_new.html", context, status=400 if form.errors else 200)


@tenant_view("survey.run")
@require_POST
def campaign_audience(request: TenantRequest) -> HttpResponse:
    """The recipients the filters give, while the form is filled in (htmx)."""
    form = CampaignForm(request.POST)
    form.is_valid()
    try:
        audience = campaign_services.audience_clean(
            {
                "tiers": request.POST.getlist("tiers"),
                "buyer_roles": request.POST.getlist("buyer_roles"),
                "accounts": request.POST.getlist("accounts"),
            }
        )
    except ValidationError as exc:
        return render(request, "voc/_audience.html", {"error": " ".join(exc.messages)}, status=400)
    return render(request, "voc/_audience.html", {"preview": campaign_services.audience_preview(audience)})


@tenant_view("survey.view")
@require_http_methods(["GET", "POST"])
def campaign_detail(request: TenantRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(campaign_id)
    failed = False
    if request.method == "POST":
        require(request, "survey.run")
        try:
            done = _act(request, campaign)
        except ValidationError as exc:
            failed = True
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
            if not Campaign.objects.filter(pk=campaign.pk).exists():
                return tenant_redirect("voc_campaigns")
            return tenant_redirect("voc_campaign", campaign.pk)
        campaign = _campaign(campaign_id)
    context = {
        **results.campaign_results(campaign),
        "campaign": campaign,
        "can_run": can(request, "survey.run"),
        "segments": SEGMENT_LABELS,
        "active_nav": "surveys",
    }
    if request.htmx and request.GET.get("part") == "progress":
        return render(request, "voc/campaign_detail.html#progress", context)
    return render(request, "voc/campaign_detail.html", context, status=400 if failed else 200)


def _act(request: TenantRequest, campaign: Campaign) -> str:
    action = request.POST.get("action", "")
    user = request.user
    if action == "schedule":
        campaign_services.campaign_schedule(campaign=campaign, acting_user=user)
        return "Scheduled. Invitations go out at the send date; this page shows them as they do."
    if action == "close":
        campaign_services.campaign_close(campaign=campaign, acting_user=user)
        return "Closed: the links no longer take answers."
    if action == "delete":
        campaign_services.campaign_delete(campaign=campaign, acting_user=user)
        return f"Draft {campaign.name} deleted."
    if action == "revoke":
        raw = request.POST.get("invitation", "")
        invitation = Invitation.objects.filter(campaign=campaign, pk=int(raw) if raw.isdigit() else 0).first()
        if invitation is None:
            raise Http404
        campaign_services.invitation_revoke(invitation=invitation, acting_user=user)
        return f"The link for {invitation.contact.name} no longer works."
    raise ValidationError("Unknown action.")


def account_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    """The account page's Voice of the customer tab."""
    data = results.account_results(account)
    return {**data, "chart": results.account_trend_chart(data["trend"]), "segments": SEGMENT_LABELS}


@tenant_view("survey.view")
def contact_history(request: TenantRequest, contact_id: int) -> HttpResponse:
    contact = Contact.objects.select_related("account").filter(pk=contact_id, account__deleted_at__isnull=True).first()
    if contact is None:
        raise Http404
    context = {
        **results.contact_history(contact),
        "contact": contact,
        "account": contact.account,
        "segments": SEGMENT_LABELS,
        "active_nav": "accounts",
    }
    return render(request, "voc/contact_history.html", context)


# --- the survey program (admins) ---------------------------------------------------------------------


@tenant_view("tenant.manage_templates")
@require_http_methods(["GET", "POST"])
def program(request: TenantRequest) -> HttpResponse:
    """Survey settings (anonymity, loyalty cut-offs) and the survey templates with their questions."""
    config = VocSettings.current()
    services.survey_defaults_ensure()
    settings_form = VocSettingsForm(instance=config)
    question_form: QuestionForm | None = None
    failed_on: str | None = None
    failed_template = request.POST.get("template", "")
    if request.method == "POST":
        require(request, "tenant.manage_settings")
        action = request.POST.get("action", "")
        try:
            if action == "settings":
                settings_form = VocSettingsForm(request.POST, instance=config)
                if not settings_form.is_valid():
                    raise ValidationError("")
                row_update(config, settings_form.cleaned_data)
                done = "Survey settings saved."
            else:
                done = _template_act(request, action)
        except ValidationError as exc:
            failed_on = action
            if action == "add_question":
                question_form = QuestionForm(request.POST, auto_id=f"t{failed_template}-%s")
                question_form.is_valid()
                apply_errors(question_form, exc)
            elif action != "settings":
                messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
            return tenant_redirect("voc_program")
    templates = list(SurveyTemplate.objects.all())
    newest = {t.pk: templating.newest(t) for t in templates}
    questions: dict[int, list[Question]] = {}
    for question in Question.objects.filter(version__in=newest.values()).order_by("order", "pk"):
        questions.setdefault(question.version_id, []).append(question)
    context = {
        "settings_form": settings_form,
        "failed_on": failed_on,
        "templates": [
            (t, newest[t.pk], questions.get(newest[t.pk].pk, []), _question_form(t, question_form, failed_template))
            for t in templates
        ],
        "kinds": Question.Kind.choices,
        "roles": Question.Role.choices,
        "active_nav": "surveys",
    }
    return render(request, "voc/program.html", context, status=400 if failed_on else 200)


def _question_form(template: SurveyTemplate, failed: QuestionForm | None, failed_template: str) -> QuestionForm:
    """Each survey's own "add a question" form (ids of its own), the failed one with its errors."""
    if failed is not None and str(template.pk) == failed_template:
        return failed
    return QuestionForm(auto_id=f"t{template.pk}-%s")


def _template_act(request: TenantRequest, action: str) -> str:
    user = request.user
    if action == "create_template":
        template = templating.template_create(name=request.POST.get("name", ""), acting_user=user)
        return f"Survey {template.name} created; add its questions."
    if action == "add_question":
        template = _template(request.POST.get("template", ""))
        templating.question_add(template=template, data=_question_data(request), acting_user=user)
        return "Question added."
    if action == "make_default":
        template = _template(request.POST.get("template", ""))
        templating.template_make_default(template=template, acting_user=user)
        return f"{template.name} is now the default survey."
    question = _question(request.POST.get("question", ""))
    if action == "update_question":
        templating.question_update(question=question, data=_question_data(request), acting_user=user)
        return "Question saved."
    if action == "delete_question":
        templating.question_delete(question=question, acting_user=user)
        return "Question removed."
    if action in ("up", "down"):
        templating.question_move(question=question, up=action == "up", acting_user=user)
        return "Order changed."
    raise ValidationError("Unknown action.")


def _question_data(request: TenantRequest) -> dict[str, Any]:
    return {name: request.POST.get(name, "") for name in ("text", "kind", "role", "help_text", "choices", "required")}


def _template(raw: str) -> SurveyTemplate:
    template = SurveyTemplate.objects.filter(pk=int(raw) if raw.isdigit() else 0).first()
    if template is None:
        raise Http404
    return template


def _question(raw: str) -> Question:
    question = Question.objects.select_related("version__template").filter(pk=int(raw) if raw.isdigit() else 0).first()
    if question is None:
        raise Http404
    return question
