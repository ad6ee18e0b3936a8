"""QBR API: cadences, QBRs (with agenda status, held and cancelled), agenda items with minutes, participants.

Every write goes through the same services as the pages. The running register is read at /action-items/.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ActionItemSerializer
from accounts.models import Account, Contact
from qbr import selectors, services
from qbr.calc import PREPARATION_TEXT_MAX
from qbr.models import AgendaItem, AgendaTemplate, Cadence, Interval, Participant, PreparationRow, Qbr
from qbr.permissions import preparation_rights
from sam.api.toolkit import AccountChildViewSet, MemberField, ScopedRelatedField, django_errors
from sam.numbers import whole
from sam.roles import allowed


class CadenceSerializer(serializers.ModelSerializer[Cadence]):
    account = ScopedRelatedField(Account)
    interval_months = serializers.ChoiceField(choices=Interval.choices, allow_null=True, required=False)

    class Meta:
        model = Cadence
        fields = ["id", "account", "interval_months", "paused_until", "pause_reason", "updated_at"]
        read_only_fields = ["updated_at"]
        validators: list[Any] = []

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        paused = data.get("paused_until", getattr(self.instance, "paused_until", None))
        reason = data.get("pause_reason", getattr(self.instance, "pause_reason", ""))
        if paused is not None and not (reason or "").strip():
            raise serializers.ValidationError({"pause_reason": ["A pause needs a reason."]})
        return data


class CadenceViewSet(AccountChildViewSet):
    """An account's own cadence (interval, or a pause with a reason and an end). One per account."""

    serializer_class = CadenceSerializer
    queryset = Cadence.unscoped.none()
    write_action = "account.edit_team_work"  # as on the QBR page
    http_method_names = ["get", "post", "patch", "head", "options"]  # back to the default: PATCH nulls

    def create_object(self, data: dict[str, Any]) -> Any:
        if Cadence.objects.filter(account=data["account"]).exists():
            raise ValidationError({"account": "This account has a cadence already: change it instead."})
        return self._set(data["account"], data, None)

    def update_object(self, instance: Cadence, data: dict[str, Any]) -> Any:
        return self._set(instance.account, data, instance)

    def _set(self, account: Account, data: dict[str, Any], current: Cadence | None) -> Any:
        """The same checks and audit record as the page (a pause ends in the future, and has a reason)."""

        def pick(field: str, default: Any) -> Any:
            return data[field] if field in data else getattr(current, field, default)

        return services.cadence_set(
            account=account,
            interval_months=pick("interval_months", None),
            paused_until=pick("paused_until", None),
            pause_reason=pick("pause_reason", ""),
            acting_user=self.request.user,
        )


class QbrSerializer(serializers.ModelSerializer[Qbr]):
    confirm = serializers.BooleanField(
        write_only=True, required=False, help_text="Use a date outside the period or in the past anyway."
    )
    milestones = serializers.SerializerMethodField()

    class Meta:
        model = Qbr
        fields = [
            "id",
            "account",
            "period_label",
            "period_start",
            "period_end",
            "scheduled_at",
            "timezone",
            "location",
            "status",
            "agenda_status",
            "agenda_agreed_on",
            "preread_notes",
            "held_at",
            "no_minutes_reason",
            "milestones",
            "confirm",
        ]
        read_only_fields = [
            "account",
            "period_label",
            "period_start",
            "period_end",
            "status",
            "agenda_status",
            "agenda_agreed_on",
            "held_at",
            "no_minutes_reason",
            "milestones",
        ]

    def get_milestones(self, qbr: Qbr) -> list[dict[str, Any]]:
        return [{"kind": m.kind, "due": m.due, "done_at": m.done_at} for m in qbr.milestones.all()]


class PreparationFactsSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField()
    lines = serializers.ListField(child=serializers.CharField())


class PreparationRowSerializer(serializers.Serializer[Any]):
    topic = serializers.ChoiceField(choices=PreparationRow.Topic.choices)
    label = serializers.CharField()
    facts = PreparationFactsSerializer()
    expected = serializers.CharField(help_text="What we expect the customer to say (needed to complete).")
    answer = serializers.CharField(help_text="How we will answer.")


class PreparationSerializer(serializers.Serializer[Any]):
    """A QBR's preparation checklist as the page shows it."""

    complete = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = serializers.SerializerMethodField()
    late = serializers.BooleanField(help_text="Completed after the pre-read was due.")
    as_of = serializers.DateTimeField(help_text="When the facts were read: now, or when it was completed.")
    preread_due = serializers.DateField(allow_null=True)
    warning = serializers.CharField(allow_null=True)
    rows = PreparationRowSerializer(many=True)

    def get_completed_by(self, view: dict[str, Any]) -> int | None:
        return view["completed_by"].pk if view["completed_by"] is not None else None


