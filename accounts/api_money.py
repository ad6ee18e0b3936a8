"""REST API for renewal outcomes, revenue history and exchange rates: the same services as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, viewsets

from accounts import money_services
from accounts.api import ChildSerializer
from accounts.models import AccountsSettings, ExchangeRate, RevenueEntry, RevenueSource
from sam.api.toolkit import AccountChildViewSet, ScopedRelatedField, django_errors


class RevenueEntrySerializer(ChildSerializer):
    source = ScopedRelatedField(RevenueSource)
    quarter = serializers.IntegerField(min_value=0, max_value=4, default=0, help_text="0: the whole year")
    year = serializers.IntegerField(min_value=1900, max_value=2200)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3)

    class Meta:
        model = RevenueEntry
        fields = ["id", "account", "year", "quarter", "source", "amount", "currency"]


class RevenueEntryViewSet(AccountChildViewSet):
    """Revenue per account, year (quarter 0) or quarter, and source; unique per account, period and source."""

    serializer_class = RevenueEntrySerializer
    queryset = RevenueEntry.unscoped.none()
    select = ("account", "source")
    filters = {"account": ("account", "id"), "year": ("year", "id"), "source": ("source", "id")}

    def create_object(self, data: dict[str, Any]) -> RevenueEntry:
        return money_services.revenue_entry_save(**data)

    def update_object(self, instance: RevenueEntry, data: dict[str, Any]) -> RevenueEntry:
        values = {
            "year": instance.year,
            "quarter": instance.quarter,
            "source": instance.source,
            "amount": instance.amount,
            "currency": instance.currency,
            **data,
            "account": instance.account,
        }
        return money_services.revenue_entry_save(**values, entry=instance)

    def perform_destroy(self, instance: RevenueEntry) -> None:
        self.run(lambda: money_services.revenue_entry_delete(entry=instance))


class ExchangeRateSerializer(serializers.ModelSerializer[ExchangeRate]):
    rate = serializers.DecimalField(max_digits=20, decimal_places=8)

    class Meta:
        model = ExchangeRate
        fields = ["id", "base", "currency", "valid_from", "rate"]
        read_only_fields = ["base"]


class ExchangeRateViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Rates into the tenant's base currency by date. Everyone reads them; admins set them."""

    serializer_class = ExchangeRateSerializer
    queryset = ExchangeRate.unscoped.none()
    action_map_permissions = {
        "list": "report.view",
        "create": "tenant.manage_settings",
        "destroy": "tenant.manage_settings",
    }

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ExchangeRate.unscoped.none()
        return ExchangeRate.objects.filter(base=AccountsSettings.current().base_currency).order_by(
            "currency", "-valid_from"
        )

    def perform_create(self, serializer: Any) -> None:
        try:
            serializer.instance = money_services.exchange_rate_save(**serializer.validated_data)
        except DjangoValidationError as exc:
            raise django_errors(exc) from exc


ROUTES = [
    ("revenue", RevenueEntryViewSet, "revenueentry"),
    ("exchange-rates", ExchangeRateViewSet, "exchangerate"),
]
