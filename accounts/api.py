"""REST API of the accounts app. Writes go through the same services as the pages.

Tenant, audit and "made by" fields are never writable; ids of other
tenants' objects in a body are "not found" like any unknown id.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import renewals, services
from accounts.models import (
    Account,
    ActionItem,
    ActionItemEvent,
    Contact,
    Contract,
    CriterionAnswer,
    Deliverable,
    Incident,
    IncidentCategory,
    LossReason,
    Outcome,
    PlanGoal,
    PlanObjective,
    PlanReview,
    RecurringIssue,
    SelectionCriterion,
    TeamAssignment,
    TeamRole,
    Tier,
    TierChange,
    roles_in_order,
)
from accounts.permissions import action_item_fields, deliverable_fields
from sam.api.toolkit import (
    AccountChildViewSet,
    MemberField,
    ScopedRelatedField,
    apply_filters,
    django_errors,
    document_filters,
)
from sam.roles import allowed
from sam.services import row_save


class AccountSerializer(serializers.ModelSerializer[Account]):
    tier = ScopedRelatedField(Tier)
    owner = MemberField(required=False, allow_null=True)
    parent = ScopedRelatedField(Account, required=False, allow_null=True)
    tier_reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=2000)
    warning = serializers.SerializerMethodField()
    prime_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        max_length=7,
        required=False,
        help_text="The customer's prime days, 0 Monday to 6 Sunday.",
    )
    roles_needed = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The roles the team must fill: the account's own choice (needed_roles), else its tier's.",
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "industry",
            "tier",
            "status",
            "owner",
            "annual_revenue",
            "currency",
            "parent",
            "notes",
            "strategic_score",
            "created_at",
            "updated_at",
            "tier_reason",
            "warning",
            "needed_roles",
            "roles_needed",
            "time_zone",
            "prime_start",
            "prime_end",
            "prime_days",
        ]
        read_only_fields = ["strategic_score", "created_at", "updated_at", "needed_roles"]

    def get_warning(self, obj: Account) -> str:
        return str(self.context.get("warning", ""))

    def validate_annual_revenue(self, value: Any) -> Any:
        if value is not None and value < 0:
            raise serializers.ValidationError("Revenue cannot be negative.")
        return value

    def validate_currency(self, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError("Use a three-letter currency code, e.g. EUR.")
        return value.upper()


class NeededRolesSerializer(serializers.Serializer[Any]):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=TeamRole.choices),
        max_length=len(TeamRole.values),
        allow_null=True,
        help_text="The roles this account needs; null: as its tier says.",
    )


class CriteriaAnswersSerializer(serializers.Serializer[Any]):
    criterion = ScopedRelatedField(SelectionCriterion)
    score = serializers.IntegerField(min_value=0, max_value=5)
    justification = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class ChildSerializer(serializers.ModelSerializer[Any]):
    account = ScopedRelatedField(Account)


class ContractSerializer(ChildSerializer):
    midpoint = serializers.DateField(read_only=True)
    renewal_due = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "account",
            "title",
            "start",
            "end",
            "value",
            "currency",
            "renewal_terms",
            "midpoint",
            "renewal_due",
            "outcome",
            "renewed_as",
            "value_change",
            "lost_reason",
            "competitor",
            "outcome_note",
            "outcome_recorded_at",
        ]
        read_only_fields = [
            "outcome",
            "renewed_as",
            "value_change",
            "lost_reason",
            "competitor",
            "outcome_note",
            "outcome_recorded_at",
        ]

    def get_renewal_due(self, obj: Contract) -> bool:
        return obj.renewal_due()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end": "The end date must be after the start date."})
        return attrs


class OutcomeSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    renewed_as = ScopedRelatedField(Contract, required=False, allow_null=True, default=None)
    value_change = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True, default=None
    )
    lost_reason = ScopedRelatedField(LossReason, required=False, allow_null=True, default=None)
    competitor = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ContactSerializer(ChildSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "name",
            "title",
            "email",
            "phone",
            "buyer_role",
            "influence",
            "relationship_strength",
            "last_interaction",
            "opted_out",
            "approver",
        ]
        validators: list[Any] = []  # the service reports duplicate emails per account


class TeamAssignmentSerializer(ChildSerializer):
    user = MemberField()

    class Meta:
        model = TeamAssignment
        fields = ["id", "account", "user", "role", "created_at"]
        read_only_fields = ["created_at"]
        validators: list[Any] = []


class DeliverableSerializer(serializers.ModelSerializer[Deliverable]):
    owner = MemberField(required=False, allow_null=True)
    file = serializers.FileField(required=False, allow_null=True, write_only=True, max_length=300)
    file_url = serializers.SerializerMethodField(help_text="Download of the uploaded file (same authentication).")
    needed = serializers.SerializerMethodField(
        help_text="Whether the account needs this role; a deliverable of a role held as needed is not chased."
    )

    class Meta:
        model = Deliverable
        fields = [
            "id",
            "account",
            "role",
            "needed",
            "status",
            "owner",
            "last_reviewed",
            "link",
            "note",
            "file",
            "file_url",
        ]
        read_only_fields = ["account", "role"]

    def get_needed(self, obj: Deliverable) -> bool:
        return obj.role in obj.account.roles_needed

    def get_file_url(self, obj: Deliverable) -> str | None:
        if not obj.file:
            return None

        return reverse("deliverable-file", args=[obj.pk])

    def validate_file(self, value: Any) -> Any:
        if value is not None and value.size > 20 * 1024 * 1024:
            raise serializers.ValidationError("Files up to 20 MB; link larger documents instead.")
        return value


class PlanGoalSerializer(ChildSerializer):
    class Meta:
        model = PlanGoal
        fields = ["id", "account", "title", "order"]


class PlanObjectiveSerializer(serializers.ModelSerializer[PlanObjective]):
    goal = ScopedRelatedField(PlanGoal)

    class Meta:
        model = PlanObjective
        fields = ["id", "goal", "title", "measure", "order"]


class ActionItemEventSerializer(serializers.ModelSerializer[ActionItemEvent]):
    class Meta:
        model = ActionItemEvent
        fields = ["at", "actor", "contact", "changes", "note"]
        read_only_fields = fields


class ActionItemSerializer(ChildSerializer):
    owner = MemberField(required=False, allow_null=True)
    history = ActionItemEventSerializer(source="events", many=True, read_only=True)
    objective = ScopedRelatedField(PlanObjective, required=False, allow_null=True)
    owner_contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "account",
            "title",
            "detail",
            "owner",
            "due",
            "status",
            "side",
            "owner_contact",
            "joint",
            "source_kind",
            "source_id",
            "objective",
            "created_at",
            "updated_at",
            "closed_at",
            "overdue",
            "history",
        ]
        read_only_fields = ["source_kind", "source_id", "created_at", "updated_at", "closed_at"]

    def get_overdue(self, obj: ActionItem) -> bool:
        return obj.is_overdue()


class IncidentSerializer(ChildSerializer):
    category = ScopedRelatedField(IncidentCategory)

    class Meta:
        model = Incident
        fields = ["id", "account", "category", "severity", "opened_at", "resolved_at", "summary", "external_ref"]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        opened = attrs.get("opened_at", getattr(self.instance, "opened_at", None))
        resolved = attrs.get("resolved_at", getattr(self.instance, "resolved_at", None))
        if opened and resolved and resolved < opened:
            raise serializers.ValidationError({"resolved_at": "An incident cannot be resolved before it was opened."})
        return attrs


class RecurringIssueSerializer(serializers.ModelSerializer[RecurringIssue]):
    owner = MemberField(required=False)
    incidents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    decisions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = RecurringIssue
        fields = [
            "id",
            "account",
            "category",
            "owner",
            "status",
            "opened_at",
            "closed_at",
            "root_cause",
            "incidents",
            "decisions",
        ]
        read_only_fields = ["account", "category", "opened_at", "closed_at"]


# --- viewsets ----------------------------------------------------------------------------


class AccountViewSet(AccountChildViewSet):
    """Strategic accounts. DELETE removes an account from every list (its history is kept)."""

    serializer_class = AccountSerializer
    queryset = Account.unscoped.none()
    select = ("tier", "owner", "parent")

    filters = {
        "tier": ("tier_id", "id"),
        "owner": ("owner_id", "id"),
        "parent": ("parent_id", "id"),
        "status": ("status", "choice"),
        "search": ("name__icontains", "text"),
    }

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Account.unscoped.none()
        qs = apply_filters(
            Account.objects.alive().select_related(*self.select), self.filters, self.request.query_params
        )
        return qs.order_by(F("strategic_score").desc(nulls_last=True), "name")

    @property
    def action_map_permissions(self) -> dict[str, str]:
        return {
            "list": "account.view",
            "retrieve": "account.view",
            "create": "account.create",
            "update": "account.edit",
            "partial_update": "account.edit",
            "destroy": "account.delete",
            "criteria": "account.edit",
            "needed_roles": "account.set_roles_needed",
        }

    def account_of(self, obj: Any) -> Account:
        return obj

    def require(self, account: Account) -> None:
        membership = self.request._request.membership
        act = {"destroy": "account.delete"}.get(self.action, "account.edit")
        if not allowed(membership.role, act, user=self.request.user, obj=account):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")

    def perform_create(self, serializer: AccountSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("tier_reason", None)
        account, warning = self.run(lambda: services.account_create(data=data, acting_user=self.request.user))
        serializer.instance = account
        serializer.context["warning"] = warning

    def perform_update(self, serializer: AccountSerializer) -> None:
        data = dict(serializer.validated_data)
        reason = data.pop("tier_reason", "")
        account, warning = self.run(
            lambda: services.account_update(
                account=serializer.instance, data=data, acting_user=self.request.user, tier_reason=reason
            )
        )
        serializer.instance = account
        serializer.context["warning"] = warning

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reason", str, description="Why the account leaves the portfolio (required for strategic accounts)."
            )
        ]
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Account) -> None:
        reason = self.request.query_params.get("reason", "")[:2000]
        self.run(lambda: services.account_delete(account=instance, acting_user=self.request.user, reason=reason))

    @extend_schema(methods=["GET"], responses=CriteriaAnswersSerializer(many=True))
    @extend_schema(methods=["PUT"], request=CriteriaAnswersSerializer(many=True), responses=AccountSerializer)
    @action(detail=True, methods=["get", "put"], url_path="criteria", pagination_class=None)
    def criteria(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """The account's answers to the selection criteria (GET), or new scores (PUT: 0-5 each, with a why)."""
        account = self.get_object()
        if request.method == "GET":
            answers = CriterionAnswer.objects.filter(account=account).order_by("criterion__order", "criterion_id")
            return Response(CriteriaAnswersSerializer(answers, many=True).data)
        self.require(account)
        answers = CriteriaAnswersSerializer(data=request.data, many=True)
        answers.is_valid(raise_exception=True)
        data = {a["criterion"].pk: (a["score"], a["justification"]) for a in answers.validated_data}
        account = self.run(lambda: services.criteria_answers_save(account=account, answers=data))
        return Response(AccountSerializer(account, context=self.get_serializer_context()).data)

    @extend_schema(request=NeededRolesSerializer, responses=AccountSerializer)
    @action(detail=True, methods=["put"], url_path="needed-roles")
    def needed_roles(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Which of the six team roles this account needs (admins); the others are held as needed."""
        account = self.get_object()
        if not allowed(request._request.membership.role, "account.set_roles_needed", user=request.user, obj=account):
            raise exceptions.PermissionDenied("Only an admin sets the roles an account needs.")
        body = NeededRolesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        roles = body.validated_data["roles"]
        account = self.run(
            lambda: services.account_roles_needed_set(account=account, roles=roles, acting_user=request.user)
        )
        return Response(AccountSerializer(account, context=self.get_serializer_context()).data)


class ContractViewSet(AccountChildViewSet):
    serializer_class = ContractSerializer
    queryset = Contract.unscoped.none()

    def create_object(self, data: dict[str, Any]) -> Contract:
        return services.contract_save(account=data.pop("account"), data=data)

    def update_object(self, instance: Contract, data: dict[str, Any]) -> Contract:
        data.pop("account", None)
        return services.contract_save(account=instance.account, data=data, contract=instance)

    def perform_destroy(self, instance: Contract) -> None:
        self.run(lambda: services.account_row_delete(account=instance.account, row=instance))

    @property
    def action_map_permissions(self) -> dict[str, str]:
        return {**super().action_map_permissions, "outcome": self.write_action}

    @extend_schema(request=OutcomeSerializer, responses=ContractSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Record the renewal outcome, as the account's Contracts tab does (the same rules)."""

        contract = self.get_object()
        self.require(contract.account)
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        saved = self.run(
            lambda: renewals.contract_outcome_record(contract=contract, acting_user=request.user, **body.validated_data)
        )
        return Response(ContractSerializer(saved, context=self.get_serializer_context()).data)


class ContactViewSet(AccountChildViewSet):
    serializer_class = ContactSerializer
    queryset = Contact.unscoped.none()
    filters = {"account": ("account", "id"), "buyer_role": ("buyer_role", "choice"), "email": ("email__iexact", "text")}

    def create_object(self, data: dict[str, Any]) -> Contact:
        return services.contact_save(account=data.pop("account"), data=data)

    def update_object(self, instance: Contact, data: dict[str, Any]) -> Contact:
        data.pop("account", None)
        return services.contact_save(account=instance.account, data=data, contact=instance)

    def perform_destroy(self, instance: Contact) -> None:
        self.run(lambda: services.account_row_delete(account=instance.account, row=instance))


class TeamAssignmentViewSet(AccountChildViewSet):
    """Who holds which of the six team roles. To change a role, remove the assignment and add another."""

    serializer_class = TeamAssignmentSerializer
    queryset = TeamAssignment.unscoped.none()
    select = ("account", "user")
    http_method_names = ["get", "post", "delete", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> TeamAssignment:
        return services.team_assign(account=data["account"], user_id=data["user"].pk, role=data["role"])

    def perform_destroy(self, instance: TeamAssignment) -> None:
        services.team_unassign(assignment=instance)


class DeliverableViewSet(AccountChildViewSet):
    """Key deliverables of the team roles. Admins and the account's owner edit all of them (and reassign
    them); team members, the Executive Partner included, edit those of the roles they hold or are named
    for. Upload a file with multipart/form-data; ``file: null`` removes it."""

    serializer_class = DeliverableSerializer
    queryset = Deliverable.unscoped.none()
    write_action = "deliverable.edit"
    select = ("account", "account__tier")
    http_method_names = ["get", "put", "patch", "head", "options"]
    filters = {"account": ("account", "id"), "role": ("role", "choice"), "status": ("status", "choice")}

    def editable(self, obj: Deliverable) -> frozenset[str]:
        return deliverable_fields(role=self.request._request.membership.role, user=self.request.user, deliverable=obj)

    def check_object_permissions(self, request: Request, obj: Deliverable) -> None:
        if request.method in permissions.SAFE_METHODS:
            return super().check_object_permissions(request, obj)
        if not self.editable(obj):
            raise exceptions.PermissionDenied("You may update the deliverables of the roles you hold on your accounts.")
        return None

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path="file")
    def file(self, request: Request, pk: str | None = None, **kwargs: Any) -> Any:
        """The uploaded file of this deliverable."""

        deliverable = self.get_object()
        if not deliverable.file:
            raise Http404
        name = deliverable.file.name.rsplit("/", 1)[-1]
        return FileResponse(deliverable.file.open("rb"), as_attachment=True, filename=name)

    def update_object(self, instance: Deliverable, data: dict[str, Any]) -> Deliverable:
        if "file" in data and data["file"] is None:
            data = {**data, "file": False}
        role = self.request._request.membership.role
        return services.deliverable_change(deliverable=instance, data=data, acting_user=self.request.user, role=role)


class PlanGoalViewSet(AccountChildViewSet):
    serializer_class = PlanGoalSerializer
    queryset = PlanGoal.unscoped.none()
    write_action = "account.edit_team_work"

    def create_object(self, data: dict[str, Any]) -> PlanGoal:
        return services.goal_add(account=data["account"], title=data["title"], order=data.get("order"))

    def update_object(self, instance: PlanGoal, data: dict[str, Any]) -> PlanGoal:
        data.pop("account", None)
        return services.goal_update(goal=instance, data=data)

    def perform_destroy(self, instance: PlanGoal) -> None:
        self.run(lambda: services.plan_row_delete(row=instance))


class PlanObjectiveViewSet(AccountChildViewSet):
    serializer_class = PlanObjectiveSerializer
    queryset = PlanObjective.unscoped.none()
    write_action = "account.edit_team_work"
    select = ("goal__account",)
    account_path = "goal__account"
    filters = {"account": ("goal__account", "id"), "goal": ("goal_id", "id")}

    def account_of(self, obj: PlanObjective) -> Account:
        return obj.goal.account

    def perform_create(self, serializer: Any) -> None:
        self.require(serializer.validated_data["goal"].account)
        serializer.instance = self.run(lambda: self.create_object(serializer.validated_data))

    def create_object(self, data: dict[str, Any]) -> PlanObjective:
        return services.objective_add(
            goal=data["goal"], title=data["title"], measure=data.get("measure", ""), order=data.get("order")
        )

    def update_object(self, instance: PlanObjective, data: dict[str, Any]) -> PlanObjective:
        data.pop("goal", None)
        return services.objective_update(objective=instance, data=data)

    def perform_destroy(self, instance: PlanObjective) -> None:
        self.run(lambda: services.plan_row_delete(row=instance))


class ActionItemViewSet(AccountChildViewSet):
    """The running action register. DELETE is not offered: drop an item (status "dropped") instead."""

    serializer_class = ActionItemSerializer
    queryset = ActionItem.unscoped.none()
    write_action = "account.edit_team_work"
    select = ("account", "owner")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    filters = {
        "account": ("account", "id"),
        "status": ("status", "choice"),
        "owner": ("owner_id", "id"),
        "source_kind": ("source_kind", "choice"),
        "due_before": ("due__lte", "date"),
    }

    @property
    def action_map_permissions(self) -> dict[str, str]:
        # an executive records progress on the actions they own; adding actions is the team's
        return {**super().action_map_permissions, "update": "action.progress", "partial_update": "action.progress"}

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("events")

    def editable(self, obj: ActionItem) -> frozenset[str]:
        return action_item_fields(role=self.request._request.membership.role, user=self.request.user, item=obj)

    def check_object_permissions(self, request: Request, obj: ActionItem) -> None:
        if request.method in permissions.SAFE_METHODS:
            return super().check_object_permissions(request, obj)
        if not self.editable(obj):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")
        return None

    def create_object(self, data: dict[str, Any]) -> ActionItem:
        item, _ = services.action_item_add(
            account=data["account"],
            title=data["title"],
            owner=data.get("owner"),
            due=data.get("due"),
            detail=data.get("detail", ""),
            objective=data.get("objective"),
            acting_user=self.request.user,
            side=data.get("side", ActionItem.Side.SUPPLIER),
            owner_contact=data.get("owner_contact"),
            joint=data.get("joint", False),
        )
        if data.get("status") and data["status"] != item.status:
            item = services.action_item_update(
                item=item, data={"status": data["status"]}, acting_user=self.request.user
            )
        return item

    def update_object(self, instance: ActionItem, data: dict[str, Any]) -> ActionItem:
        data.pop("account", None)  # a move is refused before this, as for every row
        role = self.request._request.membership.role
        return services.action_item_change(item=instance, data=data, acting_user=self.request.user, role=role)


class IncidentViewSet(AccountChildViewSet):
    serializer_class = IncidentSerializer
    queryset = Incident.unscoped.none()
    write_action = "account.edit_team_work"
    select = ("account", "category")
    filters = {
        "account": ("account", "id"),
        "category": ("category_id", "id"),
        "severity": ("severity", "choice"),
        "opened_after": ("opened_at__date__gte", "date"),
        "opened_before": ("opened_at__date__lte", "date"),
    }

    def create_object(self, data: dict[str, Any]) -> Incident:
        return services.incident_record(account=data.pop("account"), data=data)

    def update_object(self, instance: Incident, data: dict[str, Any]) -> Incident:
        data.pop("account", None)
        return services.incident_update(incident=instance, data=data)

    def perform_destroy(self, instance: Incident) -> None:
        self.run(lambda: services.incident_delete(incident=instance))


class RecurringIssueViewSet(AccountChildViewSet):
    serializer_class = RecurringIssueSerializer
    queryset = RecurringIssue.unscoped.none()
    write_action = "recurring_issue.edit"
    select = ("account", "category", "owner")
    http_method_names = ["get", "put", "patch", "head", "options"]
    filters = {"account": ("account", "id"), "status": ("status", "choice"), "category": ("category_id", "id")}

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("incidents", "decisions")

    def update_object(self, instance: RecurringIssue, data: dict[str, Any]) -> RecurringIssue:
        return services.recurring_issue_update(issue=instance, data=data, acting_user=self.request.user)


class PlanReviewSerializer(ChildSerializer):
    class Meta:
        model = PlanReview
        fields = ["id", "account", "version", "reviewed_at", "reviewed_by", "note", "snapshot"]
        read_only_fields = ["version", "reviewed_at", "reviewed_by", "snapshot"]


class PlanReviewViewSet(AccountChildViewSet):
    """Reviewed versions of account plans. POST marks an account's plan reviewed now and keeps this version."""

    serializer_class = PlanReviewSerializer
    queryset = PlanReview.unscoped.none()
    write_action = "account.edit_team_work"
    http_method_names = ["get", "post", "head", "options"]

    def create_object(self, data: dict[str, Any]) -> PlanReview:
        return services.plan_review_record(
            account=data["account"], acting_user=self.request.user, note=data.get("note", "")
        )


class TierChangeSerializer(serializers.ModelSerializer[TierChange]):
    class Meta:
        model = TierChange
        fields = ["id", "account", "from_tier", "to_tier", "reason", "changed_by", "changed_at"]
        read_only_fields = fields


class TierChangeViewSet(AccountChildViewSet):
    """Moves of accounts between tiers, with the reasons kept (read only)."""

    serializer_class = TierChangeSerializer
    queryset = TierChange.unscoped.none()
    http_method_names = ["get", "head", "options"]


class TierSerializer(serializers.ModelSerializer[Tier]):
    needed_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=TeamRole.choices),
        max_length=len(TeamRole.values),
        required=False,
        help_text="The team roles an account of this tier needs unless the account says otherwise.",
    )

    class Meta:
        model = Tier
        fields = ["id", "name", "order", "strategic", "needed_roles"]
        validators: list[Any] = []

    def validate_needed_roles(self, value: list[str]) -> list[str]:
        return roles_in_order(value)


