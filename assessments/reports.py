"""Assessment documents through the documents pipeline: the assessment report, the yearly progress report of its
action plan, and the 4 R's results (a round's rollup for everyone who may see reports, one person's own result for
that person alone)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from assessments import fourrs, fourrs_selectors, selectors
from assessments.calc import plan_year_span
from assessments.models import (
    PROGRESS_YEAR_KIND,
    REPORT_KIND,
    TOPICS,
    Assessment,
    Finding,
    FourRsResult,
    Interview,
    JourneyStep,
    Recommendation,
)
from assessments.models import FourRsRound as Round
from sam.charts import Bar, Span, bar_chart, timeline_chart
from sam.documents import registry
from sam.permissions import can
from sam.tenancy.urls import tenant_reverse

REPORT, PROGRESS_YEAR, ROUND, RESULT = REPORT_KIND, PROGRESS_YEAR_KIND, "fourrs_round", "fourrs_result"


def report_context(assessment: Assessment, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Summary, team, who confirmed, interviews (the customer's view and ours, by guide topic), findings grouped
    S/O/W, journey map, recommendations with cost and each side's payback, and the action plan on a timeline."""
    assessment = Assessment.objects.select_related("account", "contract", "account__owner", "confirmed_by").get(
        pk=assessment.pk
    )
    interviews = list(
        Interview.objects.filter(assessment=assessment).select_related("contact", "colleague", "interviewer")
    )
    steps = list(JourneyStep.objects.filter(assessment=assessment).prefetch_related("findings"))
    findings = list(Finding.objects.filter(assessment=assessment).prefetch_related("steps"))
    recs = list(
        Recommendation.objects.filter(assessment=assessment).prefetch_related("paybacks").select_related("finding")
    )
    groups = [
        {"kind": kind, "label": Finding.PLURALS[kind], "findings": [f for f in findings if f.kind == kind]}
        for kind, label in Finding.Kind.choices
    ]
    planned = [r for r in recs if r.status != Recommendation.Status.DECLINED]
    return {
        "assessment": assessment,
        "account": assessment.account,
        "mid": selectors.contract_midpoint(assessment.contract),
        "team": list(assessment.team.select_related("user")),
        "interviews": [{"interview": i, "notes": _notes(i)} for i in interviews],
        "sides": selectors.interviews_by_topic(interviews),
        "steps": steps,
        "groups": groups,
        "recs": recs,
        "totals": selectors.assessment_totals(assessment, recs),
        "timeline": timeline(recs),
        "planned": planned,
        "progress": selectors.plan_progress(assessment.account, assessment),
    }


def timeline(recs: list[Recommendation]) -> Any:
    """The action plan on a calendar: accepted recommendations green, proposed ones grey (declined left out)."""

    planned = [r for r in recs if r.status != Recommendation.Status.DECLINED]
    if not planned:
        return None
    return timeline_chart(
        "Action plan timeline",
        [
            Span(
                r.title,
                r.start,
                r.end,
                r.get_status_display().lower(),
                "#2fb344" if r.status == Recommendation.Status.ACCEPTED else "#8a97ab",
            )
            for r in planned
        ],
        today=timezone.localdate(),
    )


def _notes(interview: Interview) -> list[dict[str, str]]:
    return [
        {"key": key, "label": label, "text": interview.notes[key]}
        for key, label, _ in TOPICS
        if interview.notes.get(key)
    ]


def progress_year_context(assessment: Assessment, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """A year of the action plan (``params``: year, and the day it runs through), as ``selectors.yearly_progress``
    reads it."""
    params = params or {}
    assessment = Assessment.objects.select_related("account", "account__owner", "confirmed_by").get(pk=assessment.pk)
    assert assessment.shared_on is not None  # requested for shared assessments only
    year = int(params.get("year") or 1)
    _, last = plan_year_span(assessment.shared_on, year)
    through = date.fromisoformat(str(params.get("through") or min(last, timezone.localdate()).isoformat()))
    return {
        **selectors.yearly_progress(assessment, year, through),
        "account": assessment.account,
    }


def _progress_title(assessment: Assessment, params: dict[str, Any]) -> str:
    return f"Action plan progress, year {params.get('year', 1)}: {assessment.account.name}, {assessment.title}"


def charts(result: dict[str, Any], who: str) -> list[Any]:
    """One bar chart per R: its statements' averages on the 1-5 scale."""

    found = []
    for r in result["rs"]:
        bars = [Bar(i["statement"].short, i["average"] or 0, colour=_tone(i["average"])) for i in r["items"]]
        total = f"{r['average']:g} of {r['max']}" if r["average"] is not None else "no answers"
        found.append({"r": r, "chart": bar_chart(f"{r['label']} ({total}), {who}", bars, top=5, width=640)})
    return found


def _tone(average: float | None) -> str:
    if average is None:
        return ""
    return "#2fb344" if average >= 4 else "#f59f00" if average >= 3 else "#d63939"


def round_context(round: Round, params: dict[str, Any] | None = None) -> dict[str, Any]:
    result = fourrs_selectors.round_rollup(round)
    people = fourrs_selectors.round_people(round)
    return {
        "round": round,
        "result": result,
        "charts": [] if result["hidden"] else charts(result, "average"),
        "invited": len(people),
        "answered": sum(1 for p in people if p["answered_at"]),
        "min_group": fourrs_selectors.min_group(),
    }


def result_context(item: FourRsResult, params: dict[str, Any] | None = None) -> dict[str, Any]:
    result = {**fourrs_selectors.result_of(item), "hidden": False}
    return {
        "item": item,
        "result": result,
        "charts": charts(result, "your ratings"),
        "band": fourrs.band_info(item.band),
    }


def register() -> None:
    registry.register(
        registry.DocumentKind(
            key=REPORT,
            label="Assessment report",
            subject_model=Assessment,
            template="assessments/report_print.html",
            context=report_context,
            title=lambda a, params: f"Assessment: {a.account.name}, {a.title}",
            page_url=lambda a, slug: tenant_reverse("assessment_detail", a.pk, slug=slug),
        )
    )
    registry.register(
        registry.DocumentKind(
            key=PROGRESS_YEAR,
            label="Action plan progress, yearly",
            subject_model=Assessment,
            template="assessments/progress_year_print.html",
            context=progress_year_context,
            title=_progress_title,
            page_url=lambda a, slug: tenant_reverse("assessment_detail", a.pk, slug=slug),
        )
    )
    registry.register(
        registry.DocumentKind(
            key=ROUND,
            label="4 R's round results",
            subject_model=Round,
            template="assessments/fourrs_round_print.html",
            context=round_context,
            title=lambda r, params: f"4 R's self-assessment: {r.title}",
            page_url=lambda r, slug: tenant_reverse("fourrs_round", r.pk, slug=slug),
            viewer=lambda request, r: can(request, "fourrs.view"),
        )
    )
    registry.register(
        registry.DocumentKind(
            key=RESULT,
            label="4 R's result",
            subject_model=FourRsResult,
            template="assessments/fourrs_result_print.html",
            context=result_context,
            title=lambda s, params: f"4 R's self-assessment of {s.taken_at:%d %b %Y}",
            page_url=lambda s, slug: tenant_reverse("fourrs_result", s.pk, slug=slug),
            viewer=lambda request, s: s.respondent_id == request.user.pk,
        )
    )
