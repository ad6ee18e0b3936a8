"""Assessment pages (list, new, one assessment in tabs, program settings) and the 4 R's pages (take it, one
result, rounds with their rollup and comparison)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Account
from assessments import calc, fourrs, fourrs_selectors, fourrs_services, reports, selectors, services
from assessments.forms import (
    AssessmentNewForm,
    AssessmentSettingsForm,
    ConfirmationForm,
    ExpertForm,
    FindingForm,
    FourRsAnswersForm,
    FourRsRoundForm,
    InterviewForm,
    RecommendationForm,
    RollupForm,
    RoundInviteForm,
    RoundParamForm,
    StatusForm,
    StepForm,
    SummaryForm,
)
from assessments.models import (
    TOPIC_KEYS,
    TOPICS,
    Assessment,
    AssessmentSettings,
    Finding,
    FourRsInvitation,
    FourRsResult,
    FourRsRound,
    Interview,
    JourneyStep,
    Payback,
    Recommendation,
    Scope,
    TeamMember,
)
from sam.charts import line_chart
from sam.documents.services import document_request, documents_of, requested_text
from sam.forms import apply_errors, share_choices
from sam.http import TenantRequest
from sam.numbers import whole
from sam.pages import Message, button_change, done_redirect, form_change
from sam.permissions import can, require, tenant_view
from sam.tenancy.urls import tenant_redirect, tenant_reverse

TABS = (
    ("overview", "Overview"),
    ("interviews", "Interviews"),
    ("journey", "Journey map and findings"),
    ("recommendations", "Recommendations"),
)


def _int(raw: Any) -> int:
    return whole(raw) or 0


@tenant_view("account.view")
def assessment_list(request: TenantRequest) -> HttpResponse:
    """Every assessment with its status, and the accounts whose contract is at its mid-point without one."""
    status = request.GET.get("status", "")
    found = Assessment.objects.filter(account__deleted_at__isnull=True)
    if status in Assessment.Status.values:
        found = found.filter(status=status)
    rows = list(
        found.select_related("account", "contract")
        .annotate(
            findings_n=Count("findings", distinct=True),
            recs_n=Count("recommendations", distinct=True),
            accepted_n=Count("recommendations", filter=Q(recommendations__status="accepted"), distinct=True),
        )
        .order_by("-started_on", "-pk")[:200]
    )
    context = {
        "rows": rows,
        "due": selectors.due_for_prompt(),
        "statuses": Assessment.Status.choices,
        "status": status,
        "config": AssessmentSettings.current(),
        "can_settings": can(request, "tenant.manage_settings"),
        "can_start": can(request, "account.edit_team_work"),
        "active_nav": "assessments",
    }
    return render(request, "assessments/list.html", context)


def _account(account_id: int) -> Account:
    account = Account.objects.alive().filter(pk=account_id).first()
    if account is None:
        raise Http404
    return account


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def assessment_new(request: TenantRequest, account_id: int) -> HttpResponse:
    account = _account(account_id)
    require(request, "account.edit_team_work", account)
    current = selectors.current_contract(account)
    hint = selectors.contract_midpoint(current)["text"]
    if request.method != "POST":
        chosen = _int(request.GET.get("contract", "")) or (current.pk if current else None)
        initial = {"title": f"Mid-contract assessment {timezone.localdate():%b %Y}", "contract": chosen}
        return _new_page(request, account, AssessmentNewForm(initial=initial, account=account, hint=hint))
    form = AssessmentNewForm(request.POST, account=account, hint=hint)

    made: dict[str, Assessment] = {}

    def save(data: dict[str, Any]) -> None:
        made["assessment"] = services.assessment_create(account=account, acting_user=request.user, data=data)

    return form_change(
        form,
        save=save,
        message="Assessment started. The account team is on it; invite experts from elsewhere.",
        done=lambda text: done_redirect(request, "assessment_detail", made["assessment"].pk)(text),  # once made
        again=lambda: _new_page(request, account, form),
    )


def _new_page(request: TenantRequest, account: Account, form: AssessmentNewForm) -> HttpResponse:
    context = {"account": account, "form": form, "active_nav": "assessments"}
    return render(request, "assessments/new.html", context, status=400 if form.errors else 200)


def _assessment(assessment_id: int) -> Assessment:
    found = (
        Assessment.objects.filter(pk=assessment_id, account__deleted_at__isnull=True)
        .select_related("account", "account__owner", "contract", "confirmed_by")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _can_edit(request: TenantRequest, assessment: Assessment) -> bool:
    """The account's team (and admins), or someone on this assessment's team with a working role."""
    if can(request, "account.edit_team_work", assessment.account):
        return True
    on_team = TeamMember.objects.filter(assessment=assessment, user=request.user).exists()
    return on_team and can(request, "report.request")  # every role but viewers


def _tab(request: TenantRequest) -> str:
    tab = request.GET.get("tab", "overview")
    return tab if tab in dict(TABS) else "overview"


@tenant_view("account.view")
@require_safe
def assessment_detail(request: TenantRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(assessment_id)
    tab = _tab(request)
    context = _detail_context(request, assessment, tab, {})
    if request.htmx and not request.htmx.boosted:
        return render(request, "assessments/detail.html#tab", context)
    return render(request, "assessments/detail.html", context)


def _detail_context(request: TenantRequest, assessment: Assessment, tab: str, bound: dict[str, Any]) -> dict[str, Any]:
    """The page around the tab, the tab's content and its forms; ``bound`` holds the forms that failed."""
    context: dict[str, Any] = {
        "assessment": assessment,
        "account": assessment.account,
        "tab": tab,
        "tabs": TABS,
        "can_edit": _can_edit(request, assessment) and assessment.status in services.EDITABLE,
        "can_decide": can(request, "account.edit_team_work", assessment.account),
        "next_statuses": [(s, Assessment.Status(s).label) for s in services.TRANSITIONS[assessment.status]],
        "flow": Assessment.Status.choices,
        "mid": selectors.contract_midpoint(assessment.contract),
        "active_nav": "assessments",
    }
    if context["can_decide"] and Assessment.Status.SHARED in services.TRANSITIONS[assessment.status]:
        context["share_form"] = bound.get("share_form") or ConfirmationForm(
            initial={"confirmed_on": timezone.localdate()}, account=assessment.account, required=False, auto_id="sh-%s"
        )
    context.update(_tab_context(request, assessment, tab, bound))
    context.update(bound)
    return context


