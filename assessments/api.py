"""Assessments API: assessments (with their workflow, the customer's confirmation and the yearly progress report),
interviews (a contact of the customer or a colleague of our team), journey steps, findings, recommendations (with
each side's payback and acceptance); 4 R's rounds with their rollup and one's own results (read).

Every write goes through the same services as the pages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ActionItemSerializer
from accounts.models import Account, Contact, Contract
from assessments import calc, fourrs_selectors, selectors, services
from assessments.models import (
    Assessment,
    AssessmentSettings,
    Finding,
    FourRsResult,
    FourRsRound,
    Interview,
    JourneyStep,
    Payback,
    Recommendation,
    TeamMember,
)
from sam.api.toolkit import AccountChildViewSet, MemberField, ReadOnlyTenantViewSet, ScopedRelatedField
from sam.models import Document
from sam.tenancy.urls import tenant_reverse


class TeamMemberSerializer(serializers.ModelSerializer[TeamMember]):
    class Meta:
        model = TeamMember
        fields = ["user", "kind", "expertise"]


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    account = ScopedRelatedField(Account)
    contract = ScopedRelatedField(Contract, required=False, allow_null=True)
    team = TeamMemberSerializer(many=True, read_only=True)
    midpoint = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    confirmed_by = serializers.PrimaryKeyRelatedField(read_only=True)
    # A method, not a field with a default: DRF leaves a defaulted field out of a PATCH's answer.
    confirmed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "account",
            "contract",
            "title",
            "summary",
            "status",
            "started_on",
            "shared_on",
            "confirmed_by",
            "confirmed_by_name",
            "confirmed_on",
            "team",
            "hourly_rate",
            "currency",
            "midpoint",
            "totals",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "started_on",
            "shared_on",
            "confirmed_on",
            "hourly_rate",
            "currency",
            "created_at",
            "updated_at",
        ]

    def get_midpoint(self, obj: Assessment) -> dict[str, Any]:
        if "assessment_settings" not in self.context:  # once per response, not per row
            self.context["assessment_settings"] = AssessmentSettings.current()
        info = selectors.contract_midpoint(obj.contract, config=self.context["assessment_settings"])
        return {
            "known": info["known"],
            "text": info["text"],
            "date": info.get("midpoint"),
            "progress": info.get("progress"),
        }

    def get_confirmed_by_name(self, obj: Assessment) -> str | None:
        return obj.confirmed_by.name if obj.confirmed_by is not None else None

    def get_totals(self, obj: Assessment) -> dict[str, Any]:
        return _figures(selectors.assessment_totals(obj, list(obj.recommendations.all()))["all"])


def _figures(f: calc.Figures) -> dict[str, Any]:
    """Amounts as decimal strings (like every money field of the API), with the sums that made them: our cost,
    then each side's payback of it on its own (the two benefits are never added together)."""

    def text(value: Any) -> str | None:
        return None if value is None else f"{value:.2f}" if isinstance(value, Decimal) else str(value)

    def side(p: calc.Payback) -> dict[str, Any]:
        return {
            "yearly_benefit": text(p.yearly),
            "amounts_not_known": p.unknown,
            "payback_months": None if p.months is None else str(p.months),
            "verdict": p.verdict,
            "arithmetic": p.text,
        }

    return {
        "cost_hours": text(f.cost_hours),
        "cost_money": text(f.cost_money),
        "cost_total": text(f.cost_total),
        "cost_arithmetic": f.cost_text,
        "unknown_amounts": f.unknown_amounts,
        "payback": {"customer": side(f.customer), "us": side(f.us)},
    }


def _document(document: Document, created: bool) -> dict[str, Any]:
    return {
        "id": document.pk,
        "kind": document.kind,
        "version": document.version,
        "status": document.status,
        "title": document.title,
        "params": document.params,
        "queued_now": created,
        "status_url": tenant_reverse("document_status", document.pk),
        "download_url": tenant_reverse("document_download", document.pk),
    }


