"""Survey pages: campaigns (list, new, one campaign with live progress), the account's VoC tab and VoC report
(previewed, and made as PDF versions that show their progress), a contact's history, and the survey program
(templates and settings) for admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Account, Contact
from sam.documents.services import documents_of, requested_text
from sam.forms import apply_errors
from sam.http import TenantRequest
from sam.pages import Message, button_change, form_change
from sam.permissions import can, tenant_view
from sam.tenancy.urls import tenant_redirect, tenant_reverse
from voc import campaigns as campaign_services
from voc import selectors, services, templating
from voc.forms import AUDIENCE_FIELDS, CampaignForm, QuestionForm, ReportForm, SurveyTemplateForm, VocSettingsForm
from voc.models import REPORT, Campaign, Invitation, Question, SurveyTemplate, VocSettings
from voc.scoring import SEGMENT_LABELS


def _campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_related("version__template", "created_by").filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


@tenant_view("survey.view")
def campaign_list(request: TenantRequest) -> HttpResponse:
    rows = list(Campaign.objects.select_related("version__template").order_by("-created_at")[:200])
    counts = selectors.campaign_counts(rows)
    context = {
        "rows": [(c, selectors.progress(counts.get(c.pk, {}))) for c in rows],
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
    refused = 422 if request.htmx else 400  # htmx swaps a 422 in; the page shows why
    wrong = [str(e) for name in AUDIENCE_FIELDS for e in form.errors.get(name, [])]
    if wrong:
        return render(request, "voc/_audience.html", {"error": " ".join(wrong)}, status=refused)
    try:
        audience = campaign_services.audience_clean(form.audience_data())
    except ValidationError as exc:
        return render(request, "voc/_audience.html", {"error": " ".join(exc.messages)}, status=refused)
    return render(request, "voc/_audience.html", {"preview": campaign_services.audience_preview(audience)})


@tenant_view("survey.view")
@require_safe
def campaign_detail(request: TenantRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(campaign_id)
    if request.htmx and request.GET.get("part") == "progress":
        return render(request, "voc/campaign_detail.html#progress", _campaign_context(request, campaign))
    return _campaign_page(request, campaign)


def _campaign_context(request: TenantRequest, campaign: Campaign) -> dict[str, Any]:
    return {
        **selectors.campaign_results(campaign),
        "campaign": campaign,
        "can_run": can(request, "survey.run"),
        "segments": SEGMENT_LABELS,
        "active_nav": "surveys",
    }


def _campaign_page(request: TenantRequest, campaign: Campaign, *, status: int = 200) -> HttpResponse:
    return render(request, "voc/campaign_detail.html", _campaign_context(request, campaign), status=status)


CampaignView = Callable[..., HttpResponseBase]


def campaign_change(view: CampaignView) -> CampaignView:
    """A POST that changes one campaign (and, with ``invitation_id``, one of its invitations)."""

    @tenant_view("survey.run")
    @require_POST
    @wraps(view)
    def wrapped(request: TenantRequest, campaign_id: int, **kwargs: Any) -> HttpResponseBase:
        campaign = _campaign(campaign_id)
        if "invitation_id" in kwargs:
            invitation = (
                Invitation.objects.select_related("contact")
                .filter(campaign=campaign, pk=kwargs.pop("invitation_id"))
                .first()
            )
            if invitation is None:
                raise Http404
            kwargs["invitation"] = invitation
        return view(request, campaign, **kwargs)

    return wrapped


def _campaign_button(
    request: TenantRequest, campaign: Campaign, change: Callable[[], Any], message: Message
) -> HttpResponse:
    """A campaign's status moves: the whole page again (status, progress and buttons all change)."""

    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        if not Campaign.objects.filter(pk=campaign.pk).exists():
            return tenant_redirect("voc_campaigns")
        return tenant_redirect("voc_campaign", campaign.pk)

    return button_change(
        request,
        change=change,
        message=message,
        done=done,
        again=lambda: _campaign_page(request, _campaign(campaign.pk), status=400),
    )


