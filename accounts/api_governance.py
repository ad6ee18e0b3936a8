"""REST API for change control, the customer's decisions and escalations: the same services as the pages, which
decide who may do what (a refusal is 403, a broken rule 400 with the reason)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import governance_services as services
from accounts.api import ChildSerializer
from accounts.models import ChangeRequest, Contact, Decision, Escalation, Incident, RecurringIssue
from sam.api.toolkit import AccountChildViewSet, MemberField, ScopedRelatedField

TEXT = 10_000


class ChangeRequestSerializer(ChildSerializer):
    recurring_issue = ScopedRelatedField(RecurringIssue, required=False, allow_null=True)
    incident = ScopedRelatedField(Incident, required=False, allow_null=True)
    emergency = serializers.BooleanField(
        required=False, default=False, help_text="Record a change made without approval (its window is past)."
    )
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    detail = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    reason = serializers.CharField(max_length=TEXT)
    risk_note = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)
    rollback = serializers.CharField(max_length=TEXT)
    decisions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "account",
            "title",
            "detail",
            "reason",
            "risk",
            "risk_note",
            "window_start",
            "window_end",
            "rollback",
            "in_prime_hours",
            "recurring_issue",
            "incident",
            "needs_customer_approval",
            "status",
            "emergency",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "customer_notified_at",
            "done_at",
            "outcome",
            "decisions",
        ]
        read_only_fields = [
            "in_prime_hours",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "customer_notified_at",
            "done_at",
        ]


class ChangeDecideSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ChangeDoneSerializer(serializers.Serializer[Any]):
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT)
    emergency = serializers.BooleanField(required=False, default=False)


class GovernanceViewSet(AccountChildViewSet):
    """Writes go through the services, which ask the allow table for the acting member."""

    write_action = "account.view"  # the service decides; the page and the API ask it alike
    http_method_names = ["get", "post", "head", "options"]

    def run(self, fn: Any) -> Any:
        try:
            return super().run(fn)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or "Your role does not allow this on this account.") from exc

    def reply(self, obj: Any) -> Response:
        return Response(self.get_serializer_class()(obj, context=self.get_serializer_context()).data)

    def act(self, body: type[serializers.Serializer[Any]], change: Any) -> Response:
        """An action on one row: its body checked, then ``change(row, **body)`` through the service."""
        row = self.get_object()
        given = body(data=self.request.data)
        given.is_valid(raise_exception=True)
        return self.reply(self.run(lambda: change(row, **given.validated_data)))


class ChangeRequestViewSet(GovernanceViewSet):
    """Configuration changes. POST requests one ahead of its window (or records an emergency change with
    ``emergency: true``); approve, done and cancel are actions."""

    serializer_class = ChangeRequestSerializer
    queryset = ChangeRequest.unscoped.none()
    select = ("account", "requested_by", "decided_by")
    filters = {"account": ("account", "id"), "status": ("status", "choice")}

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("decisions")

    def create_object(self, data: dict[str, Any]) -> ChangeRequest:
        account, emergency = data.pop("account"), data.pop("emergency", False)
        make = services.change_request_emergency if emergency else services.change_request_create
        return make(account=account, data=data, acting_user=self.request.user)

    @extend_schema(request=ChangeDecideSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Approve or reject (the account's Technical Lead, or an admin); a rejection says why."""
        return self.act(
            ChangeDecideSerializer,
            lambda change, **body: services.change_request_decide(change=change, acting_user=request.user, **body),
        )

    @extend_schema(request=ChangeDoneSerializer, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """The change was made: approved ones only, unless recorded as an emergency."""
        return self.act(
            ChangeDoneSerializer,
            lambda change, **body: services.change_request_done(change=change, acting_user=request.user, **body),
        )

    @extend_schema(request=None, responses=ChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        change = self.get_object()
        return self.reply(self.run(lambda: services.change_request_cancel(change=change, acting_user=request.user)))


class DecisionSerializer(ChildSerializer):
    contact = ScopedRelatedField(Contact)
    recurring_issue = ScopedRelatedField(RecurringIssue, required=False, allow_null=True)
    change_request = ScopedRelatedField(ChangeRequest, required=False, allow_null=True)
    detail = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)

    class Meta:
        model = Decision
        fields = [
            "id",
            "account",
            "question",
            "detail",
            "contact",
            "due",
            "status",
            "answered_on",
            "answer_note",
            "recurring_issue",
            "change_request",
            "requested_by",
            "requested_at",
            "escalation_level",
        ]
        read_only_fields = ["status", "answered_on", "answer_note", "requested_by", "requested_at", "escalation_level"]


class DecisionAnswerSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[Decision.Status.APPROVED, Decision.Status.DECLINED])
    answered_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DecisionViewSet(GovernanceViewSet):
    """Decisions asked of the customer: only of a contact with authority (economic or technical buyer, or an
    approver); answer and expire are actions."""

    serializer_class = DecisionSerializer
    queryset = Decision.unscoped.none()
    select = ("account", "contact")
    filters = {"account": ("account", "id"), "status": ("status", "choice")}

    def create_object(self, data: dict[str, Any]) -> Decision:
        return services.decision_request(acting_user=self.request.user, **data)

    @extend_schema(request=DecisionAnswerSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"], url_path="answer")
    def answer(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        return self.act(
            DecisionAnswerSerializer,
            lambda decision, **body: services.decision_answer(decision=decision, acting_user=request.user, **body),
        )

    @extend_schema(request=None, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def expire(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        decision = self.get_object()
        return self.reply(self.run(lambda: services.decision_expire(decision=decision, acting_user=request.user)))


class EscalationSerializer(ChildSerializer):
    owner = MemberField(required=False, allow_null=True)
    recurring_issue = ScopedRelatedField(RecurringIssue, required=False, allow_null=True)
    decision = ScopedRelatedField(Decision, required=False, allow_null=True)
    detail = serializers.CharField(required=False, allow_blank=True, max_length=TEXT)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "account",
            "title",
            "detail",
            "owner",
            "due",
            "status",
            "resolution",
            "raised_by",
            "raised_at",
            "resolved_at",
            "recurring_issue",
            "decision",
        ]
        read_only_fields = ["status", "resolution", "raised_by", "raised_at", "resolved_at"]


class EscalationResolveSerializer(serializers.Serializer[Any]):
    resolution = serializers.CharField(max_length=TEXT)


class EscalationViewSet(GovernanceViewSet):
    """Escalations: raised by anyone on the team, owned by the Executive Partner (or the executive named when the
    account has none); resolve is an action and needs the resolution."""

    serializer_class = EscalationSerializer
    queryset = Escalation.unscoped.none()
    select = ("account", "owner")
    filters = {"account": ("account", "id"), "status": ("status", "choice")}

    def create_object(self, data: dict[str, Any]) -> Escalation:
        return services.escalation_raise(acting_user=self.request.user, **data)

    @extend_schema(request=EscalationResolveSerializer, responses=EscalationSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        return self.act(
            EscalationResolveSerializer,
            lambda escalation, **body: services.escalation_resolve(
                escalation=escalation, acting_user=request.user, **body
            ),
        )


ROUTES = [
    ("change-requests", ChangeRequestViewSet, "changerequest"),
    ("decisions", DecisionViewSet, "decision"),
    ("escalations", EscalationViewSet, "escalation"),
]