class AssessmentViewSet(AccountChildViewSet):
    """Mid-contract assessments. POST .../transition/ {"status"} moves the workflow: draft -> in_review ->
    shared -> action_plan (in_review may go back to draft); sharing may send "confirmed_by" (a contact of the
    account) and "confirmed_on" (YYYY-MM-DD). POST .../confirmation/ {"confirmed_by", "confirmed_on"} records or
    corrects them afterwards. POST .../progress-report/ {"year"?} renders the yearly progress report of the action
    plan (the year running today unless a finished one is named)."""

    serializer_class = AssessmentSerializer
    queryset = Assessment.unscoped.none()
    write_action = "account.edit_team_work"
    select = ("account", "contract", "confirmed_by")
    http_method_names = ["get", "post", "patch", "head", "options"]
    filters = {"account": ("account", "id"), "status": ("status", "choice")}

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("team", "recommendations__paybacks")

    def create_object(self, data: dict[str, Any]) -> Any:
        return services.assessment_create(account=data["account"], data=data, acting_user=self.request.user)

    def update_object(self, instance: Assessment, data: dict[str, Any]) -> Any:
        if "contract" in data:
            raise exceptions.ValidationError({"contract": ["The contract of an assessment does not change."]})
        return services.assessment_update(assessment=instance, data=data)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"status": "in_review" | "draft" | "shared" | "action_plan"}"""
        assessment = self.get_object()
        self.require(assessment.account)
        given = {k: request.data.get(k) for k in ("confirmed_by", "confirmed_on") if k in request.data}
        self.run(
            lambda: services.assessment_transition(
                assessment=assessment,
                to=request.data.get("status", ""),
                acting_user=request.user,
                confirmation=given or None,
            )
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def confirmation(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"confirmed_by": contact id, "confirmed_on": "YYYY-MM-DD"}: who at the customer confirmed the
        recommendations, and when (once shared; not in the future, not before the assessment started)."""
        assessment = self.get_object()
        self.require(assessment.account)
        data = {k: request.data.get(k) for k in ("confirmed_by", "confirmed_on")}
        self.run(
            lambda: services.assessment_confirmation_record(assessment=assessment, data=data, acting_user=request.user)
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data)

    @extend_schema(request=None, responses={200: None, 202: None})
    @action(detail=True, methods=["post"], url_path="progress-report")
    def progress_report(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"year": n} (optional): the yearly progress report's PDF, queued (202) or already queued (200)."""
        assessment = get_object_or_404(self.get_queryset(), pk=pk)  # anyone who may ask for reports, not only the team
        document, created = self.run(
            lambda: services.progress_report_request(
                assessment=assessment, year=request.data.get("year"), acting_user=request.user
            )
        )
        return Response(_document(document, created), status=202 if created else 200)

    @property
    def action_map_permissions(self) -> dict[str, str]:
        return {
            **super().action_map_permissions,
            "transition": "account.view",
            "confirmation": "account.view",
            "progress_report": "report.request",
        }


class _InAssessment(AccountChildViewSet):
    """Rows of an assessment: written by the account's team while the assessment is a draft or in review."""

    account_path = "assessment__account"
    write_action = "account.edit_team_work"
    select: tuple[str, ...] = ("assessment", "assessment__account")
    filters = {"assessment": ("assessment", "id")}

    def account_of(self, obj: Any) -> Account:
        return obj.assessment.account

    def perform_create(self, serializer: Any) -> None:
        assessment = serializer.validated_data["assessment"]
        self.require(assessment.account)
        serializer.instance = self.run(lambda: self.save(assessment, serializer.validated_data, None))

    def perform_update(self, serializer: Any) -> None:
        new = serializer.validated_data.get("assessment")
        if new is not None and new.pk != serializer.instance.assessment_id:
            raise serializers.ValidationError({"assessment": "This stays on its assessment."})
        instance = serializer.instance
        serializer.instance = self.run(lambda: self.save(instance.assessment, serializer.validated_data, instance))

    def perform_destroy(self, instance: Any) -> None:
        self.run(lambda: self.remove(instance.assessment, instance))

    def save(self, assessment: Assessment, data: dict[str, Any], instance: Any) -> Any:
        raise NotImplementedError

    def remove(self, assessment: Assessment, instance: Any) -> None:
        raise NotImplementedError


class InterviewSerializer(serializers.ModelSerializer[Interview]):
    assessment = ScopedRelatedField(Assessment)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    colleague = MemberField(required=False, allow_null=True)
    interviewer = MemberField(required=False, allow_null=True)
    side = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = ["id", "assessment", "side", "contact", "colleague", "interviewer", "held_on", "notes"]

    def get_side(self, obj: Interview) -> str:
        """ "customer" (a contact told us) or "team" (a colleague of ours did)."""
        return "customer" if obj.contact_id is not None else "team"

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        contact, colleague = data.get("contact"), data.get("colleague")
        if self.instance is None or "contact" in data or "colleague" in data:
            if contact is not None and colleague is not None:
                raise serializers.ValidationError({"contact": [services.WHO_BOTH], "colleague": [services.WHO_BOTH]})
            if contact is None and colleague is None:
                raise serializers.ValidationError({"contact": [services.WHO_MISSING]})
        return data


