"""The monthly portfolio review: the PDF holds every tile's figure; the email goes once per month."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import AccountsSettings
from dashboard import reports
from dashboard.selectors import Filters, portfolio_review
from sam.documents.tasks import render_document
from sam.models import Document, OutboundEmail
from sam.roles import Role

pytestmark = pytest.mark.django_db


def pdf_text(document: Document) -> str:
    document.refresh_from_db()
    with document.file.open("rb") as handle:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)


def test_the_pdf_holds_every_tiles_figure(tenant_a, world, client_for):
    client = client_for(tenant_a.users[Role.EXECUTIVE])
    response = client.post(reverse("dashboard_review_request", args=["alpha"]) + "?window=24")
    assert response.status_code == 302
    with tenant_a.ctx():
        document = Document.objects.get(kind=reports.KIND)
        assert document.params["start"] and document.params["mine"] is None
        review = portfolio_review(Filters.from_params(document.params), tenant=tenant_a.tenant)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"
    with tenant_a.ctx():
        text = " ".join(pdf_text(document).split())
    r = review["retention"]
    assert f"{r['rate']:g}% of targeted accounts kept ({r['retained']} of {r['came_up']}" in text
    assert f"Gross revenue retention {r['grr']:g}%" in text and f"net revenue retention {r['nrr']:g}%" in text
    assert "Cedar" in text and "Price (to Rival)" in text
    assert f"Accounts at risk ({len(review['at_risk'])})" in text
    assert "Health is red (40)" in text and "1 detractor in 1 survey answer" in text
    h = review["health"]["now"]
    assert f"{h['green']} green {h['amber']} amber {h['red']} red" in text
    assert f"NPS {review['surveys']['nps'].score:.0f} from 2 answers" in text
    assert "50% promoters, 0% passives, 50% detractors" in text
    assert "Truly loyal 1 · Accessible 0 · Trapped 0 · High risk 1" in text
    assert "Alder 100 1 0 0 Truly loyal 5.0 3 1" in text  # per account: NPS, shares, segment, satisfaction, incidents
    assert "SOFTWARE 320,000 120,000 440,000" in text.upper() and "STRATEGIC 370,000 120,000 490,000" in text.upper()
    assert f"{review['qbr']['rate']}% of QBRs held" in text
    assert f"{review['actions']['total']} overdue actions" in text
    for year in review["revenue"]["by_year"]:
        assert f"{year['year']}: USD {year['total']:,.0f}" in text
    assert "not counted" in text and "GBP 10,000" in text  # the amount without a rate, shown apart
    page = client.get(reverse("dashboard_reviews", args=["alpha"]))
    assert page.status_code == 200 and b"Version 1" in page.content


def test_the_monthly_email_goes_once_a_month(tenant_a, world):
    with tenant_a.ctx():
        assert reports.monthly_review_send(date(2026, 12, 2)) == 1
        assert reports.monthly_review_send(date(2026, 12, 2)) == 0
        assert reports.monthly_review_send(date(2026, 12, 31)) == 0
        emails = list(OutboundEmail.objects.all())
        assert len(emails) == 1
        assert sorted(emails[0].to) == sorted([tenant_a.users[Role.ADMIN].email, tenant_a.users[Role.EXECUTIVE].email])
        assert emails[0].attachments == [{"document": Document.objects.get(kind=reports.KIND).pk}]
        assert "December 2026" in emails[0].subject
        assert reports.monthly_review_send(date(2027, 1, 1)) == 1
        assert OutboundEmail.objects.count() == 2
        assert Document.objects.filter(kind=reports.KIND).count() == 2


def test_the_monthly_email_follows_the_tenant_setting(tenant_a):
    with tenant_a.ctx():
        AccountsSettings.current()
        AccountsSettings.objects.update(monthly_review_email=False)
        assert reports.monthly_review_send(date(2026, 12, 2)) == 0
        assert not OutboundEmail.objects.exists()


def test_the_beat_task_runs_for_every_tenant_once(tenant_a, tenant_b):
    from dashboard.tasks import monthly_review_all

    assert monthly_review_all() == 2
    assert monthly_review_all() == 0


def test_viewers_cannot_make_the_pdf(tenant_a, client_for):
    response = client_for(tenant_a.users[Role.VIEWER]).post(reverse("dashboard_review_request", args=["alpha"]))
    assert response.status_code == 403
    with tenant_a.ctx():
        assert not Document.objects.exists()
