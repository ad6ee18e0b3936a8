"""Assessment pages (list, new, one assessment in tabs, program settings) and the 4 R's pages (take it, one
result, rounds with their rollup and comparison)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Account, Contact, Contract
from assessments import calc, fourrs, reports, selectors, selfassess, services
from assessments.forms import RollupForm
from assessments.models import (
    Assessment,
    AssessmentSettings,
    Finding,
    Interview,
    JourneyStep,
    Payback,
    Recommendation,
    RoundInvitation,
    Scope,
    SelfAssessment,
    SelfAssessmentRound,
    TeamMember,
)
from sam.charts import line_chart
from sam.documents.services import document_request, documents_of, requested_text
from sam.http import TenantRequest
from sam.permissions import can, require, tenant_view
from sam.selectors import member_choices
from sam.tenancy.urls import tenant_redirect

TABS = (
    ("overview", "Overview"),
    ("interviews", "Interviews"),
    ("journey", "Journey map and findings"),
    ("recommendations", "Recommendations"),
)


def _int(raw: Any) -> int:
    return calc.whole(raw) or 0


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
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            assessment = services.assessment_create(
                account=account,
                acting_user=request.user,
                data={
                    "title": request.POST.get("title", "")[:400],
                    "contract": request.POST.get("contract", ""),
                    "summary": request.POST.get("summary", "")[:30000],
                },
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, "Assessment started. The account team is on it; invite experts from elsewhere.")
            return tenant_redirect("assessment_detail", assessment.pk)
    contracts = list(Contract.objects.filter(account=account).order_by("-end"))
    chosen = request.POST.get("contract") if request.method == "POST" else request.GET.get("contract", "")
    current = selectors.current_contract(account)
    context = {
        "account": account,
        "contracts": contracts,
        "chosen": _int(chosen) or (current.pk if current else 0),
        "mid": selectors.midpoint(current),
        "errors": errors,
        "posted": request.POST if errors else None,
        "default_title": f"Mid-contract assessment {timezone.localdate():%b %Y}",
        "active_nav": "assessments",
    }
    return render(request, "assessments/new.html", context, status=400 if errors else 200)


def _assessment(assessment_id: int) -> Assessment:
    found = (
        Assessment.objects.filter(pk=assessment_id, account__deleted_at__isnull=True)
        .select_related("account", "account__owner", "contract")
        .first()
    )
    if found is None:
        raise Http404
    return found


class _Deleted(Exception):
    """The assessment is gone: go back to the list."""


def _can_edit(request: TenantRequest, assessment: Assessment) -> bool:
    """The account's team (and admins), or someone on this assessment's team with a working role."""
    if can(request, "account.edit_team_work", assessment.account):
        return True
    on_team = TeamMember.objects.filter(assessment=assessment, user=request.user).exists()
    return on_team and can(request, "report.request")  # every role but viewers


@tenant_view("account.view")
@require_http_methods(["GET", "POST"])
def assessment_detail(request: TenantRequest, assessment_id: int) -> HttpResponse:
    assessment = _assessment(assessment_id)
    tab = request.GET.get("tab", "overview")
    if tab not in dict(TABS):
        tab = "overview"
    can_edit = _can_edit(request, assessment)
    can_decide = can(request, "account.edit_team_work", assessment.account)
    failed = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "report":
            require(request, "report.request")
        elif not can_edit:
            require(request, "account.edit_team_work", assessment.account)
        try:
            done, tab = _act(request, assessment, tab, can_decide)
        except _Deleted:
            messages.success(request, "Assessment deleted.")
            return tenant_redirect("assessment_list")
        except ValidationError as exc:
            failed = action or "unknown"
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, done)
            return redirect(f"{request.path}?tab={tab}")
    assessment.refresh_from_db()
    context: dict[str, Any] = {
        "assessment": assessment,
        "account": assessment.account,
        "tab": tab,
        "tabs": TABS,
        "can_edit": can_edit and assessment.status in services.EDITABLE,
        "can_decide": can_decide,
        "next_statuses": [(s, Assessment.Status(s).label) for s in services.TRANSITIONS[assessment.status]],
        "flow": Assessment.Status.choices,
        "mid": selectors.midpoint(assessment.contract),
        "active_nav": "assessments",
    }
    context.update(_tab_context(request, assessment, tab))
    if failed:  # the form that failed comes back as it was typed
        context.update(_drafts(request.POST, failed))
    return render(request, "assessments/detail.html", context, status=400 if failed else 200)


# A table: one row per line reads better than one field per line.
# fmt: off
FIELD_LABELS = {
    "title": "Title", "summary": "Summary", "start": "Start", "end": "End", "cost_hours": "Cost in hours",
    "cost_money": "Cost in money", "priority": "Priority", "finding": "Finding", "paybacks": "Payback",
    "steps": "Steps", "obstacles": "Obstacles", "name": "Step", "touchpoint": "Touchpoint", "rating": "Rating",
    "kind": "Kind", "text": "Finding", "contact": "Contact", "held_on": "Held on", "interviewer": "Interviewer",
    "notes": "Notes", "user": "Colleague", "expertise": "Expertise",
}
# fmt: on


def _error_text(exc: ValidationError) -> str:
    """Each message with the field it is about ("End: the end cannot be before the start.")."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for field, errors in exc.message_dict.items():
        label = FIELD_LABELS.get(field, "")
        parts += [f"{label}: {m[0].lower()}{m[1:]}" if label else m for m in errors]
    return " ".join(parts)