class PreparationRowInputSerializer(serializers.Serializer[Any]):
    topic = serializers.ChoiceField(choices=PreparationRow.Topic.choices)
    expected = serializers.CharField(allow_blank=True, max_length=PREPARATION_TEXT_MAX)
    answer = serializers.CharField(allow_blank=True, max_length=PREPARATION_TEXT_MAX, required=False)


class PreparationInputSerializer(serializers.Serializer[Any]):
    rows = PreparationRowInputSerializer(many=True, allow_empty=False, max_length=len(PreparationRow.Topic.values))


# POST (create) and PUT (update) on QBRs answer 405 with the way to do it instead: not operations of the API.
@extend_schema_view(create=extend_schema(exclude=True), update=extend_schema(exclude=True))
class QbrViewSet(AccountChildViewSet):
    """QBRs are made by the scheduler. PATCH sets the date, time zone, place and pre-read notes; actions move the
    agenda status and mark the QBR held or cancelled."""

    serializer_class = QbrSerializer
    queryset = Qbr.unscoped.none()
    write_action = "account.edit_team_work"
    http_method_names = ["get", "put", "patch", "post", "head", "options"]  # PUT: .../preparation/ only
    filters = {"account": ("account", "id"), "status": ("status", "choice"), "period": ("period_label", "text")}

    def get_queryset(self) -> Any:
        return super().get_queryset().prefetch_related("milestones")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.MethodNotAllowed("POST", detail="QBRs are made by the scheduler, one per period.")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):  # PUT is for the preparation checklist only; a QBR changes by PATCH
            raise exceptions.MethodNotAllowed("PUT", detail="Change a QBR with PATCH.")
        return super().update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.MethodNotAllowed("DELETE", detail="Cancel a QBR instead (POST .../cancel/).")

    def update_object(self, instance: Qbr, data: dict[str, Any]) -> Any:
        if "preread_notes" in data:
            services.preread_notes_set(qbr=instance, notes=data["preread_notes"])
        if {"scheduled_at", "timezone", "location"} & set(data):
            warnings = services.qbr_schedule_set(
                qbr=instance,
                when=data.get("scheduled_at", instance.scheduled_at),
                tz=data.get("timezone", instance.timezone),
                location=data.get("location", instance.location),
                confirmed=bool(data.get("confirm")),
            )
            if warnings:
                raise ValidationError({"scheduled_at": [*warnings, "Send confirm: true to use it anyway."]})
        return instance

    def _change(self, request: Request, fn: Any) -> Response:
        qbr = self.get_object()
        self.require(qbr.account)
        self.run(lambda: fn(qbr, request.data))
        qbr.refresh_from_db()
        return Response(QbrSerializer(qbr).data)

    @extend_schema(request=None, responses=QbrSerializer)
    @action(detail=True, methods=["post"], url_path="agenda-status")
    def agenda_status(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"status": "draft" | "proposed" | "agreed", "agreed_on": "YYYY-MM-DD"?}"""

        def change(qbr: Qbr, data: Any) -> None:
            agreed_on = (
                serializers.DateField(required=False, allow_null=True).to_internal_value(data["agreed_on"])
                if data.get("agreed_on")
                else None
            )
            services.agenda_status_set(qbr=qbr, status=str(data.get("status", "")), agreed_on=agreed_on)

        return self._change(request, change)

    @extend_schema(request=None, responses=QbrSerializer)
    @action(detail=True, methods=["post"])
    def held(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"no_minutes_reason": "..."} when there are no minutes."""
        return self._change(
            request,
            lambda qbr, data: services.qbr_held(
                qbr=qbr, no_minutes_reason=data.get("no_minutes_reason", ""), acting_user=request.user
            ),
        )

    @extend_schema(request=None, responses=QbrSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"reason": "..."}"""
        return self._change(
            request,
            lambda qbr, data: services.qbr_cancel(qbr=qbr, reason=data.get("reason", ""), acting_user=request.user),
        )

    @extend_schema(request=None, responses=QbrSerializer)
    @action(detail=True, methods=["post"], url_path="agenda-from-template")
    def agenda_from_template(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"template": id} (the default template when left out); only while the agenda is empty."""

        def change(qbr: Qbr, data: Any) -> None:
            raw = data.get("template")
            if raw in (None, ""):
                template = services.agenda_template_default_ensure()
            else:
                template = AgendaTemplate.objects.filter(pk=whole(raw) or 0).first()
                if template is None:
                    raise exceptions.ValidationError({"template": ["No such agenda template."]})
            services.agenda_create_from_template(qbr=qbr, template=template)

        return self._change(request, change)

    @extend_schema(request=None, responses={201: None})
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """A new item in the account's register from this QBR. Body: {"title", "owner"?: user id, "due"?}"""

        qbr = self.get_object()
        self.require(qbr.account)
        body = _ActionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = self.run(
            lambda: services.qbr_action_add(
                qbr=qbr, title=data["title"], owner=data.get("owner"), due=data.get("due"), acting_user=request.user
            )
        )
        return Response(ActionItemSerializer(item, context=self.get_serializer_context()).data, status=201)

    # --- our preparation: GET and PUT the checklist, POST to complete or reopen it ---------------------------

    def _preparation(self, qbr: Qbr) -> Response:
        return Response(PreparationSerializer(selectors.preparation_view(qbr)).data)

    def _preparation_qbr(self, *, complete: bool = False) -> Qbr:
        """The QBR (404 for another tenant's), then the permission helper's say (403)."""
        qbr = self.get_object()
        membership = self.request._request.membership
        rights = preparation_rights(role=membership.role, user=self.request.user, qbr=qbr)
        if not (rights.complete if complete else rights.fill):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")
        return qbr

    @extend_schema(methods=["GET"], request=None, responses=PreparationSerializer)
    @extend_schema(methods=["PUT"], request=PreparationInputSerializer, responses=PreparationSerializer)
    @action(detail=True, methods=["get", "put"])
    def preparation(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Our preparation: per topic our facts (as of now, or as kept when it was completed), what we expect
        the customer to say and how we will answer. PUT body: {"rows": [{"topic", "expected", "answer"?}]}; a
        topic left out stays as it is, and so does an answer left out."""

        if request.method == "GET":
            return self._preparation(self.get_object())
        qbr = self._preparation_qbr()
        body = PreparationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows: dict[str, dict[str, Any]] = {}
        for row in body.validated_data["rows"]:
            if row["topic"] in rows:
                raise exceptions.ValidationError({"rows": [f"The topic {row['topic']!r} is given twice."]})
            rows[row["topic"]] = {k: v for k, v in row.items() if k != "topic"}
        self.run(lambda: services.preparation_save(qbr=qbr, rows=rows, acting_user=request.user))
        return self._preparation(qbr)

    @extend_schema(request=None, responses=PreparationSerializer)
    @action(detail=True, methods=["post"], url_path="preparation/complete")
    def preparation_complete(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Mark the preparation complete (every topic needs what we expect the customer to say): its facts are
        kept as they stand now. After the pre-read was due it is allowed, and shows as late."""

        qbr = self._preparation_qbr(complete=True)
        self.run(lambda: services.preparation_complete(qbr=qbr, acting_user=request.user))
        return self._preparation(qbr)

    @extend_schema(request=None, responses=PreparationSerializer)
    @action(detail=True, methods=["post"], url_path="preparation/reopen")
    def preparation_reopen(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Open a completed preparation again: its facts follow the data until it is completed anew."""

        qbr = self._preparation_qbr(complete=True)
        self.run(lambda: services.preparation_reopen(qbr=qbr, acting_user=request.user))
        return self._preparation(qbr)

    @property
    def action_map_permissions(self) -> dict[str, str]:
        return {
            **super().action_map_permissions,
            "agenda_status": "account.view",
            "held": "account.view",
            "cancel": "account.view",
            "agenda_from_template": "account.view",
            "actions": "account.view",
            "preparation": "account.view",  # the writes ask qbr.permissions
            "preparation_complete": "account.view",
            "preparation_reopen": "account.view",
        }


class _ActionSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    owner = MemberField(required=False, allow_null=True)
    due = serializers.DateField(required=False, allow_null=True)


class AgendaItemSerializer(serializers.ModelSerializer[AgendaItem]):
    qbr = ScopedRelatedField(Qbr)
    owner = MemberField(required=False, allow_null=True)

    class Meta:
        model = AgendaItem
        fields = ["id", "qbr", "order", "title", "owner", "minutes", "notes", "decisions"]
        read_only_fields = ["order"]


class AgendaItemViewSet(AccountChildViewSet):
    """A QBR's agenda, in order; notes and decisions are the minutes. Writes follow the QBR's state."""

    serializer_class = AgendaItemSerializer
    queryset = AgendaItem.unscoped.none()
    account_path = "qbr__account"
    write_action = "account.edit_team_work"
    select = ("qbr", "qbr__account", "owner")
    filters = {"qbr": ("qbr", "id")}

    def account_of(self, obj: Any) -> Account:
        return obj.qbr.account

    def perform_create(self, serializer: Any) -> None:
        qbr = serializer.validated_data["qbr"]
        self.require(qbr.account)
        serializer.instance = self.run(lambda: self._save(qbr, serializer.validated_data, None))

    def update_object(self, instance: AgendaItem, data: dict[str, Any]) -> Any:
        if "qbr" in data and data["qbr"].pk != instance.qbr_id:
            raise ValidationError({"qbr": "An item stays on its QBR."})
        return self._save(instance.qbr, data, instance)

    def _save(self, qbr: Qbr, data: dict[str, Any], item: AgendaItem | None) -> Any:
        with transaction.atomic():  # all of it or nothing (an item is not left behind by bad minutes)
            return self._save_all(qbr, data, item)

    def _save_all(self, qbr: Qbr, data: dict[str, Any], item: AgendaItem | None) -> Any:
        planning = {k: v for k, v in data.items() if k in ("title", "minutes", "owner")}
        if item is None or planning:
            merged = {
                "title": getattr(item, "title", ""),
                "minutes": getattr(item, "minutes", 10),
                "owner": getattr(item, "owner_id", None),
            }
            merged.update({k: (v.pk if k == "owner" and v is not None else v) for k, v in planning.items()})
            item = services.agenda_item_save(qbr=qbr, data=merged, item=item)
        if "notes" in data or "decisions" in data:
            services.minutes_save(
                qbr=qbr, item=item, notes=data.get("notes", item.notes), decisions=data.get("decisions", item.decisions)
            )
        return item

    def perform_destroy(self, instance: AgendaItem) -> None:
        self.require(instance.qbr.account)
        self.run(lambda: services.agenda_item_delete(qbr=instance.qbr, item=instance))

    @extend_schema(request=None, responses=AgendaItemSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Body: {"direction": "up" | "down"}: swap with the neighbouring item."""
        item = self.get_object()
        self.require(item.qbr.account)
        direction = request.data.get("direction")
        if direction not in ("up", "down"):
            raise exceptions.ValidationError({"direction": ['"up" or "down".']})
        self.run(lambda: services.agenda_item_move(qbr=item.qbr, item=item, up=direction == "up"))
        item.refresh_from_db()
        return Response(AgendaItemSerializer(item, context=self.get_serializer_context()).data)

    @property
    def action_map_permissions(self) -> dict[str, str]:
        return {**super().action_map_permissions, "move": "account.view"}


class ParticipantSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    qbr = ScopedRelatedField(Qbr)
    contact = ScopedRelatedField(Contact, required=False, allow_null=True)
    user = serializers.IntegerField(required=False, allow_null=True, source="user_id")
    attended = serializers.BooleanField(required=False, allow_null=True)


class ParticipantViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Who is invited: a contact of the account or a member of the workspace."""

    serializer_class = ParticipantSerializer
    queryset = Participant.unscoped.none()
    required_action = "account.view"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Participant.unscoped.none()
        qs = Participant.objects.filter(qbr__account__deleted_at__isnull=True).select_related("qbr__account")
        qbr = self.request.query_params.get("qbr", "")
        if qbr:
            if whole(qbr) is None:
                raise exceptions.ValidationError({"qbr": ["Give a QBR id."]})
            qs = qs.filter(qbr_id=whole(qbr))
        return qs.order_by("pk")

    def _require(self, account: Account) -> None:
        membership = self.request._request.membership
        if not allowed(membership.role, "account.edit_team_work", user=self.request.user, obj=account):
            raise exceptions.PermissionDenied("Your role does not allow this on this account.")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        self._require(data["qbr"].account)
        contact = data.get("contact")
        try:
            serializer.instance = services.participant_add(
                qbr=data["qbr"], contact_id=contact.pk if contact else None, user_id=data.get("user_id")
            )
        except ValidationError as exc:
            raise django_errors(exc) from exc

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_update(self, serializer: Any) -> None:
        """Only ``attended`` changes (after the meeting); who it is stays."""
        instance = serializer.instance
        self._require(instance.qbr.account)
        data = serializer.validated_data
        if set(data) - {"attended", "qbr"} or ("qbr" in data and data["qbr"].pk != instance.qbr_id):
            raise exceptions.ValidationError({"attended": ["Only attendance changes; invite someone else instead."]})
        services.participant_attended_set(participant=instance, attended=data.get("attended"))

    def perform_destroy(self, instance: Any) -> None:
        self._require(instance.qbr.account)
        try:
            services.participant_remove(qbr=instance.qbr, participant_id=instance.pk)
        except ValidationError as exc:
            raise exceptions.ValidationError({"qbr": exc.messages}) from exc


ROUTES = [
    ("cadences", CadenceViewSet, "cadence"),
    ("qbrs", QbrViewSet, "qbr"),
    ("agenda-items", AgendaItemViewSet, "agendaitem"),
    ("participants", ParticipantViewSet, "participant"),
]