@campaign_change
def campaign_schedule(request: TenantRequest, campaign: Campaign) -> HttpResponse:
    return _campaign_button(
        request,
        campaign,
        lambda: campaign_services.campaign_schedule(campaign=campaign, acting_user=request.user),
        "Scheduled. Invitations go out at the send date; this page shows them as they do.",
    )


@campaign_change
def campaign_close(request: TenantRequest, campaign: Campaign) -> HttpResponse:
    return _campaign_button(
        request,
        campaign,
        lambda: campaign_services.campaign_close(campaign=campaign, acting_user=request.user),
        "Closed: the links no longer take answers.",
    )


@campaign_change
def campaign_delete(request: TenantRequest, campaign: Campaign) -> HttpResponse:
    return _campaign_button(
        request,
        campaign,
        lambda: campaign_services.campaign_delete(campaign=campaign, acting_user=request.user),
        f"Draft {campaign.name} deleted.",
    )


@campaign_change
def invitation_revoke(request: TenantRequest, campaign: Campaign, invitation: Invitation) -> HttpResponse:
    return _campaign_button(
        request,
        campaign,
        lambda: campaign_services.invitation_revoke(invitation=invitation, acting_user=request.user),
        f"The link for {invitation.contact.name} no longer works.",
    )


def account_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    """The account page's Voice of the customer tab, with the button that makes its VoC report."""
    data = selectors.account_results(account)
    return {
        **data,
        "chart": selectors.account_trend_chart(data["trend"]),
        "segments": SEGMENT_LABELS,
        "report_documents": list(documents_of(account, REPORT)[:REPORT_VERSIONS]),
        "can_request_report": can(request, "report.request"),
    }


# --- the account's VoC report ----------------------------------------------------------------------------

REPORT_VERSIONS = 10  # the newest PDF versions listed


def _report_account(account_id: int) -> Account:
    account = selectors.report_account(account_id)
    if account is None:
        raise Http404
    return account


@tenant_view("survey.view")
@require_safe
def account_report(request: TenantRequest, account_id: int) -> HttpResponse:
    """The account's VoC report as the PDF prints it (of every campaign, or of the one chosen), its PDF versions,
    each polling its status while it renders, and the button that makes one."""
    account = _report_account(account_id)
    form = ReportForm(request.GET or None, account=account)
    campaign = form.cleaned_data["campaign"] if form.is_bound and form.is_valid() else None
    return _report_page(request, account, form, campaign)


def _report_page(request: TenantRequest, account: Account, form: ReportForm, campaign: Campaign | None) -> HttpResponse:
    preview = selectors.account_report(account, campaign=campaign)
    context = {
        "account": account,
        "form": form,
        "campaign": campaign,
        "preview_html": render_to_string("voc/_report_body.html", preview),  # the very body the PDF prints
        "documents": list(documents_of(account, REPORT)[:REPORT_VERSIONS]),
        "can_request": can(request, "report.request"),
        "active_nav": "accounts",
    }
    return render(request, "voc/account_report.html", context, status=400 if form.errors else 200)


def _report_versions(request: TenantRequest, account: Account, message: str, *, status: int = 200) -> HttpResponse:
    """The PDF versions after a request (htmx): the new one polls until it is ready."""
    context = {
        "account": account,
        "documents": list(documents_of(account, REPORT)[:REPORT_VERSIONS]),
        "message": message,
        "refused": status != 200,
    }
    return render(request, "voc/account_report.html#versions", context, status=status)


