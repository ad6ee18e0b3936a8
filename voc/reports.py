"""The account's VoC report as a PDF through the documents pipeline: its context and its registration (asking
for one is a service). The same body template is the HTML preview on the report's page."""

from __future__ import annotations

from typing import Any

from accounts.models import Account
from sam.documents import registry
from sam.numbers import whole
from sam.tenancy.urls import tenant_reverse
from voc import selectors
from voc.models import REPORT, Campaign


def report_campaign(params: dict[str, Any]) -> Campaign | None:
    """The campaign a report is narrowed to, from its parameters (none: every campaign that asked the account)."""
    campaign_id = whole(params.get("campaign", ""))
    if campaign_id is None:
        return None
    return Campaign.objects.filter(pk=campaign_id).first()


def report_context(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    return selectors.account_report(account, campaign=report_campaign(params))


def report_title(account: Account, params: dict[str, Any]) -> str:
    campaign = report_campaign(params)
    return f"Voice of the customer: {account.name}" + (f", {campaign.name}" if campaign is not None else "")


def report_page(account: Account, slug: str) -> str:
    return tenant_reverse("voc_account_report", account.pk, slug=slug)


def register() -> None:
    registry.register(
        registry.DocumentKind(
            key=REPORT,
            label="Account VoC report",
            subject_model=Account,
            template="voc/report_print.html",
            context=report_context,
            title=report_title,
            page_url=report_page,
        )
    )