class InterviewViewSet(_InAssessment):
    """Interviews: each with one contact of the customer or one colleague of the account's or the assessment's
    team (never both), once each per assessment, with notes per guide topic (``notes``: topic key -> text; on
    update the topics sent are merged in, an empty one removed). An update naming ``contact`` or ``colleague``
    names who it was with again (the other one is cleared)."""

    serializer_class = InterviewSerializer
    queryset = Interview.unscoped.none()
    select = ("assessment", "assessment__account", "contact", "colleague")

    def save(self, assessment: Assessment, data: dict[str, Any], instance: Any) -> Any:
        return services.interview_save(assessment=assessment, data=dict(data), interview=instance)

    def remove(self, assessment: Assessment, instance: Any) -> None:
        services.interview_delete(assessment=assessment, interview=instance)


class JourneyStepSerializer(serializers.ModelSerializer[JourneyStep]):
    assessment = ScopedRelatedField(Assessment)

    class Meta:
        model = JourneyStep
        fields = ["id", "assessment", "order", "name", "touchpoint", "moment_of_truth", "rating"]
        read_only_fields = ["order"]


class JourneyStepViewSet(_InAssessment):
    """The customer's journey, in order (new steps go last)."""

    serializer_class = JourneyStepSerializer
    queryset = JourneyStep.unscoped.none()

    def save(self, assessment: Assessment, data: dict[str, Any], instance: Any) -> Any:
        if instance is not None:
            data = {
                "name": instance.name,
                "touchpoint": instance.touchpoint,
                "rating": instance.rating,
                "moment_of_truth": instance.moment_of_truth,
                **data,
            }
        return services.step_save(assessment=assessment, data=data, step=instance)

    def remove(self, assessment: Assessment, instance: Any) -> None:
        services.step_delete(assessment=assessment, step=instance)


class FindingSerializer(serializers.ModelSerializer[Finding]):
    assessment = ScopedRelatedField(Assessment)
    steps = ScopedRelatedField(JourneyStep, many=True, required=False)

    class Meta:
        model = Finding
        fields = ["id", "assessment", "kind", "text", "steps", "created_at"]
        read_only_fields = ["created_at"]


class FindingViewSet(_InAssessment):
    """Strengths (S), opportunities (O) and weaknesses (W), each linked to journey steps of its assessment."""

    serializer_class = FindingSerializer
    queryset = Finding.unscoped.none()

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("steps")

    def save(self, assessment: Assessment, data: dict[str, Any], instance: Any) -> Any:
        if instance is not None:
            data = {
                "kind": instance.kind,
                "text": instance.text,
                "steps": list(instance.steps.values_list("pk", flat=True)),
                **data,
            }
        return services.finding_save(assessment=assessment, data=data, finding=instance)

    def remove(self, assessment: Assessment, instance: Any) -> None:
        services.finding_delete(assessment=assessment, finding=instance)


class PaybackSerializer(serializers.ModelSerializer[Payback]):
    class Meta:
        model = Payback
        fields = ["beneficiary", "category", "amount", "note"]


class RecommendationSerializer(serializers.ModelSerializer[Recommendation]):
    assessment = ScopedRelatedField(Assessment)
    finding = ScopedRelatedField(Finding, required=False, allow_null=True)
    paybacks = PaybackSerializer(many=True, required=False)
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "assessment",
            "finding",
            "title",
            "steps",
            "obstacles",
            "start",
            "end",
            "cost_hours",
            "cost_money",
            "priority",
            "paybacks",
            "status",
            "accepted_at",
            "figures",
        ]
        read_only_fields = ["status", "accepted_at"]
        extra_kwargs = {"cost_hours": {"min_value": 0}, "cost_money": {"min_value": 0}}

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        start = data.get("start", getattr(self.instance, "start", None))
        end = data.get("end", getattr(self.instance, "end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end": ["The end cannot be before the start."]})
        return data

    def get_figures(self, obj: Recommendation) -> dict[str, Any]:
        return _figures(calc.figures([obj], obj.assessment.hourly_rate, obj.assessment.currency))