@tenant_view("report.request")
@require_POST
def account_report_pdf(request: TenantRequest, account_id: int) -> HttpResponse:
    """Make a PDF of the account's VoC report (a worker renders it; the page and the VoC tab show its progress)."""
    account = _report_account(account_id)
    form = ReportForm(request.POST, account=account)

    def done(text: str) -> HttpResponse:
        if request.htmx:
            return _report_versions(request, account, text)
        messages.success(request, text)
        campaign = form.cleaned_data["campaign"]
        query = f"?campaign={campaign.pk}" if campaign is not None else ""
        return redirect(tenant_reverse("voc_account_report", account.pk) + query)

    def again() -> HttpResponse:
        if request.htmx:  # 422: htmx swaps the reason in
            reasons = " ".join(str(e) for errors in form.errors.values() for e in errors)
            return _report_versions(request, account, reasons, status=422)
        return _report_page(request, account, form, None)

    return form_change(
        form,
        save=lambda data: services.account_report_request(
            account=account, campaign=data["campaign"], acting_user=request.user
        )[1],
        message=requested_text,
        done=done,
        again=again,
    )


@tenant_view("survey.view")
def contact_history(request: TenantRequest, contact_id: int) -> HttpResponse:
    contact = Contact.objects.select_related("account").filter(pk=contact_id, account__deleted_at__isnull=True).first()
    if contact is None:
        raise Http404
    context = {
        **selectors.contact_history(contact),
        "contact": contact,
        "account": contact.account,
        "segments": SEGMENT_LABELS,
        "active_nav": "accounts",
    }
    return render(request, "voc/contact_history.html", context)


# --- the survey program (admins) ---------------------------------------------------------------------


@tenant_view("tenant.manage_templates")
@require_safe
def program(request: TenantRequest) -> HttpResponse:
    """Survey settings (anonymity, loyalty cut-offs) and the survey templates with their questions."""
    return _program_page(request)