def _drafts(post: Any, action: str) -> dict[str, Any]:
    """What was typed into the add form that failed, to show it again."""

    found: dict[str, Any] = {"failed": action, "draft": post}
    if action == "rec_add":
        found["draft_rec"] = SimpleNamespace(
            **{k: post.get(k, "") for k in ("title", "steps", "obstacles", "start", "end", "cost_hours", "cost_money")},
            priority=calc.whole(post.get("priority")) or 2,
            finding_id=calc.whole(post.get("finding")),
        )
        grid = _grid(None)
        for row in grid:
            for cell in row["cells"]:
                amount = post.get(f"pb-{row['who']}-{cell['what']}", "")
                known = post.get(f"pbk-{row['who']}-{cell['what']}") == "1"
                note = post.get(f"pbn-{row['who']}-{cell['what']}", "")
                if amount or known or note:
                    cell["payback"] = SimpleNamespace(amount=amount or None, note=note)
        found["draft_grid"] = grid
    if action == "step_add":
        found["draft_step"] = SimpleNamespace(
            name=post.get("name", ""),
            touchpoint=post.get("touchpoint", ""),
            rating=post.get("rating", ""),
            moment_of_truth=post.get("moment_of_truth") == "1",
        )
    if action == "finding_add":
        found["draft_steps"] = {calc.whole(v) for v in post.getlist("steps")}
    return found