class SelectionCriterionSerializer(serializers.ModelSerializer[SelectionCriterion]):
    class Meta:
        model = SelectionCriterion
        fields = ["id", "question", "weight", "order", "active"]


class IncidentCategorySerializer(serializers.ModelSerializer[IncidentCategory]):
    class Meta:
        model = IncidentCategory
        fields = ["id", "name", "active"]
        validators: list[Any] = []


class ProgramListViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tenant lists of the program (admins edit them). Unused entries are retired, not deleted."""

    action_map_permissions = {
        "list": "account.view",
        "retrieve": "account.view",
        "create": "tenant.manage_settings",
        "update": "tenant.manage_settings",
        "partial_update": "tenant.manage_settings",
    }

    def get_queryset(self) -> Any:
        model = self.get_serializer_class().Meta.model
        if getattr(self, "swagger_fake_view", False):
            return model.unscoped.none()
        return model.objects.all()

    def perform_create(self, serializer: Any) -> None:
        try:
            serializer.instance = row_save(
                serializer.Meta.model(**serializer.validated_data), unique_message={"name": "This name exists already."}
            )
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        try:
            if isinstance(serializer.instance, Tier) and "strategic" in data:
                services.tier_strategic_set(tier=serializer.instance, strategic=data.pop("strategic"))
            for key, value in data.items():
                setattr(serializer.instance, key, value)
            row_save(serializer.instance, unique_message={"name": "This name exists already."})
            if isinstance(serializer.instance, SelectionCriterion):
                services.strategic_scores_recompute()
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc


class TierViewSet(ProgramListViewSet):
    serializer_class = TierSerializer
    queryset = Tier.unscoped.none()


class SelectionCriterionViewSet(ProgramListViewSet):
    serializer_class = SelectionCriterionSerializer
    queryset = SelectionCriterion.unscoped.none()


class IncidentCategoryViewSet(ProgramListViewSet):
    serializer_class = IncidentCategorySerializer
    queryset = IncidentCategory.unscoped.none()


for _viewset in (
    AccountViewSet,
    ContractViewSet,
    ContactViewSet,
    TeamAssignmentViewSet,
    DeliverableViewSet,
    PlanGoalViewSet,
    PlanObjectiveViewSet,
    ActionItemViewSet,
    IncidentViewSet,
    RecurringIssueViewSet,
    PlanReviewViewSet,
    TierChangeViewSet,
):
    document_filters(_viewset)

ROUTES = [
    ("accounts", AccountViewSet, "account"),
    ("contracts", ContractViewSet, "contract"),
    ("contacts", ContactViewSet, "contact"),
    ("team-assignments", TeamAssignmentViewSet, "teamassignment"),
    ("deliverables", DeliverableViewSet, "deliverable"),
    ("plan-goals", PlanGoalViewSet, "plangoal"),
    ("plan-objectives", PlanObjectiveViewSet, "planobjective"),
    ("action-items", ActionItemViewSet, "actionitem"),
    ("incidents", IncidentViewSet, "incident"),
    ("recurring-issues", RecurringIssueViewSet, "recurringissue"),
    ("plan-reviews", PlanReviewViewSet, "planreview"),
    ("tier-changes", TierChangeViewSet, "tierchange"),
    ("tiers", TierViewSet, "tier"),
    ("selection-criteria", SelectionCriterionViewSet, "selectioncriterion"),
    ("incident-categories", IncidentCategoryViewSet, "incidentcategory"),
]
