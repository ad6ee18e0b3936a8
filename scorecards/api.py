"""Scorecards API: templates (read), periods (read), scorecards with computed health (read), values (write)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.response import Response

from accounts.models import Account
from sam.api.toolkit import ReadOnlyTenantViewSet, ScopedRelatedField, django_errors, document_filters
from sam.roles import allowed
from scorecards import services
from scorecards.imports import period_by_label
from scorecards.models import MetricDefinition, MetricValue, Period, Scorecard, ScorecardTemplate, TemplateVersion


class MetricDefinitionSerializer(serializers.ModelSerializer[MetricDefinition]):
    class Meta:
        model = MetricDefinition
        fields = [
            "id",
            "key",
            "area",
            "name",
            "description",
            "unit",
            "direction",
            "target",
            "amber",
            "red",
            "min_value",
            "max_value",
            "weight",
            "source",
            "visibility",
            "retired",
        ]
        read_only_fields = fields


class TemplateVersionSerializer(serializers.ModelSerializer[TemplateVersion]):
    metrics = MetricDefinitionSerializer(many=True, read_only=True)

    class Meta:
        model = TemplateVersion
        fields = ["id", "number", "area_weights", "in_use", "created_at", "metrics"]
        read_only_fields = fields


class TemplateSerializer(serializers.ModelSerializer[ScorecardTemplate]):
    versions = TemplateVersionSerializer(many=True, read_only=True)

    class Meta:
        model = ScorecardTemplate
        fields = ["id", "name", "is_default", "versions"]
        read_only_fields = fields


class PeriodSerializer(serializers.ModelSerializer[Period]):
    class Meta:
        model = Period
        fields = ["id", "label", "start", "end", "closed"]
        read_only_fields = fields


class ScorecardSerializer(serializers.ModelSerializer[Scorecard]):
    period = serializers.SlugRelatedField(slug_field="label", read_only=True)

    class Meta:
        model = Scorecard
        fields = ["id", "account", "period", "version", "health", "area_scores", "computed_at"]
        read_only_fields = fields


class MetricValueSerializer(serializers.ModelSerializer[MetricValue]):
    scorecard = ScopedRelatedField(Scorecard)
    metric = ScopedRelatedField(MetricDefinition)
    value = serializers.CharField(max_length=40, allow_blank=True, allow_null=True)

    class Meta:
        model = MetricValue
        fields = ["id", "scorecard", "metric", "value", "comment", "evidence", "computed_from", "updated_at"]
        read_only_fields = ["computed_from", "updated_at"]
        validators: list[Any] = []


class ScorecardTemplateViewSet(ReadOnlyTenantViewSet):
    serializer_class = TemplateSerializer
    queryset = ScorecardTemplate.unscoped.none()

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("versions__metrics")


class PeriodViewSet(ReadOnlyTenantViewSet):
    serializer_class = PeriodSerializer
    queryset = Period.unscoped.none()


class ScorecardStartSerializer(serializers.Serializer[Any]):
    account = ScopedRelatedField(Account)
    period = serializers.CharField(max_length=20, help_text="A period label, e.g. 2026-Q3 (made if it is new).")


class ScorecardViewSet(ReadOnlyTenantViewSet, mixins.CreateModelMixin):
    """Scorecards with their stored health (0-100) and area scores.

    POST {account, period} starts the account's scorecard for that period (or returns the existing one),
    on the default template's newest version; then POST values to /metric-values/.
    """

    serializer_class = ScorecardSerializer
    queryset = Scorecard.unscoped.none()
    select = ("period",)
    filters = {"account": ("account_id", "id"), "period": ("period__label", "text")}

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(account__deleted_at__isnull=True)

    def get_serializer_class(self) -> Any:
        return ScorecardStartSerializer if self.action == "create" else ScorecardSerializer

    @extend_schema(request=ScorecardStartSerializer, responses={201: ScorecardSerializer, 200: ScorecardSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        start = ScorecardStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        account = start.validated_data["account"]
        if account.deleted_at is not None:
            raise exceptions.ValidationError({"account": ["This account was deleted."]})
        membership = request._request.membership
        if not allowed(membership.role, "account.edit_team_work", user=request.user, obj=account):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")
        try:
            period = period_by_label(start.validated_data["period"])
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc
        existed = Scorecard.objects.filter(account=account, period=period).exists()
        scorecard = services.scorecard_for(account=account, period=period)
        body = ScorecardSerializer(Scorecard.objects.select_related("period").get(pk=scorecard.pk)).data
        return Response(body, status=200 if existed else 201)


class MetricValueViewSet(ReadOnlyTenantViewSet, mixins.CreateModelMixin):
    """Values of scorecard metrics. POST sets one value (creating or replacing it); health is recomputed."""

    serializer_class = MetricValueSerializer
    queryset = MetricValue.unscoped.none()
    select = ("metric", "scorecard")
    filters = {"scorecard": ("scorecard_id", "id")}
    action_map_permissions = {"list": "account.view", "retrieve": "account.view", "create": "account.view"}

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(scorecard__account__deleted_at__isnull=True)

    def perform_create(self, serializer: MetricValueSerializer) -> None:
        data = serializer.validated_data
        scorecard = Scorecard.objects.select_related("account", "period", "version").get(pk=data["scorecard"].pk)
        if scorecard.account.deleted_at is not None:
            raise exceptions.ValidationError({"scorecard": ["This scorecard's account was deleted."]})
        membership = self.request._request.membership
        if not allowed(membership.role, "account.edit_team_work", user=self.request.user, obj=scorecard.account):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")
        try:
            serializer.instance = services.value_set(
                scorecard=scorecard,
                metric=data["metric"],
                value=data.get("value"),
                comment=data.get("comment", ""),
                evidence=data.get("evidence", ""),
                acting_user=self.request.user,
                is_admin=allowed(membership.role, "tenant.manage_settings", user=self.request.user),
            )
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc


for _viewset in (ScorecardViewSet, MetricValueViewSet):
    document_filters(_viewset)

ROUTES = [
    ("scorecard-templates", ScorecardTemplateViewSet, "scorecardtemplate"),
    ("periods", PeriodViewSet, "period"),
    ("scorecards", ScorecardViewSet, "scorecard"),
    ("metric-values", MetricValueViewSet, "metricvalue"),
]
