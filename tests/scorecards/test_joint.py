"""The joint account scorecard: joint metrics only, agreed targets, as a page and a PDF version."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from sam.documents.tasks import render_document
from sam.models import AuditEvent, Document
from sam.roles import Role
from scorecards import reports, selectors, services, templating
from scorecards.models import Scorecard

# NPS and satisfaction entered by hand, as in templates made before the survey program filled them.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_metrics_by_hand")]


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def filled(world, account):
    today = timezone.localdate()
    with world.ctx():
        before = services.scorecard_for(account=account, period=services.period_for(today - timedelta(days=92)))
        card = services.scorecard_for(account=account, period=services.period_for(today))
        for target, values in ((before, {"satisfaction": "4.6", "nps": "30"}),
                               (card, {"satisfaction": "3.8", "nps": "45", "share_of_wallet": "55"})):  # fmt: skip
            for key, value in values.items():
                services.value_set(scorecard=target, metric=target.version.metrics.get(key=key), value=value,
                                   comment="Survey <b>wave</b>" if key == "nps" else "", acting_user=None)  # fmt: skip
    return card


def test_joint_context_has_only_joint_metrics(tenant_a, account_a):
    card = filled(tenant_a, account_a)
    with tenant_a.ctx():
        context = reports.joint_context(card)
    keys = [row["metric"].key for row in context["rows"]]
    assert "share_of_wallet" not in keys and "growth" not in keys  # internal metrics stay internal
    assert {"satisfaction", "nps", "on_time", "incidents", "events"} <= set(keys)
    rows = {row["metric"].key: row for row in context["rows"]}
    assert rows["nps"]["status"] == "green" and rows["satisfaction"]["status"] == "red"
    assert rows["events"]["status"] == "nodata" and rows["events"]["number"] is None
    assert rows["satisfaction"]["arrow"]["tone"] == "danger"
    assert 0 <= context["joint_score"] <= 100


def test_joint_pdf_renders_through_the_documents_pipeline(tenant_a, account_a, client_for,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    card = filled(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = client.get(url("joint_scorecard", account_a.pk))
    assert page.status_code == 200 and b"Net Promoter Score" in page.content and b"Share of wallet" not in page.content
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url("joint_scorecard_pdf", account_a.pk))
    assert response.status_code == 302
    with tenant_a.ctx():
        document = Document.objects.get(kind=reports.JOINT_KIND)
        assert document.subject_id == card.pk
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"
    with tenant_a.ctx():
        document.refresh_from_db()
        with document.file.open("rb") as handle:
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert f"Joint account scorecard: {account_a.name}" in text

    for expected in ("Net Promoter Score", "AGREED TARGET", "Survey <b>wave</b>", "no data", "Page 1 of"):
        assert expected in text, expected
    assert "Share of wallet" not in text
    listed = client.get(url("joint_scorecard", account_a.pk))
    assert reverse("document_download", args=["alpha", document.pk]).encode() in listed.content


def test_viewer_sees_but_cannot_request(tenant_a, account_a, client_for):
    client = client_for(tenant_a.users[Role.VIEWER])
    assert client.get(url("joint_scorecard", account_a.pk)).status_code == 200
    assert client.post(url("joint_scorecard_pdf", account_a.pk)).status_code == 403
    with tenant_a.ctx():
        assert not Document.objects.exists()


def test_no_joint_metrics_says_how_to_get_some(tenant_a, account_a, client_for):
    with tenant_a.ctx():
        template = services.template_defaults_ensure()
        for metric in selectors.current_version(template).metrics.filter(visibility="joint"):
            data = {f: getattr(metric, f) for f in templating.EDITABLE_FIELDS}
            templating.metric_update(template=template, key=metric.key, data={**data, "visibility": "internal"},
                                     acting_user=None)  # fmt: skip
    page = client_for(tenant_a.admin).get(url("joint_scorecard", account_a.pk))
    assert b"No measure of this scorecard is shared" in page.content


def test_joint_context_query_count_is_constant(tenant_a, account_a, django_assert_max_num_queries):
    from decimal import Decimal

    from scorecards.models import MetricDefinition

    card = filled(tenant_a, account_a)
    with tenant_a.ctx(), CaptureQueriesContext(connection) as few:
        reports.joint_context(card)
    with tenant_a.ctx():
        for n in range(30):
            metric = MetricDefinition.objects.create(
                version=card.version, key=f"j{n}", area="involvement", name=f"Joint {n}", visibility="joint",
                target=Decimal(10), amber=Decimal(5), red=Decimal(0),
            )  # fmt: skip
            services.value_set(scorecard=card, metric=metric, value=n % 11, acting_user=None)
    with tenant_a.ctx(), django_assert_max_num_queries(few.final_queries - few.initial_queries):
        context = reports.joint_context(card)
    assert len(context["rows"]) >= 35


def test_agreed_targets_set_the_joint_measure_and_print(tenant_a, account_a, client_for,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    from sam.models import Document
    from scorecards.models import AgreedTarget

    card = filled(tenant_a, account_a)  # NPS 45 now: green against the standard 40
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        nps_id = card.version.metrics.get(key="nps").pk
        wallet_id = card.version.metrics.get(key="share_of_wallet").pk

    def target(metric_id: int) -> str:
        return url("joint_target_set", account_a.pk, metric_id)

    bad = [
        (nps_id, {"target": "lots"}, b"Enter a number"),
        (nps_id, {"target": "500"}, b"from -100 to 100"),
        (nps_id, {"target": "50", "agreed_on": "2999-01-01"}, b"cannot be in the future"),
        (nps_id, {"target": "50", "agreed_on": "yesterday"}, b"Enter a valid date"),
        (nps_id, {"target": "5\x000"}, b"Null characters are not allowed"),
        (wallet_id, {"target": "50"}, b"only joint metrics"),
    ]
    for metric_id, data, message in bad:
        response = client.post(target(metric_id), data)
        assert response.status_code == 400 and message in response.content, data
    assert client.post(target(999999), {"target": "1"}).status_code == 404
    assert client.get(target(nps_id)).status_code == 405
    with tenant_a.ctx():
        assert not AgreedTarget.objects.exists()
    saved = client.post(target(nps_id), {"target": "50", "agreed_with": "Dana (CIO)",
                                         "agreed_on": card.period.start.isoformat()}, follow=True)  # fmt: skip
    assert b"Agreed target of Net Promoter Score saved" in saved.content
    with tenant_a.ctx():
        context = reports.joint_context(card)
        nps = next(r for r in context["rows"] if r["metric"].key == "nps")
        assert nps["target"] == 50 and nps["status"] == "amber"  # 45 against the agreed 50
        internal = selectors.spec_of(card.version.metrics.get(key="nps"))
        assert internal.target == 40  # the internal scorecard keeps the standard
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("joint_scorecard_pdf", account_a.pk))
    with tenant_a.ctx():
        document = Document.objects.get(kind=reports.JOINT_KIND)
    render_document.apply(args=[tenant_a.tenant.pk, document.pk])
    with tenant_a.ctx():
        document.refresh_from_db()
        with document.file.open("rb") as handle:
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert "≥ 50" in text and "Dana (CIO)" in text and "standard" in text
    with tenant_a.ctx():  # agreed on this quarter's first day: the quarter before keeps the standard target
        earlier = Scorecard.objects.exclude(pk=card.pk).get(account=account_a)
        assert next(r for r in reports.joint_context(earlier)["rows"] if r["metric"].key == "nps")["target"] == 40
        assert AuditEvent.objects.filter(action="scorecard.agreed_target").count() == 1
    client.post(target(nps_id), {"target": "", "agreed_on": timezone.localdate().isoformat()})
    with tenant_a.ctx():  # a later, empty agreement: back to the standard from then on
        assert AgreedTarget.objects.count() == (1 if timezone.localdate() == card.period.start else 2)
        assert next(r for r in reports.joint_context(card)["rows"] if r["metric"].key == "nps")["target"] == 40
    assert client_for(tenant_a.users[Role.VIEWER]).post(target(nps_id), {"target": "1"}).status_code == 403