def _tab_context(request: TenantRequest, assessment: Assessment, tab: str, bound: dict[str, Any]) -> dict[str, Any]:
    """What each tab shows: a fixed number of queries however much the assessment holds."""
    if tab == "overview":
        rotation = selectors.expert_rotation(assessment.account, assessment)
        shared = assessment.status in (Assessment.Status.SHARED, Assessment.Status.ACTION_PLAN)
        return {
            "team": list(TeamMember.objects.filter(assessment=assessment).select_related("user")),
            "rotation": rotation,
            "counts": {
                "interviews": Interview.objects.filter(assessment=assessment).count(),
                "steps": JourneyStep.objects.filter(assessment=assessment).count(),
                "findings": Finding.objects.filter(assessment=assessment).count(),
                "recommendations": Recommendation.objects.filter(assessment=assessment).count(),
            },
            "documents": list(documents_of(assessment, reports.REPORT)[:10]),
            "progress_documents": list(documents_of(assessment, reports.PROGRESS_YEAR)[:10]) if shared else [],
            "plan_year": calc.plan_year(assessment.shared_on, timezone.localdate()) if assessment.shared_on else None,
            "can_request": can(request, "report.request"),
            "can_confirm": shared and can(request, "account.edit_team_work", assessment.account),
            "confirm_form": bound.get("confirm_form")
            or ConfirmationForm(
                initial={
                    "confirmed_by": assessment.confirmed_by_id,
                    "confirmed_on": assessment.confirmed_on or timezone.localdate(),
                },
                account=assessment.account,
                required=True,
                auto_id="cf-%s",
            ),
            "summary_form": SummaryForm(initial={"title": assessment.title, "summary": assessment.summary}),
            "expert_form": ExpertForm(candidates=rotation["candidates"]),
        }
    if tab == "interviews":
        interviews = list(
            Interview.objects.filter(assessment=assessment).select_related("contact", "colleague", "interviewer")
        )
        rows = [
            {
                "interview": i,
                "topics": _topics(i),
                "form": bound.get(f"interview_form_{i.pk}")
                or InterviewForm(
                    initial={
                        "contact": i.contact_id,
                        "colleague": i.colleague_id,
                        "held_on": i.held_on,
                        "interviewer": i.interviewer_id,
                        **{f"topic-{key}": i.notes.get(key, "") for key in TOPIC_KEYS},
                    },
                    assessment=assessment,
                    new=False,
                    auto_id=f"iv{i.pk}-%s",
                ),
            }
            for i in interviews
        ]
        share_choices([row["form"] for row in rows], "interviewer", "contact", "colleague")
        return {
            "interviews": rows,
            "sides": selectors.interviews_by_topic(interviews),
            "topics": TOPICS,
            "interview_form": bound.get("interview_form")
            or InterviewForm(
                initial={"held_on": timezone.localdate(), "interviewer": request.user.pk},
                assessment=assessment,
                new=True,
                auto_id="ni-%s",
            ),
        }
    if tab == "journey":
        steps = list(JourneyStep.objects.filter(assessment=assessment).prefetch_related("findings"))
        findings = list(Finding.objects.filter(assessment=assessment).prefetch_related("steps"))

        def finding_form(f: Finding) -> FindingForm:
            initial = {"kind": f.kind, "text": f.text, "steps": [s.pk for s in f.steps.all()]}
            return FindingForm(initial=initial, assessment=assessment, auto_id=f"fe{f.pk}-%s")

        def step_form(s: JourneyStep) -> StepForm:
            initial = {
                "name": s.name,
                "touchpoint": s.touchpoint,
                "rating": s.rating,
                "moment_of_truth": s.moment_of_truth,
            }
            return StepForm(initial=initial, auto_id=f"st{s.pk}-%s")

        finding_rows = [{"finding": f, "form": bound.get(f"finding_form_{f.pk}") or finding_form(f)} for f in findings]
        share_choices([row["form"] for row in finding_rows], "steps")
        return {
            "steps": [{"step": s, "form": bound.get(f"step_form_{s.pk}") or step_form(s)} for s in steps],
            "groups": [
                {
                    "kind": k,
                    "label": Finding.PLURALS[k],
                    "findings": [row for row in finding_rows if row["finding"].kind == k],
                }
                for k in Finding.Kind.values
            ],
            "step_form": StepForm(auto_id="new-%s"),
            "finding_form": FindingForm(assessment=assessment, auto_id="nf-%s"),
        }
    paybacks = Prefetch("paybacks", queryset=Payback.objects.order_by("beneficiary", "category"))
    recs = list(
        Recommendation.objects.filter(assessment=assessment)
        .select_related("finding", "customer_contact")
        .prefetch_related(paybacks)
    )
    totals = selectors.assessment_totals(assessment, recs)
    currency = totals["currency"]
    rec_forms = {
        r.pk: bound.get(f"rec_form_{r.pk}")
        or RecommendationForm(
            initial=RecommendationForm.initial_for(r), assessment=assessment, currency=currency, auto_id=f"r{r.pk}-%s"
        )
        for r in recs
    }
    share_choices(list(rec_forms.values()), "finding")
    return {
        "recs": recs,
        "rec_forms": rec_forms,
        "totals": totals,
        "progress": selectors.plan_progress(assessment.account, assessment)
        if assessment.status == "action_plan"
        else [],
        "timeline": reports.timeline(recs),
        "rec_form": RecommendationForm(assessment=assessment, currency=currency, auto_id="nr-%s"),
        "has_findings": Finding.objects.filter(assessment=assessment).exists(),
    }


