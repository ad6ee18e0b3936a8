"""Core API endpoints: who am I, the tenant's members, my tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from sam import selectors, services
from sam.api.toolkit import django_errors
from sam.models import ApiToken, Membership, Tenant, WorkspaceSettings
from sam.roles import Role


class TenantSerializer(serializers.ModelSerializer[Tenant]):
    paper_size = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "paper_size"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=WorkspaceSettings.PaperSize.choices))
    def get_paper_size(self, tenant: Tenant) -> str:
        """The paper size of the workspace's reports (of the current tenant only: row-level security)."""
        row = WorkspaceSettings.objects.filter(tenant_id=tenant.pk).first()
        return row.paper_size if row is not None else WorkspaceSettings.PaperSize.A4


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "created_at"]
        read_only_fields = ["id", "email", "full_name", "created_at"]


class MeSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField()
    tenant = TenantSerializer()


@extend_schema(responses=MeSerializer, summary="The authenticated member and their tenant")
@api_view(["GET"])
def me(request: Request) -> Response:
    membership = request._request.membership
    data = {
        "email": request.user.email,
        "full_name": request.user.full_name,
        "role": membership.role,
        "tenant": request._request.tenant,
    }
    return Response(MeSerializer(data).data)


class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """The tenant's members. Admins may change a member's role."""

    serializer_class = MembershipSerializer
    queryset = Membership.unscoped.none()  # for the schema; get_queryset scopes the real one
    action_map_permissions = {
        "list": "tenant.view",
        "retrieve": "tenant.view",
        "update": "tenant.manage_members",
        "partial_update": "tenant.manage_members",
    }

    def get_queryset(self) -> Any:
        return selectors.tenant_members()

    def perform_update(self, serializer: MembershipSerializer) -> None:
        if "role" not in serializer.validated_data:  # a PATCH that changes nothing
            return
        try:
            serializer.instance = services.membership_set_role(
                membership=serializer.instance,
                role=serializer.validated_data["role"],
                acting_user=self.request.user,
            )
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    expires_in_days = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=3650)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "hint", "created_at", "expires_at", "revoked_at", "last_used_at", "expires_in_days"]
        read_only_fields = ["id", "hint", "created_at", "expires_at", "revoked_at", "last_used_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens. Deleting a token revokes it."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.unscoped.none()  # for the schema; get_queryset scopes the real one
    required_action = "token.manage_own"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.tokens_of_membership(self.request._request.membership)

    @extend_schema(responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, full = services.token_create(
            membership=request._request.membership,
            name=serializer.validated_data["name"],
            expires_in_days=serializer.validated_data.get("expires_in_days"),
        )
        data = ApiTokenCreatedSerializer(token).data
        data["token"] = full
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.token_revoke(token=instance, acting_user=self.request.user)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the vendored sidecar files. Its scripts are files (split view);
    it sets a few inline styles, which only this page allows."""

    schema = None  # not an API endpoint itself

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]  # drf-spectacular is untyped

        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
            "style-src 'self'", "style-src 'self' 'unsafe-inline'"
        )
        return response