def _tab_context(request: TenantRequest, assessment: Assessment, tab: str) -> dict[str, Any]:
    """What each tab shows: a fixed number of queries however much the assessment holds."""
    if tab == "overview":
        return {
            "team": list(TeamMember.objects.filter(assessment=assessment).select_related("user")),
            "rotation": selectors.expert_rotation(assessment.account, assessment),
            "counts": {
                "interviews": Interview.objects.filter(assessment=assessment).count(),
                "steps": JourneyStep.objects.filter(assessment=assessment).count(),
                "findings": Finding.objects.filter(assessment=assessment).count(),
                "recommendations": Recommendation.objects.filter(assessment=assessment).count(),
            },
            "documents": list(documents_of(assessment, reports.REPORT)[:10]),
            "can_request": can(request, "report.request"),
        }
    if tab == "interviews":
        interviews = list(Interview.objects.filter(assessment=assessment).select_related("contact", "interviewer"))
        taken = {i.contact_id for i in interviews}

        return {
            "interviews": [{"interview": i, "topics": _topics(i)} for i in interviews],
            "topics": services.TOPICS,
            "contacts": [
                c for c in Contact.objects.filter(account=assessment.account).order_by("name") if c.pk not in taken
            ],
            "members": list(member_choices()),
            "today": timezone.localdate(),
        }
    if tab == "journey":
        steps = list(JourneyStep.objects.filter(assessment=assessment).prefetch_related("findings"))
        findings = list(Finding.objects.filter(assessment=assessment).prefetch_related("steps"))
        return {
            "steps": steps,
            "groups": [
                {"kind": k, "label": Finding.PLURALS[k], "findings": [f for f in findings if f.kind == k]}
                for k in Finding.Kind.values
            ],
            "kinds": Finding.Kind.choices,
        }
    paybacks = Prefetch("paybacks", queryset=Payback.objects.order_by("beneficiary", "category"))
    recs = list(
        Recommendation.objects.filter(assessment=assessment).select_related("finding").prefetch_related(paybacks)
    )
    return {
        "recs": recs,
        "grids": {r.pk: _grid(r) for r in recs},
        "blank_grid": _grid(None),
        "totals": selectors.totals(assessment, recs),
        "findings": list(Finding.objects.filter(assessment=assessment)),
        "priorities": Recommendation.Priority.choices,
        "beneficiaries": Payback.Beneficiary.choices,
        "categories": Payback.Category.choices,
        "progress": selectors.plan_progress(assessment.account, assessment)
        if assessment.status == "action_plan"
        else [],
        "timeline": reports.timeline(recs),
    }


def _grid(rec: Recommendation | None) -> list[dict[str, Any]]:
    """The payback form: a row per beneficiary, a cell per category with the amount and note known so far."""
    known = {(p.beneficiary, p.category): p for p in rec.paybacks.all()} if rec is not None else {}
    return [
        {
            "who": who,
            "label": label,
            "cells": [
                {"what": what, "label": what_label, "payback": known.get((who, what))}
                for what, what_label in Payback.Category.choices
            ],
        }
        for who, label in Payback.Beneficiary.choices
    ]


def _topics(interview: Interview) -> list[dict[str, str]]:
    return [
        {"key": k, "label": label, "guide": guide, "text": interview.notes.get(k, "")}
        for k, label, guide in services.TOPICS
    ]


def _paybacks_from(post: Any) -> list[dict[str, Any]]:
    """The payback grid of the form: one amount (and note) per beneficiary and category; blank rows left out."""
    found = []
    for who, _ in Payback.Beneficiary.choices:
        for what, _ in Payback.Category.choices:
            amount = post.get(f"pb-{who}-{what}", "").strip()[:30]
            note = post.get(f"pbn-{who}-{what}", "").strip()[:400]
            known = post.get(f"pbk-{who}-{what}") == "1"
            if amount or note or known:
                found.append({"beneficiary": who, "category": what, "amount": amount or None, "note": note})
    return found


