"""The yearly progress report of an assessment's action plan: the anniversaries of its sharing (29 February
included), the beat job that renders the year's report and tells the account owner once, what the report reads,
and asking for it on the page and through the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import ActionItem, ActionItemEvent
from assessments import reports, selectors, services
from assessments.calc import anniversaries_passed, anniversary, plan_year, plan_year_span
from assessments.models import Assessment, Interview, Recommendation
from sam.documents.services import document_html
from sam.documents.tasks import render_document
from sam.models import Document, OutboundEmail
from sam.roles import Role
from tests.accounts.conftest import make_account
from tests.assessments.conftest import shared_assessment
from tests.assessments.test_views import pdf_text
from tests.qbr.test_api import api, post

pytestmark = pytest.mark.django_db


# --- the anniversaries --------------------------------------------------------------------------------------


def test_anniversaries_of_an_ordinary_day():
    shared = date(2025, 3, 10)
    assert [anniversary(shared, n) for n in range(3)] == [shared, date(2026, 3, 10), date(2027, 3, 10)]
    assert anniversaries_passed(shared, shared) == 0
    assert anniversaries_passed(shared, date(2026, 3, 9)) == 0  # not before
    assert anniversaries_passed(shared, date(2026, 3, 10)) == 1  # the first, on its day
    assert anniversaries_passed(shared, date(2027, 3, 9)) == 1
    assert anniversaries_passed(shared, date(2027, 3, 10)) == 2  # the second
    assert anniversaries_passed(shared, date(2024, 1, 1)) == 0  # before the sharing


def test_shared_on_29_february_the_anniversary_is_the_28th_in_common_years():
    shared = date(2024, 2, 29)
    assert anniversary(shared, 1) == date(2025, 2, 28)
    assert anniversary(shared, 4) == date(2028, 2, 29)  # a leap year again
    assert anniversaries_passed(shared, date(2025, 2, 27)) == 0
    assert anniversaries_passed(shared, date(2025, 2, 28)) == 1
    assert anniversaries_passed(shared, date(2025, 3, 1)) == 1
    assert anniversaries_passed(shared, date(2028, 2, 28)) == 3
    assert anniversaries_passed(shared, date(2028, 2, 29)) == 4


def test_the_years_of_the_plan_end_on_their_anniversary():
    shared = date(2024, 2, 29)
    assert plan_year_span(shared, 1) == (date(2024, 2, 29), date(2025, 2, 28))
    assert plan_year_span(shared, 2) == (date(2025, 3, 1), date(2026, 2, 28))
    assert [plan_year(shared, d) for d in (shared, date(2025, 2, 28), date(2025, 3, 1), date(2026, 2, 28))] == [
        1,
        1,
        2,
        2,
    ]


# --- the beat job --------------------------------------------------------------------------------------------


def accepted(world, account, *, shared_on: date):
    """A shared assessment with its recommendation accepted, shared on that day."""
    assessment, rec = shared_assessment(world, account)
    with world.ctx():
        services.recommendation_accept(recommendation=rec, acting_user=account.owner)
        Assessment.objects.filter(pk=assessment.pk).update(shared_on=shared_on, started_on=shared_on)
        assessment.refresh_from_db()
    return assessment, rec


def run_on(monkeypatch, day: date, capture) -> int:
    from assessments.tasks import progress_reports_all

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
    with capture(execute=False):
        return progress_reports_all()


@pytest.mark.parametrize(
    "shared,first,second",
    [
        (date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28)),
        (date(2025, 6, 30), date(2026, 6, 30), date(2027, 6, 30)),
    ],
)
def test_each_anniversary_renders_the_years_report_and_tells_the_owner_once(
    tenant_a, account_a, monkeypatch, django_capture_on_commit_callbacks, shared, first, second
):
    assessment, _ = accepted(tenant_a, account_a, shared_on=shared)
    key = f"assessment-progress-year:{assessment.pk}"

    def made():
        with tenant_a.ctx():
            docs = Document.objects.filter(kind=reports.PROGRESS_YEAR).order_by("pk")
            emails = OutboundEmail.objects.filter(idempotency_key__startswith=key).order_by("pk")
            return [d.params for d in docs], [e.idempotency_key for e in emails]

    capture = django_capture_on_commit_callbacks
    assert run_on(monkeypatch, first - timedelta(days=1), capture) == 0  # not before
    assert made() == ([], [])
    assert run_on(monkeypatch, first, capture) == 1  # the first anniversary
    assert run_on(monkeypatch, first, capture) == 0  # not twice the same day
    assert run_on(monkeypatch, first + timedelta(days=40), capture) == 0  # nor later in the year
    assert made() == ([{"year": 1, "through": first.isoformat()}], [f"{key}:1"])
    assert run_on(monkeypatch, second, capture) == 1  # the second
    assert run_on(monkeypatch, second + timedelta(days=1), capture) == 0
    assert made() == (
        [{"year": 1, "through": first.isoformat()}, {"year": 2, "through": second.isoformat()}],
        [f"{key}:1", f"{key}:2"],
    )
    with tenant_a.ctx():
        email = OutboundEmail.objects.get(idempotency_key=f"{key}:1")
        document = Document.objects.get(params__year=1)
    assert email.to == [account_a.owner.email] and "year 1" in email.subject and "Globex" in email.subject
    assert f"/t/alpha/documents/{document.pk}/download/" in email.body_text
    assert f"/t/alpha/assessments/{assessment.pk}/" in email.body_text
    assert document.title.startswith("Action plan progress, year 1: Globex")


def test_a_missed_anniversary_is_made_late_and_an_owner_without_email_still_gets_the_report(
    tenant_a, account_a, monkeypatch, django_capture_on_commit_callbacks
):
    shared = date(2025, 1, 15)
    assessment, _ = accepted(tenant_a, account_a, shared_on=shared)
    with tenant_a.ctx():
        type(account_a.owner).objects.filter(pk=account_a.owner_id).update(email="")
    capture = django_capture_on_commit_callbacks
    assert run_on(monkeypatch, date(2026, 1, 20), capture) == 1  # five days late: made all the same
    assert run_on(monkeypatch, date(2026, 1, 21), capture) == 0
    with tenant_a.ctx():
        assert Document.objects.filter(kind=reports.PROGRESS_YEAR).count() == 1
        assert not OutboundEmail.objects.exists()
    _ = assessment


def test_no_report_without_a_plan_or_sharing_and_none_for_a_deleted_account(
    tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    shared = date(2024, 5, 1)
    unplanned, _ = shared_assessment(tenant_a, make_account(tenant_a, name="Nothing accepted"))
    gone, _ = accepted(tenant_a, make_account(tenant_a, name="Gone"), shared_on=shared)
    with tenant_a.ctx():
        Assessment.objects.filter(pk=unplanned.pk).update(shared_on=shared)
        draft = services.assessment_create(account=gone.account, data={"title": "Draft"}, acting_user=None)
        Assessment.objects.filter(pk=draft.pk).update(started_on=shared)
        account_services.account_delete(account=gone.account, acting_user=None, reason="Left the program")
    assert run_on(monkeypatch, date(2025, 5, 1), django_capture_on_commit_callbacks) == 0
    with tenant_a.ctx():
        assert not Document.objects.exists() and not OutboundEmail.objects.exists()


def test_the_tick_runs_the_job(tenant_a, account_a):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("tick", "--only", "assessments.progress_yearly", stdout=out)
    assert out.getvalue().strip() == "assessments.progress_yearly: 0"


# --- what the report reads -------------------------------------------------------------------------------------


def test_a_years_progress_actions_changes_overdue_and_payback(tenant_a, account_a, django_capture_on_commit_callbacks):
    shared = timezone.localdate() - timedelta(days=400)
    assessment, rec = accepted(tenant_a, account_a, shared_on=shared)
    first_anniversary = anniversary(shared, 1)
    with tenant_a.ctx():
        one, two = ActionItem.objects.filter(dedupe_key__startswith=f"recommendation:{rec.pk}:").order_by("due")
        ActionItemEvent.objects.filter(item__in=[one, two]).update(at=timezone.now() - timedelta(days=398))
        account_services.action_item_update(item=one, data={"status": "done"}, acting_user=None)
        account_services.action_item_update(item=two, data={"due": shared + timedelta(days=100)}, acting_user=None)
        ActionItemEvent.objects.filter(changes__has_key="status").update(at=timezone.now() - timedelta(days=200))
        ActionItemEvent.objects.filter(changes__has_key="due").update(at=timezone.now() - timedelta(days=150))
        # A change after the year's end is not in the year's report; an action of another recommendation whose
        # id merely begins the same is not this one's.
        account_services.action_item_update(item=two, data={"title": "Publish the chart (v2)"}, acting_user=None)
        ActionItem.objects.create(account=account_a, title="Not mine", source_kind="assessment",
                                  source_id=str(assessment.pk), dedupe_key=f"recommendation:{rec.pk}9:1")  # fmt: skip
        year = selectors.yearly_progress(assessment, 1, first_anniversary)
    assert (year["first"], year["last"], year["through"], year["complete"]) == (
        shared,
        first_anniversary,
        first_anniversary,
        True,
    )
    row = year["rows"][0]
    assert row["rec"] == rec and [a["item"].pk for a in row["actions"]] == [two.pk, one.pk]
    assert row["counts"] == {"actions": 2, "done": 1, "open": 1, "dropped": 0, "overdue": 1, "done_in_year": 1}
    changes = {a["item"].pk: [w for c in a["changes"] for w in c["what"]] for a in row["actions"]}
    assert changes[one.pk] == ["added to the register", "status open → done"]
    assert changes[two.pk][0] == "added to the register" and changes[two.pk][1].startswith("due date moved from")
    assert "reworded" not in changes[two.pk]  # today: after the year's end
    assert row["figures"].customer.months == year["accepted"].customer.months == 4  # 2,000 / 6,000 x 12
    assert year["counts"]["actions"] == 3  # the plan as a whole counts every action of the assessment
    # The year running today: through today, not complete.
    with tenant_a.ctx():
        running = selectors.yearly_progress(assessment, 2, timezone.localdate())
    assert running["through"] == timezone.localdate() and not running["complete"]
    assert [w for a in running["rows"][0]["actions"] for c in a["changes"] for w in c["what"]] == ["reworded"]

    with tenant_a.ctx(), django_capture_on_commit_callbacks(execute=False):
        services.progress_report_prompt(assessment=assessment, year=1)
        document = Document.objects.get(kind=reports.PROGRESS_YEAR)
    assert render_document.apply(args=[tenant_a.tenant.pk, document.pk]).result == "ready"
    text = " ".join(pdf_text(tenant_a, document).split())
    for expected in ("Action plan progress, year 1: Globex", "One incident route", "Publish the chart",
                     "overdue", "status open → done", "Payback expected", "customer benefit 6,000.00 a year →",
                     "our benefit not known", "the whole of year 1"):  # fmt: skip
        assert expected in text, expected


def test_the_years_report_takes_a_constant_number_of_queries(tenant_a, account_a):
    shared = timezone.localdate() - timedelta(days=100)
    assessment, _ = accepted(tenant_a, account_a, shared_on=shared)

    def count() -> int:
        with tenant_a.ctx(), CaptureQueriesContext(connection) as queries:
            reports.progress_year_context(assessment, {"year": 1, "through": timezone.localdate().isoformat()})
        return len(queries)

    before = count()
    with tenant_a.ctx():
        for n in range(3):
            rec = Recommendation.objects.create(assessment=assessment, title=f"More {n}", steps="A\nB",
                                                start=shared, end=shared + timedelta(days=50))  # fmt: skip
            services.recommendation_accept(recommendation=rec, acting_user=account_a.owner)
            for item in ActionItem.objects.filter(dedupe_key__startswith=f"recommendation:{rec.pk}:"):
                account_services.action_item_update(item=item, data={"status": "in_progress"}, acting_user=None)
                account_services.action_item_update(item=item, data={"owner": tenant_a.admin}, acting_user=None)
    assert count() == before


# --- asking for it -----------------------------------------------------------------------------------------------


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def test_the_button_renders_the_year_running_today(tenant_a, tenant_b, account_a, client_for,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    shared = timezone.localdate() - timedelta(days=370)
    assessment, _ = accepted(tenant_a, account_a, shared_on=shared)
    with tenant_a.ctx():
        draft = services.assessment_create(account=account_a, data={"title": "Draft"}, acting_user=None)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = am.get(url("assessment_detail", assessment.pk))
    assert b"Yearly progress of the action plan" in page.content and b"Make the year 2 PDF" in page.content
    with django_capture_on_commit_callbacks(execute=False):
        made = am.post(url("assessment_progress_report", assessment.pk))
    assert made.status_code == 302
    with tenant_a.ctx():
        document = Document.objects.get(kind=reports.PROGRESS_YEAR)
    assert document.params == {"year": 2, "through": timezone.localdate().isoformat()}
    assert document.requested_by == tenant_a.users[Role.ACCOUNT_MANAGER]
    # An executive may ask for reports; a viewer may not; a draft has no plan year; another tenant's id is not found.
    with django_capture_on_commit_callbacks(execute=False):
        assert (
            client_for(tenant_a.users[Role.EXECUTIVE])
            .post(url("assessment_progress_report", assessment.pk))["Location"]
            .endswith("?tab=overview")
        )
    assert (
        client_for(tenant_a.users[Role.VIEWER]).post(url("assessment_progress_report", assessment.pk)).status_code
        == 403
    )
    refused = am.post(url("assessment_progress_report", draft.pk))
    assert refused.status_code == 400 and b"Share the assessment with the customer first" in refused.content
    other = client_for(tenant_b.admin).post(reverse("assessment_progress_report", args=["bravo", assessment.pk]))
    assert other.status_code == 404
    with tenant_a.ctx():
        assert Document.objects.filter(kind=reports.PROGRESS_YEAR).count() == 1  # the queued one, asked again


def test_the_api_renders_a_year_on_demand(tenant_a, tenant_b, account_a, django_capture_on_commit_callbacks):
    shared = timezone.localdate() - timedelta(days=370)
    assessment, _ = accepted(tenant_a, account_a, shared_on=shared)
    with tenant_a.ctx():
        draft = services.assessment_create(account=account_a, data={"title": "Draft"}, acting_user=None)
    client = api(tenant_a, Role.EXECUTIVE)  # may ask for reports without being on the team
    path = f"/api/v1/assessments/{assessment.pk}/progress-report/"
    with django_capture_on_commit_callbacks(execute=False):
        made = post(client, path, {"year": 1})
        again = post(client, path, {"year": 1})
        current = post(client, path, {})
    assert made.status_code == 202, made.json()
    body = made.json()
    assert body["params"] == {"year": 1, "through": anniversary(shared, 1).isoformat()} and body["queued_now"]
    assert body["download_url"] == f"/t/alpha/documents/{body['id']}/download/"
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # still queued: the same one
    assert current.status_code == 202 and current.json()["params"]["year"] == 2
    for bad in ({"year": 3}, {"year": 0}, {"year": "x"}, {"year": True}, {"year": [1]}):
        response = post(client, path, bad)
        assert response.status_code == 400 and "year" in response.json(), bad
    assert post(client, f"/api/v1/assessments/{draft.pk}/progress-report/", {}).status_code == 400
    assert post(api(tenant_a, Role.VIEWER), path, {}).status_code == 403
    assert post(api(tenant_b, Role.ADMIN), path, {}).status_code == 404
    assert post(client, "/api/v1/assessments/999999/progress-report/", {}).status_code == 404
    with tenant_a.ctx():
        assert Document.objects.filter(kind=reports.PROGRESS_YEAR).count() == 2


# --- the demo ------------------------------------------------------------------------------------------------------


def test_the_demo_shows_a_team_interview_a_confirmed_sharing_and_a_yearly_report(demo):
    from accounts.models import Account
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context

    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        assert Interview.objects.filter(colleague__isnull=False).count() >= 2
        confirmed = Assessment.objects.filter(confirmed_by__isnull=False, confirmed_on__isnull=False)
        assert {a.account.name for a in confirmed} == {"Hooli Media", "Umbrella Health"}
        old = Assessment.objects.get(account=Account.objects.get(name="Umbrella Health"))
        assert (timezone.localdate() - old.shared_on).days > 365
        document = Document.objects.get(kind=reports.PROGRESS_YEAR, subject_id=old.pk)
        assert document.params == {"year": 1, "through": anniversary(old.shared_on, 1).isoformat()}
        assert document.status == Document.Status.READY and document.pages >= 1
        assert OutboundEmail.objects.filter(idempotency_key=f"assessment-progress-year:{old.pk}:1").exists()
        year = selectors.yearly_progress(old, 1, anniversary(old.shared_on, 1))
        assert year["counts"]["done"] == 3 and year["counts"]["overdue"] >= 1 and year["changes"] >= 5
        html = document_html(document)
    assert "A change calendar the customer reads" in html and "status open → done" in html
