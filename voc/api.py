"""Survey API: campaigns (create, schedule, close), their invitations' status, and selectors; an account's VoC
report as PDF versions (asked for, watched, downloaded).

Writes go through the same services as the pages. Links are never returned: only the contact can open one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account, BuyerRole, Tier
from sam.api.toolkit import ReadOnlyTenantViewSet, ScopedRelatedField, django_errors
from sam.documents.services import documents_of
from sam.models import Document
from voc import campaigns, selectors
from voc.models import REPORT, Campaign, Invitation, SurveyTemplate
from voc.services import account_report_request, survey_defaults_ensure


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    template = serializers.CharField(source="version.template.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "template",
            "version",
            "status",
            "send_at",
            "closes_at",
            "sent_at",
            "closed_at",
            "reminder_after_days",
            "reminder_max",
            "audience",
            "progress",
            "created_at",
        ]
        read_only_fields = fields

    def get_progress(self, campaign: Campaign) -> dict[str, Any]:
        # A list counts its page's invitations at once (a campaign without any is missing there: it has none).
        counted = self.context.get("counts")
        if counted is None:
            counted = selectors.campaign_counts([campaign])
        counts = counted.get(campaign.pk, {})
        data = selectors.progress(counts)
        return {
            "invited": data["total"],
            "answered": data["answered"],
            "response_rate": data["rate"],
            "by_status": {value: n for value, _, n in data["by_status"]},
        }


class CampaignCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    template = ScopedRelatedField(SurveyTemplate, required=False, help_text="Default: the default survey.")
    tiers = serializers.ListField(child=ScopedRelatedField(Tier), required=False, max_length=100)
    buyer_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=BuyerRole.choices), required=False, max_length=20
    )
    accounts = serializers.ListField(child=ScopedRelatedField(Account), required=False, max_length=1000)
    send_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    reminder_after_days = serializers.IntegerField(min_value=1, max_value=60, default=7)
    reminder_max = serializers.IntegerField(min_value=0, max_value=5, default=2)
    schedule = serializers.BooleanField(default=False, help_text="Schedule at once (otherwise a draft).")


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    account = serializers.IntegerField(source="contact.account_id", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "campaign",
            "contact",
            "account",
            "status",
            "sent_at",
            "opened_at",
            "completed_at",
            "reminders_sent",
            "bounced_at",
        ]
        read_only_fields = fields


def _rollup(rollup: selectors.Rollup, segment: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "invited": rollup.invited,
        "answered": rollup.answered,
        "response_rate": rollup.response_rate,
        "hidden": rollup.hidden,
    }
    if not rollup.hidden:
        nps = rollup.nps
        body.update(
            nps=nps.score,
            promoters=nps.promoter_share,
            passives=nps.passive_share,
            detractors=nps.detractor_share,
            satisfaction=rollup.satisfaction,
            segment=segment,
        )
    return body


class CampaignViewSet(ReadOnlyTenantViewSet, mixins.CreateModelMixin):
    """Survey campaigns. POST makes a draft with one invitation per recipient (contacts without email and
    opted-out contacts are left out and listed); ``schedule: true`` schedules it at once."""

    serializer_class = CampaignSerializer
    queryset = Campaign.unscoped.none()
    select = ("version__template",)
    filters = {"status": ("status", "choice")}

    @property
    def action_map_permissions(self) -> dict[str, str]:
        reads = dict.fromkeys(("list", "retrieve", "invitations", "results"), "survey.view")
        return {**reads, **dict.fromkeys(("create", "schedule", "close"), "survey.run")}

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.action == "list":
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
            context["counts"] = selectors.campaign_counts(list(page))
        return context

    def _run(self, fn: Any) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            raise django_errors(exc) from exc

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data_in = CampaignCreateSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data

        template = data.get("template") or survey_defaults_ensure()
        audience = campaigns.Audience(
            tiers=sorted({t.pk for t in data.get("tiers", [])}),
            buyer_roles=sorted(set(data.get("buyer_roles", []))),
            accounts=sorted({a.pk for a in data.get("accounts", []) if a.deleted_at is None}),
        )

        def make() -> Campaign:
            with transaction.atomic():
                campaign, _preview = campaigns.campaign_create(
                    name=data["name"],
                    template=template,
                    audience=audience,
                    send_at=data["send_at"],
                    closes_at=data["closes_at"],
                    reminder_after_days=data["reminder_after_days"],
                    reminder_max=data["reminder_max"],
                    acting_user=request.user,
                )
                if data["schedule"]:
                    campaigns.campaign_schedule(campaign=campaign, acting_user=request.user)
            return campaign

        campaign = self._run(make)
        body = CampaignSerializer(Campaign.objects.select_related("version__template").get(pk=campaign.pk)).data
        return Response(body, status=201)

    @extend_schema(request=None, responses=InvitationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def invitations(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Each invitation's status: queued, sent, opened, completed, bounced, opted out or revoked."""
        campaign = self.get_object()
        rows = Invitation.objects.filter(campaign=campaign).select_related("contact").order_by("pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(request=None, responses=None)
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """NPS, shares of promoters / passives / detractors, response rate and loyalty segment, overall and per
        account. Under anonymity a group with fewer than K answers says ``hidden: true`` and nothing more."""
        data = selectors.campaign_results(self.get_object())
        return Response(
            {
                "anonymous": data["config"].anonymous,
                "overall": _rollup(data["overall"], data["overall_segment"]),
                "accounts": [
                    {"account": row["account"].pk, **_rollup(row["rollup"], row["segment"])} for row in data["accounts"]
                ],
            }
        )

    def _change(self, fn: Any) -> Response:
        campaign = self.get_object()
        self._run(lambda: fn(campaign=campaign, acting_user=self.request.user))
        return Response(
            CampaignSerializer(Campaign.objects.select_related("version__template").get(pk=campaign.pk)).data
        )

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """A draft with recipients goes out at its send date."""
        return self._change(campaigns.campaign_schedule)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """Stop taking answers now."""
        return self._change(campaigns.campaign_close)


class ReportRequestSerializer(serializers.Serializer[Any]):
    campaign = serializers.IntegerField(
        required=False, allow_null=True, help_text="One campaign that asked the account; left out: every campaign."
    )


class ReportVersionSerializer(serializers.ModelSerializer[Document]):
    campaign = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "version",
            "status",
            "campaign",
            "pages",
            "error",
            "requested_at",
            "finished_at",
            "pdf",
        ]
        read_only_fields = fields

    def get_campaign(self, document: Document) -> int | None:
        campaign = document.params.get("campaign")
        return campaign if isinstance(campaign, int) else None

    def get_pdf(self, document: Document) -> str | None:
        """Where to download it, once it is ready."""
        if document.status != Document.Status.READY:
            return None
        return reverse("survey-account-report-pdf", kwargs={"pk": document.subject_id, "document_id": document.pk})


