"""The monthly portfolio review: one row per tenant and month, the subject of its PDF versions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from sam.tenancy.keys import TenantPrimaryKey
from sam.tenancy.models import TenantOwned


class PortfolioReview(TenantOwned):
    """One month's portfolio review. The PDF (a Document of it) is sent to executives once per month."""

    month = models.DateField(help_text="The first day of the month reviewed.")
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month"], name="portfolioreview_unique_month"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return f"Portfolio review {self.month:%B %Y}"