def _act(request: TenantRequest, assessment: Assessment, tab: str, can_decide: bool) -> tuple[str, str]:
    post = request.POST
    action = post.get("action", "")

    def get(model: Any) -> Any:
        found = model.objects.filter(assessment=assessment, pk=_int(post.get("id", ""))).first()
        if found is None:
            raise Http404
        return found

    def decide() -> None:
        if not can_decide:
            require(request, "account.edit_team_work", assessment.account)

    if action == "status":
        decide()
        services.transition(assessment=assessment, to=post.get("status", ""), acting_user=request.user)
        return f"Moved on: {assessment.get_status_display().lower()}.", tab
    if action == "delete":
        decide()
        services.assessment_delete(assessment=assessment, acting_user=request.user)
        raise _Deleted
    if action == "summary":
        data: dict[str, Any] = {"title": post.get("title", "")[:400], "summary": post.get("summary", "")[:30000]}
        services.assessment_update(assessment=assessment, data=data)
        return "Saved.", "overview"
    if action == "expert":
        services.expert_add(
            assessment=assessment,
            user_id=post.get("user", ""),
            expertise=post.get("expertise", "")[:200],
            acting_user=request.user,
        )
        return "Expert added to the team and told by email.", "overview"
    if action == "team_remove":
        services.team_remove(assessment=assessment, member=get(TeamMember))
        return "Removed from the team.", "overview"
    if action == "report":
        require(request, "report.request")
        _, created = document_request(kind=reports.REPORT, subject=assessment, params={}, acting_user=request.user)
        return requested_text(created), "overview"
    if action in ("interview_add", "interview_edit"):
        notes: dict[str, Any] = {
            key: post.get(f"topic-{key}", "")[: services.NOTE_MAX + 1]
            for key in services.TOPIC_KEYS
            if f"topic-{key}" in post
        }
        data = {
            "contact": post.get("contact", ""),
            "held_on": post.get("held_on", ""),
            "interviewer": post.get("interviewer", ""),
            "notes": notes,
        }
        interview = get(Interview) if action == "interview_edit" else None
        services.interview_save(assessment=assessment, data=data, interview=interview)
        return "Interview notes saved.", "interviews"
    if action == "interview_delete":
        services.interview_delete(assessment=assessment, interview=get(Interview))
        return "Interview removed.", "interviews"
    if action in ("step_add", "step_edit"):
        services.step_save(
            assessment=assessment,
            data={k: post.get(k, "")[:400] for k in ("name", "touchpoint", "rating", "moment_of_truth")},
            step=get(JourneyStep) if action == "step_edit" else None,
        )
        return "Journey map saved.", "journey"
    if action in ("step_up", "step_down"):
        services.step_move(assessment=assessment, step=get(JourneyStep), up=action == "step_up")
        return "Journey map reordered.", "journey"
    if action == "step_delete":
        services.step_delete(assessment=assessment, step=get(JourneyStep))
        return "Step removed.", "journey"
    if action in ("finding_add", "finding_edit"):
        services.finding_save(
            assessment=assessment,
            data={
                "kind": post.get("kind", ""),
                "text": post.get("text", "")[:6000],
                "steps": post.getlist("steps")[:200],
            },
            finding=get(Finding) if action == "finding_edit" else None,
        )
        return "Finding saved.", "journey"
    if action == "finding_delete":
        services.finding_delete(assessment=assessment, finding=get(Finding))
        return "Finding removed.", "journey"
    if action in ("rec_add", "rec_edit"):
        data = {
            k: post.get(k, "")[:6000]
            for k in ("title", "steps", "obstacles", "start", "end", "cost_hours", "cost_money", "priority", "finding")
        }
        data["paybacks"] = _paybacks_from(post)
        services.recommendation_save(
            assessment=assessment, data=data, recommendation=get(Recommendation) if action == "rec_edit" else None
        )
        return "Recommendation saved.", "recommendations"
    if action == "rec_delete":
        services.recommendation_delete(assessment=assessment, recommendation=get(Recommendation))
        return "Recommendation removed.", "recommendations"
    if action == "rec_accept":
        decide()
        items = services.recommendation_accept(recommendation=get(Recommendation), acting_user=request.user)
        return (
            f"Accepted: {len(items)} action{'s' if len(items) != 1 else ''} in {assessment.account.name}'s "
            "register, due along its timeline."
        ), "recommendations"
    if action == "rec_decline":
        decide()
        services.recommendation_decline(recommendation=get(Recommendation), acting_user=request.user)
        return "Declined.", "recommendations"
    raise ValidationError("Unknown action.")