class SurveyAccountViewSet(viewsets.GenericViewSet):
    """An account's VoC report: its PDF versions (GET) and a new one (POST; rendered in the background, watch its
    ``status`` until ``ready``, then fetch ``pdf``). Anonymous results stay anonymous in it."""

    queryset = Account.unscoped.none()
    serializer_class = ReportVersionSerializer

    @property
    def action_map_permissions(self) -> dict[str, str]:
        asking = self.action == "report" and self.request is not None and self.request.method == "POST"
        return {"report": "report.request" if asking else "survey.view", "report_pdf": "report.view"}

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Account.unscoped.none()
        return Account.objects.alive().select_related("owner")

    @extend_schema(methods=["GET"], request=None, responses=ReportVersionSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=ReportRequestSerializer,
        responses={202: ReportVersionSerializer, 200: ReportVersionSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def report(self, request: Request, pk: Any = None, **kwargs: Any) -> Response:
        """The newest PDF versions of the account's VoC report (GET), or a new one (POST: 202 when one is queued
        now, 200 with the one already queued for the same campaigns)."""
        account = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(documents_of(account, REPORT).order_by("-version"))
            return self.get_paginated_response(ReportVersionSerializer(page, many=True).data)
        body = ReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        campaign_id = body.validated_data.get("campaign")
        campaign = None
        if campaign_id is not None:
            campaign = selectors.account_campaigns(account).filter(pk=campaign_id).first()
            if campaign is None:
                raise serializers.ValidationError({"campaign": "Choose a campaign that asked this account."})
        try:
            document, created = account_report_request(account=account, campaign=campaign, acting_user=request.user)
        except ValidationError as exc:
            raise django_errors(exc) from exc
        return Response(ReportVersionSerializer(document).data, status=202 if created else 200)

    @extend_schema(request=None, responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"], url_path=r"report/(?P<document_id>\d+)/pdf")
    def report_pdf(self, request: Request, pk: Any = None, document_id: Any = None, **kwargs: Any) -> FileResponse:
        """One version's PDF (404 until it is ready)."""
        account = self.get_object()
        document = documents_of(account, REPORT).filter(pk=document_id).first()
        if document is None or document.status != Document.Status.READY or not document.file:
            raise Http404
        filename = f"{document.title[:80]} v{document.version}.pdf".replace("/", "-")
        return FileResponse(
            document.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )


ROUTES = [
    ("survey-campaigns", CampaignViewSet, "survey-campaign"),
    ("survey-accounts", SurveyAccountViewSet, "survey-account"),
]
