"""The monthly portfolio review as a PDF (documents pipeline), its charts (shared with the page), and the email."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.models import AccountsSettings
from dashboard.models import PortfolioReview
from dashboard.selectors import DRILLS, Filters, portfolio_review
from sam.charts import Bar, bar_chart, line_chart
from sam.documents import registry
from sam.documents.services import document_request
from sam.models import Membership
from sam.outbox import email_enqueue
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse
from voc.scoring import SEGMENT_LABELS

KIND = "portfolio_review"


def review_charts(review: dict[str, Any]) -> dict[str, SafeString]:
    """The pictures of the review: the same SVG on the page and in the PDF."""
    health = review["health"]["trend"]
    surveys = review["surveys"]["trend"]
    revenue = review["revenue"]
    base = review["base"]
    return {
        "health": line_chart(
            "Share of scored accounts in green health, by period",
            [(p["label"], round(100 * p["green"] / p["scored"]) if p["scored"] else None) for p in health],
        ),
        "nps": line_chart("Portfolio NPS by period", [(p["label"], p["nps"]) for p in surveys], top=100, bottom=-100),
        "revenue": bar_chart(
            f"Revenue by year ({base})",
            [Bar(str(year), float(total)) for year, total in zip(revenue["years"], revenue["totals"], strict=True)],
            unit=f" {base}",
        ),
    }


def review_context(subject: PortfolioReview, params: dict[str, Any]) -> dict[str, Any]:
    tenant = current_tenant()
    filters = Filters.from_params(params) if params.get("start") else Filters.default(_month_end(subject.month))
    review = portfolio_review(filters, tenant=tenant, today=min(filters.end, timezone.localdate()))

    return {
        "review": review,
        "charts": review_charts(review),
        "subject": subject,
        "tenant": tenant,
        "segments": SEGMENT_LABELS,
        "drills": DRILLS,
    }


def _month_end(month: date) -> date:
    """The last day of the month reviewed, or today for the month under way."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return min(timezone.localdate(), following - timedelta(days=1))


def review_for_month(day: date) -> PortfolioReview:
    review, _ = PortfolioReview.objects.get_or_create(month=day.replace(day=1))
    return review


def register() -> None:
    registry.register(
        registry.DocumentKind(
            key=KIND,
            label="Portfolio review",
            subject_model=PortfolioReview,
            template="dashboard/review_print.html",
            context=review_context,
            title=lambda subject, params: f"Portfolio review, {subject.month:%B %Y}",
            page_url=lambda subject, slug: tenant_reverse("dashboard_reviews", slug=slug),
        )
    )


def monthly_review_send(today: date | None = None) -> int:
    """Once per month: the review's PDF to every executive and admin, when the tenant wants it.

    Exactly once however often beat runs: the month's row is locked and stamped; the email has its own key.
    """

    tenant = current_tenant()
    assert tenant is not None
    if not AccountsSettings.current().monthly_review_email:
        return 0
    today = today or timezone.localdate()
    month = today.replace(day=1)
    with transaction.atomic():
        review = review_for_month(month)
        review = PortfolioReview.objects.select_for_update().get(pk=review.pk)
        if review.emailed_at is not None:
            return 0
        to = sorted(
            {
                m.user.email
                for m in Membership.objects.select_related("user").filter(role__in=["executive", "admin"])
                if m.user.email and m.user.is_active
            }
        )
        if not to:
            return 0
        document, _ = document_request(kind=KIND, subject=review, params={}, acting_user=None)
        url = settings.SITE_URL + tenant_reverse("dashboard", tenant=tenant)
        email_enqueue(
            key=f"portfolio-review:{month:%Y-%m}",
            to=to,
            subject=f"{tenant.name}: portfolio review for {month:%B %Y}",
            text=render_to_string("emails/portfolio_review.txt", {"tenant": tenant, "month": month, "url": url}),
            attachments=[{"document": document.pk}],
        )
        review.emailed_at = timezone.now()
        review.save(update_fields=["emailed_at"])
    return 1