@tenant_view("tenant.manage_settings")
@require_http_methods(["GET", "POST"])
def program(request: TenantRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.settings_set(
                data={
                    k: request.POST.get(k, "")[:40]
                    for k in ("window_start_pct", "window_end_pct", "hourly_rate", "currency")
                }
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, "Assessment settings saved.")
            return tenant_redirect("assessment_program")
    context = {
        "config": AssessmentSettings.current(),
        "errors": errors,
        "posted": request.POST if errors else None,
        "active_nav": "admin",
    }
    return render(request, "assessments/program.html", context, status=400 if errors else 200)


def account_tab_context(request: TenantRequest, account: Account) -> dict[str, Any]:
    """The account's assessments, where its contract stands, and the actions its action plans created."""
    return {
        "assessments": list(Assessment.objects.filter(account=account).order_by("-started_on", "-pk")),
        "mid": selectors.midpoint(selectors.current_contract(account)),
        "progress": selectors.plan_progress(account),
        "can_start": can(request, "account.edit_team_work", account),
    }


# --- the 4 R's ------------------------------------------------------------------------------------------


@tenant_view("account.view")
def fourrs_home(request: TenantRequest) -> HttpResponse:
    """My results over time, rounds waiting for my answer, and every round's rollup (with who ran it)."""
    mine = list(SelfAssessment.objects.filter(respondent=request.user).select_related("round", "account"))
    answered = {m.round_id for m in mine if m.round_id}
    invited = set(RoundInvitation.objects.filter(user=request.user).values_list("round_id", flat=True))
    rounds = list(
        SelfAssessmentRound.objects.select_related("account")
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
        "rounds": rounds if can(request, "selfassessment.view") else [],
        "can_take": can(request, "selfassessment.take"),
        "can_run": can(request, "selfassessment.run"),
        "accounts": list(Account.objects.alive().order_by("name")) if can(request, "selfassessment.run") else [],
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_home.html", context)


@tenant_view("selfassessment.take")
@require_http_methods(["GET", "POST"])
def fourrs_take(request: TenantRequest) -> HttpResponse:
    """The 15 statements, each rated 1 to 5; in a round when ``?round=`` is given, else on one's own."""
    round_id = _int(request.GET.get("round", "") or request.POST.get("round", ""))
    round = None
    if round_id:
        round = SelfAssessmentRound.objects.filter(pk=round_id).select_related("account").first()
        if round is None:
            raise Http404
    errors: dict[str, Any] = {}
    if request.method == "POST":
        answers = {key: request.POST.get(key, "")[:4] for key in fourrs.KEYS}
        try:
            if round is None and request.POST.get("scope") != Scope.ACCOUNT_TEAM and request.POST.get("account"):
                raise ValidationError(
                    {
                        "account": "To answer about an account's team, choose “One account team”; "
                        "about the organisation, leave the account empty."
                    }
                )
            item = selfassess.submit(
                respondent=request.user,
                answers=answers,
                round=round,
                scope=request.POST.get("scope", Scope.ORGANISATION)[:20],
                account=request.POST.get("account", "")[:12] or None,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, f"Thank you: {item.total} of 75, {fourrs.band_info(item.band)['label'].lower()}.")
            return tenant_redirect("fourrs_result", item.pk)
    already = None
    if round is not None:
        already = SelfAssessment.objects.filter(round=round, respondent=request.user).first()
    context = {
        "round": round,
        "already": already,
        "invited": round is None or RoundInvitation.objects.filter(round=round, user=request.user).exists(),
        "groups": [{"r": r, "statements": [s for s in fourrs.STATEMENTS if s.r == r.key]} for r in fourrs.RS],
        "errors": errors,
        "missing": [s for s in fourrs.STATEMENTS if s.key in errors],
        "general": [m for key in ("__all__", "scope", "account") for m in errors.get(key, [])],
        "posted": request.POST if errors else {},
        "scale": [(1, "Strongly disagree"), (2, "Disagree"), (3, "Neither"), (4, "Agree"), (5, "Strongly agree")],
        "accounts": list(Account.objects.alive().order_by("name")),
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_take.html", context, status=400 if errors else 200)


@tenant_view("selfassessment.take")
@require_http_methods(["GET", "POST"])
def fourrs_result(request: TenantRequest, selfassessment_id: int) -> HttpResponse:
    """One's own result (nobody else's: another person's id is not found)."""
    item = (
        SelfAssessment.objects.filter(pk=selfassessment_id, respondent=request.user)
        .select_related("round", "account")
        .first()
    )
    if item is None:
        raise Http404
    if request.method == "POST":
        require(request, "report.request")
        _, created = document_request(kind=reports.RESULT, subject=item, params={}, acting_user=request.user)
        messages.success(request, requested_text(created))
        return tenant_redirect("fourrs_result", item.pk)

    context = {
        **reports.result_context(item),
        "documents": list(documents_of(item, reports.RESULT)[:10]),
        "can_request": can(request, "report.request"),
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_result.html", context)


@tenant_view("selfassessment.view")
@require_http_methods(["GET", "POST"])
def fourrs_round(request: TenantRequest, round_id: int) -> HttpResponse:
    """A round's rollup (averages only), who answered (admins), inviting and closing, and a comparison with
    another round."""
    round = SelfAssessmentRound.objects.filter(pk=round_id).select_related("account").first()
    if round is None:
        raise Http404
    can_run = can(request, "selfassessment.run")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "pdf":
                require(request, "report.request")
                _, created = document_request(kind=reports.ROUND, subject=round, params={}, acting_user=request.user)
                messages.success(request, requested_text(created))
            else:
                require(request, "selfassessment.run")
                if action == "invite":
                    n = selfassess.round_invite(
                        round=round, user_ids=request.POST.getlist("users")[:500], acting_user=request.user
                    )
                    messages.success(request, f"{n} invited by email." if n else "They were invited already.")
                elif action == "close":
                    selfassess.round_close(round=round)
                    messages.success(request, "The round is closed: no more answers.")
                else:
                    raise ValidationError("Unknown action.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return tenant_redirect("fourrs_round", round.pk)
        return tenant_redirect("fourrs_round", round.pk)
    context = reports.round_context(round)
    others = list(SelfAssessmentRound.objects.exclude(pk=round.pk).order_by("-opens_on"))
    compare_id = _int(request.GET.get("compare", ""))
    comparison = None
    if compare_id:
        other = next((o for o in others if o.pk == compare_id), None)
        if other is None:
            raise Http404
        first, second = sorted([other, round], key=lambda r: (r.opens_on, r.pk))
        delta = fourrs.compare(selfassess.round_rollup(first), selfassess.round_rollup(second))
        comparison = {"before": first, "after": second, "delta": delta}

    people = selfassess.round_people(round) if can_run else []
    invited = {p["user"].pk for p in people}
    context.update(
        {
            "others": others,
            "comparison": comparison,
            "compare_id": compare_id,
            "can_run": can_run,
            "people": people,
            "members": [u for u in selfassess.respondents() if u.pk not in invited] if can_run else [],
            "open": round.is_open(),
            "documents": list(documents_of(round, reports.ROUND)[:10]),
            "can_request": can(request, "report.request"),
            "active_nav": "assessments",
            "mine": SelfAssessment.objects.filter(round=round, respondent=request.user).first(),
            "is_invited": RoundInvitation.objects.filter(round=round, user=request.user).exists(),
        }
    )
    return render(request, "assessments/fourrs_round.html", context)


@tenant_view("selfassessment.run")
@require_http_methods(["POST"])
def fourrs_round_new(request: TenantRequest) -> HttpResponse:
    try:
        round = selfassess.round_create(
            data={
                "title": request.POST.get("title", "")[:400],
                "scope": request.POST.get("scope", "")[:20],
                "account": request.POST.get("account", "")[:12] or None,
                "closes_on": request.POST.get("closes_on", "")[:20],
            },
            acting_user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return tenant_redirect("fourrs_home")
    messages.success(request, "Round opened: invite the people who should answer.")
    return tenant_redirect("fourrs_round", round.pk)


@tenant_view("selfassessment.view")
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
    result = selfassess.rollup_as_of(on, scope=scope, account=account)
    earlier = selfassess.rollup_as_of(before, scope=scope, account=account)
    points = []
    for n in range(7, -1, -1):
        day = today - timedelta(days=91 * n)
        total = selfassess.rollup_as_of(day, scope=scope, account=account)["total"]
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
        "min_group": selfassess.MIN_GROUP,
        "active_nav": "assessments",
    }
    return render(request, "assessments/fourrs_organisation.html", context, status=400 if errors else 200)