class RecommendationViewSet(_InAssessment):
    """Costed recommendations. ``paybacks`` (when sent) replaces the list. POST .../accept/ puts its steps in the
    account's register (once); POST .../decline/ sets it aside."""

    serializer_class = RecommendationSerializer
    queryset = Recommendation.unscoped.none()

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("paybacks")  # the assessment comes with the row

    def save(self, assessment: Assessment, data: dict[str, Any], instance: Any) -> Any:
        data = dict(data)
        if "paybacks" in data:
            data["paybacks"] = [dict(p) for p in data["paybacks"]]
        return services.recommendation_save(assessment=assessment, data=data, recommendation=instance)

    def remove(self, assessment: Assessment, instance: Any) -> None:
        services.recommendation_delete(assessment=assessment, recommendation=instance)

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        rec = self.get_object()
        self.require(rec.assessment.account)
        items = self.run(lambda: services.recommendation_accept(recommendation=rec, acting_user=request.user))
        return Response({"actions": ActionItemSerializer(items, many=True, context=self.get_serializer_context()).data})

    @extend_schema(request=None, responses=RecommendationSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        rec = self.get_object()
        self.require(rec.assessment.account)
        self.run(lambda: services.recommendation_decline(recommendation=rec, acting_user=request.user))
        return Response(self.get_serializer(self.get_queryset().get(pk=rec.pk)).data)

    @property
    def action_map_permissions(self) -> dict[str, str]:
        return {**super().action_map_permissions, "accept": "account.view", "decline": "account.view"}


class RoundSerializer(serializers.ModelSerializer[FourRsRound]):
    is_open = serializers.SerializerMethodField()
    rollup = serializers.SerializerMethodField()

    class Meta:
        model = FourRsRound
        fields = ["id", "title", "scope", "account", "opens_on", "closes_on", "closed_at", "is_open", "rollup"]

    def get_is_open(self, obj: FourRsRound) -> bool:
        return obj.is_open()

    def get_rollup(self, obj: FourRsRound) -> dict[str, Any]:
        if "fourrs_least" not in self.context:  # the workspace's setting, read once for a whole list
            self.context["fourrs_least"] = fourrs_selectors.min_group()
        answers = [a.answers for a in obj.answers.all()]
        return _rollup(fourrs_selectors.round_rollup(obj, answers, self.context["fourrs_least"]))


def _rollup(result: dict[str, Any]) -> dict[str, Any]:
    if result["hidden"]:
        return {"respondents": result["respondents"], "hidden": True, "why": result["why"], "total": None}
    return {
        "hidden": False,
        "respondents": result["respondents"],
        "total": result["total"],
        "max_total": result["max_total"],
        "band": result["band"]["key"] if result["band"] else None,
        "per_r": {r["key"]: {"average": r["average"], "max": r["max"]} for r in result["rs"]},
        "per_statement": {i["key"]: i["average"] for i in result["items"]},
        "weakest": [
            {"statement": i["key"], "average": i["average"], "practice": i["statement"].practice}
            for i in result["weakest"]
        ],
    }


class RoundViewSet(ReadOnlyTenantViewSet):
    """4 R's rounds with their rollup: averages per statement and per R across respondents, never answers."""

    serializer_class = RoundSerializer
    queryset = FourRsRound.unscoped.none()
    required_action = "fourrs.view"

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("answers")


class FourRsResultSerializer(serializers.ModelSerializer[FourRsResult]):
    class Meta:
        model = FourRsResult
        fields = [
            "id",
            "round",
            "scope",
            "account",
            "answers",
            "resolution",
            "retention",
            "revenue",
            "relationships",
            "total",
            "band",
            "taken_at",
        ]


class FourRsResultViewSet(ReadOnlyTenantViewSet):
    """Your own 4 R's results (subtotals per R, total out of 75, band); nobody else's."""

    serializer_class = FourRsResultSerializer
    queryset = FourRsResult.unscoped.none()
    required_action = "fourrs.take"

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(respondent=self.request.user)


ROUTES = [
    ("assessments", AssessmentViewSet, "assessment"),
    ("interviews", InterviewViewSet, "interview"),
    ("journey-steps", JourneyStepViewSet, "journeystep"),
    ("findings", FindingViewSet, "finding"),
    ("recommendations", RecommendationViewSet, "recommendation"),
    ("four-rs-rounds", RoundViewSet, "fourrsround"),
    ("four-rs-results", FourRsResultViewSet, "fourrsresult"),
]