def _topics(interview: Interview) -> list[dict[str, str]]:
    return [
        {"key": k, "label": label, "guide": guide, "text": interview.notes.get(k, "")} for k, label, guide in TOPICS
    ]


# --- one view per change ---------------------------------------------------------------------------------


def _show(
    request: TenantRequest, assessment: Assessment, tab: str, bound: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """The page on a tab, or with htmx that tab alone (422 for errors, so htmx swaps them in too)."""
    assessment.refresh_from_db()
    context = _detail_context(request, assessment, tab, bound or {})
    if request.htmx:
        context["swapped"] = True
        return render(request, "assessments/detail.html#tab", context, status=422 if status == 400 else status)
    return render(request, "assessments/detail.html", context, status=status)


def _done(request: TenantRequest, assessment: Assessment, tab: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return _show(request, assessment, tab)
    return redirect(tenant_reverse("assessment_detail", assessment.pk) + f"?tab={tab}")


def _submit(
    request: TenantRequest,
    assessment: Assessment,
    form: forms.Form,
    *,
    tab: str,
    name: str,
    save: Callable[[dict[str, Any]], Any],
    message: Message,
) -> HttpResponse:
    """One form of a tab: the tab again when done, or with the form's errors."""
    return form_change(
        form,
        save=save,
        message=message,
        done=lambda text: _done(request, assessment, tab, text),
        again=lambda: _show(request, assessment, tab, {name: form}, status=400),
    )


def _run(
    request: TenantRequest, assessment: Assessment, tab: str, change: Callable[[], Any], message: Message
) -> HttpResponse:
    """One button of a tab: the tab again, with the message or the refusal."""
    return button_change(
        request,
        change=change,
        message=message,
        done=lambda text: _done(request, assessment, tab, text),
        again=lambda: _show(request, assessment, tab, status=400),
    )


AssessmentView = Callable[..., HttpResponseBase]
# The kwarg of each child route -> the model whose row of this assessment it names.
CHILDREN: dict[str, type[Any]] = {
    "member_id": TeamMember,
    "interview_id": Interview,
    "step_id": JourneyStep,
    "finding_id": Finding,
    "recommendation_id": Recommendation,
}


def assessment_change(who: str = "team") -> Callable[[AssessmentView], AssessmentView]:
    """A POST that changes one assessment (404 outside the tenant), with the row a child id names. ``who``:
    "team" (the account team, or the assessment's own team), "decide" (the account team only: the workflow,
    deleting, accepting) or "report" (anyone who may request reports)."""

    def decorate(view: AssessmentView) -> AssessmentView:
        @tenant_view("account.view")
        @require_POST
        @wraps(view)
        def wrapped(request: TenantRequest, assessment_id: int, **kwargs: Any) -> HttpResponseBase:
            assessment = _assessment(assessment_id)
            if who == "report":
                require(request, "report.request")
            elif who == "decide" or not _can_edit(request, assessment):
                require(request, "account.edit_team_work", assessment.account)
            for key, model in CHILDREN.items():
                if key in kwargs:
                    row = model.objects.filter(assessment=assessment, pk=kwargs.pop(key)).first()
                    if row is None:
                        raise Http404
                    kwargs[key.removesuffix("_id")] = row
            return view(request, assessment, **kwargs)

        return wrapped

    return decorate


@assessment_change("decide")
def assessment_status_set(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    """The next step of the workflow; sharing may name who at the customer confirmed, and when."""
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a step of the workflow.")
        return _show(request, assessment, _tab(request), status=400)
    confirm = ConfirmationForm(request.POST, account=assessment.account, required=False, auto_id="sh-%s")
    if confirm.is_valid():
        try:
            services.assessment_transition(
                assessment=assessment,
                to=form.cleaned_data["status"],
                acting_user=request.user,
                confirmation=confirm.service_data(),
            )
        except ValidationError as exc:
            if not (hasattr(exc, "error_dict") and set(exc.message_dict) <= set(confirm.fields)):
                messages.error(request, " ".join(exc.messages))
                return _show(request, assessment, _tab(request), {"share_form": confirm}, status=400)
            apply_errors(confirm, exc)
        else:
            messages.success(request, f"Moved on: {assessment.get_status_display().lower()}.")
            return redirect(tenant_reverse("assessment_detail", assessment.pk) + f"?tab={_tab(request)}")
    messages.error(request, "Not shared yet: check who confirmed the recommendations and when.")
    return _show(request, assessment, _tab(request), {"share_form": confirm}, status=400)


@assessment_change("decide")
def confirmation_set(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    """Record (or correct) who at the customer confirmed the recommendations, and when."""
    form = ConfirmationForm(request.POST, account=assessment.account, required=True, auto_id="cf-%s")
    return _submit(
        request,
        assessment,
        form,
        tab="overview",
        name="confirm_form",
        save=lambda data: services.assessment_confirmation_record(
            assessment=assessment, data=form.service_data() or {}, acting_user=request.user
        ),
        message="Recorded who confirmed the recommendations.",
    )


@assessment_change("decide")
def assessment_delete(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    try:
        services.assessment_delete(assessment=assessment, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _show(request, assessment, "overview", status=400)
    messages.success(request, "Assessment deleted.")
    return tenant_redirect("assessment_list")


@assessment_change()
def summary_set(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    return _submit(
        request,
        assessment,
        SummaryForm(request.POST),
        tab="overview",
        name="summary_form",
        save=lambda data: services.assessment_update(assessment=assessment, data=data),
        message="Saved.",
    )


@assessment_change()
def expert_add(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    candidates = selectors.expert_rotation(assessment.account, assessment)["candidates"]
    return _submit(
        request,
        assessment,
        ExpertForm(request.POST, candidates=candidates),
        tab="overview",
        name="expert_form",
        save=lambda data: services.expert_add(
            assessment=assessment, user_id=data["user"], expertise=data["expertise"], acting_user=request.user
        ),
        message="Expert added to the team and told by email.",
    )


@assessment_change()
def team_remove(request: TenantRequest, assessment: Assessment, member: TeamMember) -> HttpResponse:
    return _run(
        request,
        assessment,
        "overview",
        lambda: services.team_member_remove(assessment=assessment, member=member),
        "Removed from the team.",
    )


@assessment_change("report")
def report_make(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    return _run(
        request,
        assessment,
        "overview",
        lambda: document_request(kind=reports.REPORT, subject=assessment, params={}, acting_user=request.user)[1],
        requested_text,
    )


@assessment_change("report")
def progress_report_make(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    """The progress report of the action plan's year running today, on demand."""
    return _run(
        request,
        assessment,
        "overview",
        lambda: services.progress_report_request(assessment=assessment, acting_user=request.user)[1],
        requested_text,
    )


@assessment_change()
def interview_add(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    form = InterviewForm(request.POST, assessment=assessment, new=True, auto_id="ni-%s")
    return _submit(
        request,
        assessment,
        form,
        tab="interviews",
        name="interview_form",
        save=lambda data: services.interview_save(assessment=assessment, data=form.service_data()),
        message="Interview notes saved.",
    )


@assessment_change()
def interview_edit(request: TenantRequest, assessment: Assessment, interview: Interview) -> HttpResponse:
    form = InterviewForm(request.POST, assessment=assessment, new=False, auto_id=f"iv{interview.pk}-%s")
    return _submit(
        request,
        assessment,
        form,
        tab="interviews",
        name=f"interview_form_{interview.pk}",
        save=lambda data: services.interview_save(assessment=assessment, data=form.service_data(), interview=interview),
        message="Interview notes saved.",
    )


@assessment_change()
def interview_delete(request: TenantRequest, assessment: Assessment, interview: Interview) -> HttpResponse:
    return _run(
        request,
        assessment,
        "interviews",
        lambda: services.interview_delete(assessment=assessment, interview=interview),
        "Interview removed.",
    )


@assessment_change()
def step_add(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    return _submit(
        request,
        assessment,
        StepForm(request.POST, auto_id="new-%s"),
        tab="journey",
        name="step_form",
        save=lambda data: services.step_save(assessment=assessment, data=data),
        message="Journey map saved.",
    )


@assessment_change()
def step_edit(request: TenantRequest, assessment: Assessment, step: JourneyStep) -> HttpResponse:
    return _submit(
        request,
        assessment,
        StepForm(request.POST, auto_id=f"st{step.pk}-%s"),
        tab="journey",
        name=f"step_form_{step.pk}",
        save=lambda data: services.step_save(assessment=assessment, data=data, step=step),
        message="Journey map saved.",
    )


@assessment_change()
def step_move(request: TenantRequest, assessment: Assessment, step: JourneyStep, up: bool) -> HttpResponse:
    """Up or down a place (the URL says which)."""
    return _run(
        request,
        assessment,
        "journey",
        lambda: services.step_move(assessment=assessment, step=step, up=up),
        "Journey map reordered.",
    )


@assessment_change()
def step_delete(request: TenantRequest, assessment: Assessment, step: JourneyStep) -> HttpResponse:
    return _run(
        request, assessment, "journey", lambda: services.step_delete(assessment=assessment, step=step), "Step removed."
    )


@assessment_change()
def finding_add(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    return _submit(
        request,
        assessment,
        FindingForm(request.POST, assessment=assessment, auto_id="nf-%s"),
        tab="journey",
        name="finding_form",
        save=lambda data: services.finding_save(assessment=assessment, data=data),
        message="Finding saved.",
    )


@assessment_change()
def finding_edit(request: TenantRequest, assessment: Assessment, finding: Finding) -> HttpResponse:
    return _submit(
        request,
        assessment,
        FindingForm(request.POST, assessment=assessment, auto_id=f"fe{finding.pk}-%s"),
        tab="journey",
        name=f"finding_form_{finding.pk}",
        save=lambda data: services.finding_save(assessment=assessment, data=data, finding=finding),
        message="Finding saved.",
    )


@assessment_change()
def finding_delete(request: TenantRequest, assessment: Assessment, finding: Finding) -> HttpResponse:
    return _run(
        request,
        assessment,
        "journey",
        lambda: services.finding_delete(assessment=assessment, finding=finding),
        "Finding removed.",
    )


def _rec_form(request: TenantRequest, assessment: Assessment, auto_id: str) -> RecommendationForm:
    return RecommendationForm(request.POST, assessment=assessment, currency=assessment.currency, auto_id=auto_id)


@assessment_change()
def recommendation_add(request: TenantRequest, assessment: Assessment) -> HttpResponse:
    form = _rec_form(request, assessment, "nr-%s")
    return _submit(
        request,
        assessment,
        form,
        tab="recommendations",
        name="rec_form",
        save=lambda data: services.recommendation_save(assessment=assessment, data=form.service_data()),
        message="Recommendation saved.",
    )


@assessment_change()
def recommendation_edit(request: TenantRequest, assessment: Assessment, recommendation: Recommendation) -> HttpResponse:
    form = _rec_form(request, assessment, f"r{recommendation.pk}-%s")
    return _submit(
        request,
        assessment,
        form,
        tab="recommendations",
        name=f"rec_form_{recommendation.pk}",
        save=lambda data: services.recommendation_save(
            assessment=assessment, data=form.service_data(), recommendation=recommendation
        ),
        message="Recommendation saved.",
    )


@assessment_change()
def recommendation_delete(
    request: TenantRequest, assessment: Assessment, recommendation: Recommendation
) -> HttpResponse:
    return _run(
        request,
        assessment,
        "recommendations",
        lambda: services.recommendation_delete(assessment=assessment, recommendation=recommendation),
        "Recommendation removed.",
    )


@assessment_change("decide")
def recommendation_accept(
    request: TenantRequest, assessment: Assessment, recommendation: Recommendation
) -> HttpResponse:
    return _run(
        request,
        assessment,
        "recommendations",
        lambda: services.recommendation_accept(recommendation=recommendation, acting_user=request.user),
        lambda items: (
            f"Accepted: {len(items)} action{'s' if len(items) != 1 else ''} in {assessment.account.name}'s "
            "register, due along its timeline."
        ),
    )


@assessment_change("decide")
def recommendation_decline(
    request: TenantRequest, assessment: Assessment, recommendation: Recommendation
) -> HttpResponse:
    return _run(
        request,
        assessment,
        "recommendations",
        lambda: services.recommendation_decline(recommendation=recommendation, acting_user=request.user),
        "Declined.",
    )


@tenant_view("tenant.manage_settings")
@require_http_methods(["GET", "POST"])
def program(request: TenantRequest) -> HttpResponse:
    """The mid-contract prompt window and the cost of an hour of the team's work."""
    if request.method != "POST":
        return _program_page(request, AssessmentSettingsForm.of(AssessmentSettings.current()))
    form = AssessmentSettingsForm(request.POST)

    return form_change(
        form,
        save=lambda data: services.assessment_settings_update(data=data, acting_user=request.user),
        message="Assessment settings saved.",
        done=done_redirect(request, "assessment_program"),
        again=lambda: _program_page(request, form),
    )


def _program_page(request: TenantRequest, form: AssessmentSettingsForm) -> HttpResponse:
    context = {"form": form, "active_nav": "admin"}
    return render(request, "assessments/program.html", context, status=400 if form.errors else 200)


def account_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    """The account's assessments, where its contract stands, and the actions its action plans created."""
    return {
        "assessments": list(Assessment.objects.filter(account=account).order_by("-started_on", "-pk")),
        "mid": selectors.contract_midpoint(selectors.current_contract(account)),
        "progress": selectors.plan_progress(account),
        "can_start": can(request, "account.edit_team_work", account),
    }


# --- the 4 R's ------------------------------------------------------------------------------------------


@tenant_view("account.view")
def fourrs_home(request: TenantRequest) -> HttpResponse:
    """My results over time, rounds waiting for my answer, and every round's rollup (with who ran it)."""
    mine = list(FourRsResult.objects.filter(respondent=request.user).select_related("round", "account"))
    answered = {m.round_id for m in mine if m.round_id}
    invited = set(FourRsInvitation.objects.filter(user=request.user).values_list("round_id", flat=True))
    rounds = list(
        FourRsRound.objects.select_related("account")
        .annotate(invited_n=Count("invitations", distinct=True), answered_n=Count("answers", distinct=True))
        .order_by("-opens_on", "-pk")
    )
    waiting = [r for r in rounds if r.pk in invited and r.pk not in answered and r.is_open()]

    history = sorted(mine, key=lambda m: m.taken_at)
    chart = (
        line_chart(
            "Your total over time (out of 75)",
            [(f"{m.taken_at:%b %y}", float(m.total)) for m in history],
            top=75,
            bottom=15,
            reference=("excellent from 60", 60),
        )
        if len(history) > 1
        else None
    )
    context = {
        "mine": mine,
        "chart": chart,
        "waiting": waiting,
        "rounds": rounds if can(request, "fourrs.view") else [],
        "can_take": can(request, "fourrs.take"),
        "can_run": can(request, "fourrs.run"),
        "round_form": FourRsRoundForm() if can(request, "fourrs.run") else None,
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_home.html", context)


@tenant_view("fourrs.take")
@require_http_methods(["GET", "POST"])
def fourrs_take(request: TenantRequest) -> HttpResponse:
    """The 15 statements, each rated 1 to 5; in a round when ``?round=`` is given, else on one's own."""
    round_id = RoundParamForm(request.GET if "round" in request.GET else request.POST).round_id()
    round = None
    if round_id:
        round = FourRsRound.objects.filter(pk=round_id).select_related("account").first()
        if round is None:
            raise Http404
    errors: dict[str, Any] = {}
    form = FourRsAnswersForm(request.POST or None, in_round=round is not None)
    if request.method == "POST":
        if form.is_valid():
            try:
                item = fourrs_services.fourrs_result_submit(
                    respondent=request.user,
                    answers=form.answers(),
                    round=round,
                    scope=form.cleaned_data["scope"],
                    account=form.cleaned_data["account"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                band = fourrs.band_info(item.band)["label"].lower()
                messages.success(request, f"Thank you: {item.total} of 75, {band}.")
                return tenant_redirect("fourrs_result", item.pk)
        errors = form.errors
    already = None
    if round is not None:
        already = FourRsResult.objects.filter(round=round, respondent=request.user).first()
    context = {
        "round": round,
        "already": already,
        "invited": round is None or FourRsInvitation.objects.filter(round=round, user=request.user).exists(),
        "groups": [{"r": r, "statements": [s for s in fourrs.STATEMENTS if s.r == r.key]} for r in fourrs.RS],
        "errors": errors,
        "missing": [s for s in fourrs.STATEMENTS if s.key in errors],
        "general": [m for key in ("__all__", "scope", "account") for m in errors.get(key, [])],
        "posted": form.data if errors else {},
        "scale": [(1, "Strongly disagree"), (2, "Disagree"), (3, "Neither"), (4, "Agree"), (5, "Strongly agree")],
        "form": form,
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_take.html", context, status=400 if errors else 200)


@tenant_view("fourrs.take")
@require_safe
def fourrs_result(request: TenantRequest, result_id: int) -> HttpResponse:
    """One's own result (nobody else's: another person's id is not found)."""
    item = _own_result(request, result_id)
    context = {
        **reports.result_context(item),
        "documents": list(documents_of(item, reports.RESULT)[:10]),
        "can_request": can(request, "report.request"),
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_result.html", context)


@tenant_view("fourrs.take")
@require_POST
def fourrs_result_pdf(request: TenantRequest, result_id: int) -> HttpResponse:
    item = _own_result(request, result_id)
    require(request, "report.request")
    _, created = document_request(kind=reports.RESULT, subject=item, params={}, acting_user=request.user)
    messages.success(request, requested_text(created))
    return tenant_redirect("fourrs_result", item.pk)


def _own_result(request: TenantRequest, result_id: int) -> FourRsResult:
    item = FourRsResult.objects.filter(pk=result_id, respondent=request.user).select_related("round", "account").first()
    if item is None:
        raise Http404
    return item


@tenant_view("fourrs.view")
@require_safe
def fourrs_round(request: TenantRequest, round_id: int) -> HttpResponse:
    """A round's rollup (averages only), who answered (admins), inviting and closing, and a comparison with
    another round."""
    return _round_page(request, _round(round_id))


def _round(round_id: int) -> FourRsRound:
    round = FourRsRound.objects.filter(pk=round_id).select_related("account").first()
    if round is None:
        raise Http404
    return round


def _round_page(request: TenantRequest, round: FourRsRound, invite_form: RoundInviteForm | None = None) -> HttpResponse:
    context = reports.round_context(round)
    others = list(FourRsRound.objects.exclude(pk=round.pk).order_by("-opens_on"))
    compare_id = _int(request.GET.get("compare", ""))
    comparison = None
    if compare_id:
        other = next((o for o in others if o.pk == compare_id), None)
        if other is None:
            raise Http404
        first, second = sorted([other, round], key=lambda r: (r.opens_on, r.pk))
        delta = fourrs.compare(fourrs_selectors.round_rollup(first), fourrs_selectors.round_rollup(second))
        comparison = {"before": first, "after": second, "delta": delta}

    can_run = can(request, "fourrs.run")
    people = fourrs_selectors.round_people(round) if can_run else []
    context.update(
        {
            "others": others,
            "comparison": comparison,
            "compare_id": compare_id,
            "can_run": can_run,
            "people": people,
            "invite_form": invite_form or RoundInviteForm(invited={p["user"].pk for p in people}),
            "open": round.is_open(),
            "documents": list(documents_of(round, reports.ROUND)[:10]),
            "can_request": can(request, "report.request"),
            "active_nav": "assessments",
            "mine": FourRsResult.objects.filter(round=round, respondent=request.user).first(),
            "is_invited": FourRsInvitation.objects.filter(round=round, user=request.user).exists(),
        }
    )
    return render(request, "assessments/fourrs_round.html", context, status=400 if invite_form else 200)


@tenant_view("report.request")
@require_POST
def fourrs_round_pdf(request: TenantRequest, round_id: int) -> HttpResponse:
    round = _round(round_id)
    _, created = document_request(kind=reports.ROUND, subject=round, params={}, acting_user=request.user)
    messages.success(request, requested_text(created))
    return tenant_redirect("fourrs_round", round.pk)


@tenant_view("fourrs.run")
@require_POST
def fourrs_round_invite(request: TenantRequest, round_id: int) -> HttpResponse:
    round = _round(round_id)
    invited = set(FourRsInvitation.objects.filter(round=round).values_list("user_id", flat=True))
    form = RoundInviteForm(request.POST, invited=invited)
    if form.is_valid():
        try:
            n = fourrs_services.fourrs_round_invite(
                round=round, user_ids=form.cleaned_data["users"], acting_user=request.user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{n} invited by email." if n else "They were invited already.")
            return tenant_redirect("fourrs_round", round.pk)
    return _round_page(request, round, form)


@tenant_view("fourrs.run")
@require_POST
def fourrs_round_close(request: TenantRequest, round_id: int) -> HttpResponse:
    round = _round(round_id)
    fourrs_services.fourrs_round_close(round=round)
    messages.success(request, "The round is closed: no more answers.")
    return tenant_redirect("fourrs_round", round.pk)


@tenant_view("fourrs.run")
@require_http_methods(["POST"])
def fourrs_round_new(request: TenantRequest) -> HttpResponse:
    form = FourRsRoundForm(request.POST)
    if form.is_valid():
        try:
            round = fourrs_services.fourrs_round_create(data=form.cleaned_data, acting_user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Round opened: invite the people who should answer.")
            return tenant_redirect("fourrs_round", round.pk)
    labels = {name: field.label for name, field in form.fields.items()}
    problems = [f"{labels[name]}: {e}" if name in labels else str(e) for name, es in form.errors.items() for e in es]
    messages.error(request, "The round was not opened. " + " ".join(problems))
    return tenant_redirect("fourrs_home")


@tenant_view("fourrs.view")
def fourrs_organisation(request: TenantRequest) -> HttpResponse:
    """The organisation's (or one account team's) 4 R's over time: everyone's latest answers of the year before
    a day, averaged; two days compared; the last two years quarter by quarter."""

    today = timezone.localdate()
    form = RollupForm(request.GET)
    form.is_valid()
    errors = ["Give the days as YYYY-MM-DD."] if form.dates_invalid() else []
    on, before = form.days(today)
    account = None
    account_id = form.cleaned_data.get("account")
    if account_id:
        account = Account.objects.alive().filter(pk=account_id).first()
        if account is None:
            raise Http404
    scope = Scope.ACCOUNT_TEAM if account is not None else Scope.ORGANISATION
    result = fourrs_selectors.rollup_as_of(on, scope=scope, account=account)
    earlier = fourrs_selectors.rollup_as_of(before, scope=scope, account=account)
    points = []
    for n in range(7, -1, -1):
        day = today - timedelta(days=91 * n)
        total = fourrs_selectors.rollup_as_of(day, scope=scope, account=account)["total"]
        points.append((f"{day:%b %y}", total))
    context = {
        "result": result,
        "charts": [] if result["hidden"] else reports.charts(result, "average"),
        "on": on,
        "before": before,
        "errors": errors,
        "account": account,
        "accounts": list(Account.objects.alive().order_by("name")),
        "comparison": fourrs.compare(earlier, result),
        "earlier": earlier,
        "history": line_chart(
            "Average total out of 75, quarter by quarter",
            points,
            top=75,
            bottom=15,
            reference=("excellent from 60", 60),
        ),
        "min_group": fourrs_selectors.min_group(),
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_organisation.html", context, status=400 if errors else 200)
