"""API of the account's timeline (entries in, for the day a mail or CRM integration feeds it, and the story out,
newest first) and of the playbooks (read: what fires, with which steps)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers, viewsets

from accounts import events, timeline_services
from accounts.models import Account, Contact, Playbook, PlaybookStep, TimelineEntry
from accounts.services import member_or_error
from sam.api.toolkit import AccountChildViewSet, MemberField, ScopedRelatedField
from sam.numbers import whole


class FollowUpSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    owner = MemberField(required=False, allow_null=True)
    due = serializers.DateField(required=False, allow_null=True)


class TimelineEntrySerializer(serializers.ModelSerializer[TimelineEntry]):
    account = ScopedRelatedField(Account)
    contacts = ScopedRelatedField(Contact, many=True, required=False)
    by = MemberField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=[(k, TimelineEntry.Kind(k).label) for k in TimelineEntry.LOGGED])
    event_label = serializers.SerializerMethodField()
    follow_ups = FollowUpSerializer(many=True, required=False, write_only=True, max_length=20)

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "account",
            "kind",
            "occurred_at",
            "by",
            "contacts",
            "summary",
            "pinned",
            "touch",
            "event",
            "event_label",
            "follow_ups",
            "created_at",
        ]
        read_only_fields = ["touch", "event", "created_at"]

    def get_event_label(self, entry: TimelineEntry) -> str:
        return events.event_label(entry.event) if entry.event else ""

    def to_representation(self, instance: TimelineEntry) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["kind"] = instance.kind  # product events too
        return data


class TimelineEntryViewSet(AccountChildViewSet):
    """Timeline entries: list (filter by account, kind, person, contact), log one (a note, call, meeting or email,
    with contacts of the account and follow-up actions), pin or unpin it, remove one the team logged."""

    serializer_class = TimelineEntrySerializer
    queryset = TimelineEntry.unscoped.none()
    write_action = "timeline.log"
    select = ("account", "by")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filters = {
        "account": ("account", "id"),
        "kind": ("kind", "choice"),
        "person": ("by_id", "id"),
        "after": ("occurred_at__date__gte", "date"),
        "before": ("occurred_at__date__lte", "date"),
    }

    def get_queryset(self) -> Any:
        qs = super().get_queryset().prefetch_related("contacts")
        contact = self.request.query_params.get("contact", "")
        if contact:
            qs = qs.filter(links__contact_id=whole(contact, digits=18) or 0)
        return qs.order_by("-occurred_at", "-pk")

    def create_object(self, data: dict[str, Any]) -> TimelineEntry:
        by = data.get("by")
        if by is not None:
            member_or_error(by.pk, "by")
        return timeline_services.timeline_entry_log(
            account=data["account"],
            kind=data["kind"],
            summary=data["summary"],
            occurred_at=data.get("occurred_at"),
            contact_ids=[c.pk for c in data.get("contacts", [])],
            by=by,
            pinned=data.get("pinned", False),
            actions=[dict(f) for f in data.get("follow_ups", [])],
            acting_user=self.request.user,
        )

    def update_object(self, instance: TimelineEntry, data: dict[str, Any]) -> TimelineEntry:
        unknown = set(data) - {"pinned"}
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(sorted(unknown), "Only pinned changes on an entry."))
        return timeline_services.timeline_entry_pin(
            entry=instance, pinned=bool(data.get("pinned")), acting_user=self.request.user
        )

    def check_object_permissions(self, request: Any, obj: Any) -> None:
        if request.method == "DELETE":  # who logged it may remove it, on the team or not: the service decides
            return
        super().check_object_permissions(request, obj)

    def perform_destroy(self, instance: TimelineEntry) -> None:
        self.run(lambda: timeline_services.timeline_entry_delete(entry=instance, acting_user=self.request.user))


class PlaybookStepSerializer(serializers.ModelSerializer[PlaybookStep]):
    class Meta:
        model = PlaybookStep
        fields = ["order", "title", "role", "due_days"]


class PlaybookSerializer(serializers.ModelSerializer[Playbook]):
    steps = PlaybookStepSerializer(many=True, read_only=True)

    class Meta:
        model = Playbook
        fields = ["id", "name", "trigger", "days", "active", "steps"]


class PlaybookViewSet(viewsets.ReadOnlyModelViewSet):
    """The workspace's playbooks and their steps (admins change them on the Playbooks page)."""

    serializer_class = PlaybookSerializer
    queryset = Playbook.unscoped.none()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Playbook.unscoped.none()
        return Playbook.objects.prefetch_related("steps").order_by("name", "pk")


ROUTES = [
    ("timeline-entries", TimelineEntryViewSet, "timelineentry"),
    ("playbooks", PlaybookViewSet, "playbook"),
]