def _program_page(
    request: TenantRequest,
    *,
    settings_form: VocSettingsForm | None = None,
    create_form: SurveyTemplateForm | None = None,
    bound: dict[str, QuestionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    services.survey_defaults_ensure()
    context = {
        "settings_form": settings_form or VocSettingsForm(instance=VocSettings.current()),
        "create_form": create_form or SurveyTemplateForm(),
        "rows": _survey_rows(list(SurveyTemplate.objects.all()), bound or {}),
        "active_nav": "surveys",
    }
    return render(request, "voc/program.html", context, status=status)


def _survey_rows(templates: list[SurveyTemplate], bound: dict[str, QuestionForm]) -> list[dict[str, Any]]:
    """Each survey's newest version, its questions with their forms, and its "add a question" form."""
    newest = templating.newest_of(templates)
    questions: dict[int, list[Question]] = {}
    for question in Question.objects.filter(version__in=newest.values()).order_by("order", "pk"):
        questions.setdefault(question.version_id, []).append(question)
    rows = []
    for t in templates:
        version = newest[t.pk]
        rows.append(
            {
                "template": t,
                "version": version,
                "questions": [
                    {"question": q, "form": bound.get(f"question_{q.pk}") or QuestionForm.of(q)}
                    for q in questions.get(version.pk, [])
                ],
                "add_form": bound.get(f"new_{t.pk}") or QuestionForm(auto_id=f"t{t.pk}-%s"),
            }
        )
    return rows


@tenant_view("tenant.manage_settings")
@require_POST
def program_settings(request: TenantRequest) -> HttpResponse:
    form = VocSettingsForm(request.POST, instance=VocSettings.current())

    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        if request.htmx:
            return render(request, "voc/program.html#settings_card", {"settings_form": form, "swapped": True})
        return tenant_redirect("voc_program")

    def again() -> HttpResponse:
        if request.htmx:
            return render(request, "voc/program.html#settings_card", {"settings_form": form}, status=422)
        return _program_page(request, settings_form=form, status=400)

    return form_change(
        form,
        save=lambda data: services.voc_settings_update(data=data, acting_user=request.user),
        message="Survey settings saved.",
        done=done,
        again=again,
    )


@tenant_view("tenant.manage_templates")
@require_POST
def survey_create(request: TenantRequest) -> HttpResponse:
    form = SurveyTemplateForm(request.POST)

    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        return tenant_redirect("voc_program")  # a new card: the whole page

    return form_change(
        form,
        save=lambda data: templating.template_create(name=data["name"], acting_user=request.user),
        message=lambda template: f"Survey {template.name} created; add its questions.",
        done=done,
        again=lambda: _program_page(request, create_form=form, status=400),
    )


SurveyView = Callable[..., HttpResponseBase]


def survey_change(view: SurveyView) -> SurveyView:
    """A POST that changes one survey template (and, with ``question_id``, one question of its newest version)."""

    @tenant_view("tenant.manage_templates")
    @require_POST
    @wraps(view)
    def wrapped(request: TenantRequest, survey_template_id: int, **kwargs: Any) -> HttpResponseBase:
        template = SurveyTemplate.objects.filter(pk=survey_template_id).first()
        if template is None:
            raise Http404
        if "question_id" in kwargs:
            question = (
                Question.objects.select_related("version__template")
                .filter(version__template=template, pk=kwargs.pop("question_id"))
                .first()
            )
            if question is None:
                raise Http404
            kwargs["question"] = question
        return view(request, template, **kwargs)

    return wrapped


def _survey_card(
    request: TenantRequest, template: SurveyTemplate, bound: dict[str, QuestionForm] | None = None, *, status: int = 200
) -> HttpResponse:
    """After a change to one survey: its card (htmx) or the page again."""
    if not request.htmx:
        if status == 200:
            return tenant_redirect("voc_program")
        return _program_page(request, bound=bound, status=status)
    row = _survey_rows([template], bound or {})[0]
    return render(
        request, "voc/program.html#survey_card", {"row": row, "swapped": True}, status=422 if status == 400 else status
    )


def _survey_save(
    request: TenantRequest,
    template: SurveyTemplate,
    form: QuestionForm,
    name: str,
    save: Callable[[dict[str, Any]], Any],
    message: Message,
) -> HttpResponse:
    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        return _survey_card(request, template)

    def again() -> HttpResponse:
        if not request.htmx:
            messages.error(request, "The question was not saved: see the form below.")
        return _survey_card(request, template, {name: form}, status=400)

    return form_change(form, save=save, message=message, done=done, again=again)


@survey_change
def question_add(request: TenantRequest, template: SurveyTemplate) -> HttpResponse:
    form = QuestionForm(request.POST, auto_id=f"t{template.pk}-%s")
    return _survey_save(
        request,
        template,
        form,
        f"new_{template.pk}",
        lambda data: templating.question_add(template=template, data=data, acting_user=request.user),
        "Question added.",
    )


@survey_change
def question_edit(request: TenantRequest, template: SurveyTemplate, question: Question) -> HttpResponse:
    form = QuestionForm(request.POST, auto_id=f"q{question.pk}-%s")
    return _survey_save(
        request,
        template,
        form,
        f"question_{question.pk}",
        lambda data: templating.question_update(question=question, data=data, acting_user=request.user),
        "Question saved.",
    )


def _survey_button(
    request: TenantRequest, template: SurveyTemplate, change: Callable[[], Any], message: Message
) -> HttpResponse:
    def done(text: str) -> HttpResponse:
        messages.success(request, text)
        return _survey_card(request, template)

    return button_change(
        request, change=change, message=message, done=done, again=lambda: _survey_card(request, template, status=400)
    )


@survey_change
def question_move(request: TenantRequest, template: SurveyTemplate, question: Question, up: bool) -> HttpResponse:
    """Up or down a place (the URL says which)."""
    return _survey_button(
        request,
        template,
        lambda: templating.question_move(question=question, up=up, acting_user=request.user),
        "Order changed.",
    )


@survey_change
def question_delete(request: TenantRequest, template: SurveyTemplate, question: Question) -> HttpResponse:
    return _survey_button(
        request,
        template,
        lambda: templating.question_delete(question=question, acting_user=request.user),
        "Question removed.",
    )


@survey_change
def survey_default(request: TenantRequest, template: SurveyTemplate) -> HttpResponse:
    templating.template_make_default(template=template, acting_user=request.user)
    messages.success(request, f"{template.name} is now the default survey.")
    return tenant_redirect("voc_program")  # the badge moves between cards: the whole page
