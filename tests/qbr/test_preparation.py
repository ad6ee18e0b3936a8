"""The preparation checklist of a QBR: our facts next to what we expect the customer to say, completed (late or
not) with the facts kept, warned about when the pre-read is near, printed in the pack; pages and API."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts import services as account_services
from accounts.models import Incident, IncidentCategory, TeamAssignment
from qbr import calc, selectors, services
from qbr.models import PACK, Milestone, Preparation, PreparationRow, Qbr
from sam.documents.tasks import render_document
from sam.models import AuditEvent, Document, OutboundEmail
from sam.roles import Role
from sam.services import token_create
from scorecards import services as scorecard_services
from scorecards import sources as metric_sources
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db

TOPICS = [t for t, _ in PreparationRow.Topic.choices]
FILLED = {t: {"expected": f"They will raise the {t}.", "answer": f"Our answer on the {t}."} for t in TOPICS}


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def current(world, account) -> Qbr:
    with world.ctx():
        services.qbrs_schedule()
        return Qbr.objects.filter(account=account).order_by("period_start").first()


def preread_due_in(world, qbr, days: int) -> date:
    due = timezone.localdate() + timedelta(days=days)
    with world.ctx():
        Milestone.objects.filter(qbr=qbr, kind=Milestone.Kind.PREREAD).update(due=due)
    return due


def form_data(rows=FILLED):
    data = {}
    for topic in TOPICS:
        data[f"{topic}_expected"] = rows.get(topic, {}).get("expected", "")
        data[f"{topic}_answer"] = rows.get(topic, {}).get("answer", "")
    return data


def saved(world, qbr) -> dict[str, tuple[str, str]]:
    with world.ctx():
        return {r.topic: (r.expected, r.answer) for r in PreparationRow.objects.filter(preparation__qbr=qbr)}


def is_complete(world, qbr) -> bool:
    with world.ctx():
        return Preparation.objects.filter(qbr=qbr, completed_at__isnull=False).exists()


def on_team(world, account, role=Role.MEMBER):
    with world.ctx():
        TeamAssignment.objects.create(account=account, user=world.users[role], role="technical_lead")


# --- the rules, without the database ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (4, None),
        (30, None),
        (3, "is due in 3 days"),
        (2, "is due in 2 days"),
        (1, "is due tomorrow"),
        (0, "is due today"),
        (-1, "1 day ago"),
        (-9, "9 days ago"),
    ],
)
def test_the_warning_comes_three_days_before_the_preread_and_stays(days, expected):
    today = date(2026, 11, 10)
    warning = calc.preparation_warning(complete=False, open=True, preread_due=today + timedelta(days=days), today=today)
    if expected is None:
        assert warning is None
    else:
        assert warning is not None and expected in warning and warning.startswith("Our preparation is not complete")


def test_no_warning_when_complete_closed_or_without_a_preread():
    today = date(2026, 11, 10)
    assert calc.preparation_warning(complete=True, open=True, preread_due=today, today=today) is None
    assert calc.preparation_warning(complete=False, open=False, preread_due=today, today=today) is None
    assert calc.preparation_warning(complete=False, open=True, preread_due=None, today=today) is None


def test_late_only_after_the_day_the_preread_was_due():
    due = date(2026, 11, 10)
    assert calc.completed_late(preread_due=due, completed_on=due - timedelta(days=1)) is False
    assert calc.completed_late(preread_due=due, completed_on=due) is False
    assert calc.completed_late(preread_due=due, completed_on=due + timedelta(days=1)) is True
    assert calc.completed_late(preread_due=None, completed_on=due) is False


def test_the_period_looked_back_on():
    quarter = Qbr(period_start=date(2026, 10, 1), period_end=date(2026, 12, 31))
    assert calc.review_start(quarter, None) == date(2026, 7, 1)  # the quarter before
    assert calc.review_start(quarter, date(2026, 8, 14)) == date(2026, 8, 15)  # since the last QBR
    month = Qbr(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    assert calc.review_start(month, None) == date(2026, 2, 1)
    january = Qbr(period_start=date(2027, 1, 1), period_end=date(2027, 6, 30))
    assert calc.review_start(january, None) == date(2026, 7, 1)  # a half-year, across the year's end


# --- our facts ---------------------------------------------------------------------------------------------------


def test_facts_of_each_topic(tenant_a, account_a, monkeypatch):
    qbr = current(tenant_a, account_a)
    today = timezone.localdate()
    with tenant_a.ctx():
        facts = selectors.preparation_facts(qbr)
        assert facts["scorecard"]["summary"] == "No scorecard has a health yet."
        assert facts["incidents"]["summary"].startswith("No incident since")
        assert facts["actions"]["summary"] == "No open action in the account's register."
        # a scorecard with one metric at its red threshold and the rest on target
        card = scorecard_services.scorecard_for(account=account_a, period=scorecard_services.period_for(today))
        manual = list(card.version.metrics.filter(source="manual", retired=False).order_by("order", "pk"))
        for n, metric in enumerate(manual):
            scorecard_services.value_set(
                scorecard=card, metric=metric, value=metric.red if n == 0 else metric.target, acting_user=None
            )
        category = IncidentCategory.objects.first()
        now = timezone.now()
        account_services.incident_record(account=account_a, data={"category": category, "summary": "Portal down",
                                         "severity": "critical", "opened_at": now})  # fmt: skip
        account_services.incident_record(account=account_a, data={"category": category, "summary": "Slow login",
                                         "severity": "low", "opened_at": now, "resolved_at": now})  # fmt: skip
        account_services.incident_record(account=account_a, data={"category": category, "summary": "Ancient",
                                         "opened_at": now - timedelta(days=400)})  # fmt: skip
        account_services.action_item_add(account=account_a, title="Send the plan", due=today - timedelta(days=2))
        account_services.action_item_add(account=account_a, title="Book the visit", due=today + timedelta(days=9))
        monkeypatch.setitem(
            metric_sources._sources,
            "voc_nps",
            metric_sources.Source("voc_nps", "NPS", lambda account, window: (Decimal("20"), "NPS of 8 answers")),
        )
        facts = selectors.preparation_facts(qbr)
    scorecard = facts["scorecard"]
    assert "of 100" in scorecard["summary"] and "1 metric below target in 1 area." in scorecard["summary"]
    assert manual[0].name in scorecard["lines"][0] and "red" in scorecard["lines"][0]
    incidents = facts["incidents"]
    assert (
        incidents["summary"].startswith("2 incidents since")
        and "1 critical, 1 low; 1 still open." in incidents["summary"]
    )
    assert "Portal down (open)" in incidents["lines"][0] and not any("Ancient" in line for line in incidents["lines"])
    assert facts["actions"]["summary"] == "2 open actions in the register, 1 overdue."
    assert facts["actions"]["lines"] == [
        f"Send the plan · no owner · due {calc.day_text(today - timedelta(days=2))} (overdue)"
    ]
    assert (
        facts["surveys"]["summary"].startswith("NPS +20 since") and "(NPS of 8 answers)" in facts["surveys"]["summary"]
    )


def test_the_period_starts_after_the_last_qbr_held(tenant_a, account_a):
    with tenant_a.ctx():
        services.qbrs_schedule()
        first, following = Qbr.objects.filter(account=account_a).order_by("period_start")[:2]
        held_at = timezone.make_aware(datetime.combine(first.period_start + timedelta(days=20), datetime.min.time()))
        Qbr.objects.filter(pk=first.pk).update(status=Qbr.Status.HELD, held_at=held_at)
        window = selectors.preparation_window(following, timezone.localdate())
    assert window.start == timezone.localtime(held_at).date() + timedelta(days=1)
    assert window.label.startswith("since the last QBR")


# --- the services -------------------------------------------------------------------------------------------------


def test_save_fill_in_parts_and_complete_keeps_the_facts(tenant_a, account_a):
    qbr = current(tenant_a, account_a)
    manager = tenant_a.users[Role.ACCOUNT_MANAGER]
    preread_due_in(tenant_a, qbr, 10)
    with tenant_a.ctx():
        services.preparation_save(qbr=qbr, rows={"scorecard": {"expected": "  Delivery slipped  "}},
                                  acting_user=manager)  # fmt: skip
        services.preparation_save(qbr=qbr, rows={"scorecard": {"answer": "Recovery plan"}}, acting_user=manager)
        assert PreparationRow.objects.filter(preparation__qbr=qbr).count() == 4
        view = selectors.preparation_view(qbr)
        assert view["expected"] == 1 and not view["complete"] and view["warning"] is None
        assert view["rows"][0]["expected"] == "Delivery slipped" and view["rows"][0]["answer"] == "Recovery plan"
        with pytest.raises(ValidationError) as refused:
            services.preparation_complete(qbr=qbr, acting_user=manager)
        assert set(refused.value.message_dict) == {"incidents_expected", "actions_expected", "surveys_expected"}
        assert not Preparation.objects.get(qbr=qbr).complete
        services.preparation_save(qbr=qbr, rows=FILLED, acting_user=manager)
        done = services.preparation_complete(qbr=qbr, acting_user=manager)
        assert done.complete and not done.completed_late and done.completed_by == manager
        assert AuditEvent.objects.filter(action="qbr.preparation_complete", object_id=str(qbr.pk)).exists()
        kept = selectors.preparation_view(qbr)["rows"][2]["facts"]
        assert kept["summary"] == "No open action in the account's register."
        account_services.action_item_add(account=account_a, title="New since", due=None)
        assert selectors.preparation_view(qbr)["rows"][2]["facts"] == kept  # frozen
        with pytest.raises(ValidationError, match="reopen it"):
            services.preparation_save(qbr=qbr, rows={"scorecard": {"expected": ""}}, acting_user=manager)
        with pytest.raises(ValidationError, match="complete already"):
            services.preparation_complete(qbr=qbr, acting_user=manager)
        services.preparation_reopen(qbr=qbr, acting_user=manager)
        view = selectors.preparation_view(qbr)
        assert not view["complete"] and view["rows"][2]["facts"]["summary"].startswith("1 open action")
        with pytest.raises(ValidationError, match="not complete"):
            services.preparation_reopen(qbr=qbr, acting_user=manager)


def test_completing_after_the_preread_was_due_is_late(tenant_a, account_a):
    qbr = current(tenant_a, account_a)
    preread_due_in(tenant_a, qbr, -1)
    with tenant_a.ctx():
        assert "1 day ago" in selectors.preparation_view(qbr)["warning"]
        services.preparation_save(qbr=qbr, rows=FILLED, acting_user=None)
        done = services.preparation_complete(qbr=qbr, acting_user=None)
        assert done.completed_late
        view = selectors.preparation_view(qbr)
        assert view["late"] and view["warning"] is None


@pytest.mark.parametrize(
    "rows",
    [
        {"scorecard": {"expected": "a\x00b"}},
        {"scorecard": {"answer": "x" * (calc.PREPARATION_TEXT_MAX + 1)}},
        {"scorecard": {"expected": ["not", "text"]}},
        {"weather": {"expected": "Sunny"}},
        {"scorecard": "just a string"},
    ],
)
def test_bad_rows_change_nothing(tenant_a, account_a, rows):
    qbr = current(tenant_a, account_a)
    with tenant_a.ctx():
        services.preparation_save(qbr=qbr, rows={"incidents": {"expected": "Before"}}, acting_user=None)
        with pytest.raises(ValidationError):
            services.preparation_save(qbr=qbr, rows={"incidents": {"expected": "After"}, **rows}, acting_user=None)
        with pytest.raises(ValidationError):
            services.preparation_save(qbr=qbr, rows={}, acting_user=None)
    assert saved(tenant_a, qbr)["incidents"] == ("Before", "")


def test_a_held_or_cancelled_qbr_keeps_its_preparation(tenant_a, account_a):
    qbr = current(tenant_a, account_a)
    with tenant_a.ctx():
        Qbr.objects.filter(pk=qbr.pk).update(status=Qbr.Status.CANCELLED)
        qbr.refresh_from_db()
        with pytest.raises(ValidationError, match="cannot change"):
            services.preparation_save(qbr=qbr, rows=FILLED, acting_user=None)
        with pytest.raises(ValidationError, match="cannot change"):
            services.preparation_complete(qbr=qbr, acting_user=None)
        assert not Preparation.objects.exists()
        assert selectors.preparation_view(qbr)["warning"] is None


# --- the reminders -------------------------------------------------------------------------------------------------


def test_one_preparation_reminder_in_the_days_before_the_preread(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 10, 2))
        qbr = Qbr.objects.get(account=account, period_label="2026-Q4")
        due = Milestone.objects.get(qbr=qbr, kind=Milestone.Kind.PREREAD).due  # 8 Nov 2026
        services.preparation_reminders_send(due - timedelta(days=4))
        assert not OutboundEmail.objects.filter(idempotency_key__startswith="qbr-preparation:").exists()
        services.preparation_reminders_send(due - timedelta(days=3))
        services.preparation_reminders_send(due - timedelta(days=1))  # once per pre-read date
        email = OutboundEmail.objects.get(idempotency_key__startswith="qbr-preparation:")
        assert email.to == [account.owner.email] and "not complete" in email.subject and "in 3 days" in email.body_text
        # the pre-read's own reminder, once it falls due, carries the warning
        services.reminders_send(today=due)
        preread = OutboundEmail.objects.get(subject__endswith="joint scorecard and pre-read sent")
        assert "Our preparation is not complete and the pre-read is due today." in preread.body_text


def test_no_preparation_reminder_once_complete(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 10, 2))
        qbr = Qbr.objects.get(account=account, period_label="2026-Q4")
        due = Milestone.objects.get(qbr=qbr, kind=Milestone.Kind.PREREAD).due
        services.preparation_save(qbr=qbr, rows=FILLED, acting_user=None)
        services.preparation_complete(qbr=qbr, acting_user=None)
        assert services.preparation_reminders_send(due - timedelta(days=2)) == 0
        services.reminders_send(today=due)
        preread = OutboundEmail.objects.get(subject__endswith="joint scorecard and pre-read sent")
        assert "preparation" not in preread.body_text


# --- the page ----------------------------------------------------------------------------------------------------


def test_the_page_shows_warns_saves_and_completes(tenant_a, account_a, client_for):
    qbr = current(tenant_a, account_a)
    preread_due_in(tenant_a, qbr, 2)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = client.get(url("qbr_detail", qbr.pk)).content.decode()
    assert "Our preparation" in page and "is due in 2 days" in page and "No open action in the account" in page
    assert "Save and mark complete" in page and "<legend" in page
    response = client.post(url("qbr_preparation", qbr.pk), form_data({"scorecard": FILLED["scorecard"]}))
    assert response.status_code == 302
    assert saved(tenant_a, qbr)["scorecard"] == (FILLED["scorecard"]["expected"], FILLED["scorecard"]["answer"])
    htmx = client.post(url("qbr_preparation", qbr.pk), form_data(), headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and b"Preparation saved." in htmx.content and b"<html" not in htmx.content
    done = client.post(url("qbr_preparation_complete", qbr.pk), form_data(), headers={"HX-Request": "true"})
    assert done.status_code == 200 and b"Our preparation is complete" in done.content
    assert is_complete(tenant_a, qbr)
    page = client.get(url("qbr_detail", qbr.pk)).content.decode()
    assert "is due in 2 days" not in page and "Reopen the preparation" in page and "Save preparation" not in page
    reopened = client.post(url("qbr_preparation_reopen", qbr.pk))
    assert reopened.status_code == 302 and not is_complete(tenant_a, qbr)


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("qbr_preparation", {**form_data(), "scorecard_expected": "a\x00b"}),
        ("qbr_preparation", {**form_data(), "actions_answer": "x" * (calc.PREPARATION_TEXT_MAX + 1)}),
        ("qbr_preparation_complete", {**form_data(), "surveys_expected": ""}),
        ("qbr_preparation_complete", {**form_data(), "incidents_expected": "a\x00b"}),
    ],
)
def test_bad_input_on_the_page_is_a_400_and_changes_nothing(tenant_a, account_a, client_for, route, data):
    qbr = current(tenant_a, account_a)
    with tenant_a.ctx():
        services.preparation_save(qbr=qbr, rows={"incidents": {"expected": "Before"}}, acting_user=None)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    assert client.post(url(route, qbr.pk), data).status_code == 400
    htmx = client.post(url(route, qbr.pk), data, headers={"HX-Request": "true"})
    assert htmx.status_code == 422 and b"<html" not in htmx.content
    assert saved(tenant_a, qbr) == {"incidents": ("Before", ""), **{t: ("", "") for t in TOPICS if t != "incidents"}}
    assert not is_complete(tenant_a, qbr)


def test_who_may_fill_and_who_may_complete_on_the_page(tenant_a, account_a, client_for):
    qbr = current(tenant_a, account_a)
    on_team(tenant_a, account_a)
    member = client_for(tenant_a.users[Role.MEMBER])
    assert member.post(url("qbr_preparation", qbr.pk), form_data()).status_code == 302  # the team fills it
    page = member.get(url("qbr_detail", qbr.pk)).content.decode()
    assert "Save preparation" in page and "Save and mark complete" not in page
    assert member.post(url("qbr_preparation_complete", qbr.pk), form_data()).status_code == 403
    assert not is_complete(tenant_a, qbr)
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert "Save preparation" not in viewer.get(url("qbr_detail", qbr.pk)).content.decode()
    assert viewer.post(url("qbr_preparation", qbr.pk), form_data({})).status_code == 403
    outsider = client_for(tenant_a.users[Role.EXECUTIVE])
    assert outsider.post(url("qbr_preparation", qbr.pk), form_data({})).status_code == 403
    admin = client_for(tenant_a.admin)
    assert admin.post(url("qbr_preparation_complete", qbr.pk), form_data()).status_code == 302
    assert is_complete(tenant_a, qbr)
    assert member.post(url("qbr_preparation_reopen", qbr.pk)).status_code == 403
    assert saved(tenant_a, qbr)["scorecard"] == (FILLED["scorecard"]["expected"], FILLED["scorecard"]["answer"])


def test_another_tenants_qbr_is_not_found_on_the_page(tenant_a, tenant_b, account_a, client_for):
    qbr = current(tenant_a, account_a)
    stranger = client_for(tenant_b.admin)
    for route in ("qbr_preparation", "qbr_preparation_complete", "qbr_preparation_reopen"):
        path = reverse(route, args=["bravo", qbr.pk])
        assert stranger.post(path, form_data()).status_code == 404
    assert not saved(tenant_a, qbr)


def test_the_page_costs_the_same_queries_however_much_data(tenant_a, account_a, client_for,
                                                            django_assert_max_num_queries):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    qbr = current(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    with tenant_a.ctx():
        category = IncidentCategory.objects.first()
        account_services.incident_record(account=account_a, data={"category": category, "summary": "One"})
        account_services.action_item_add(account=account_a, title="One", due=timezone.localdate())
    client.get(url("qbr_detail", qbr.pk))
    with CaptureQueriesContext(connection) as few:
        client.get(url("qbr_detail", qbr.pk))
    with tenant_a.ctx():
        for n in range(15):
            Incident.objects.create(account=account_a, category=category, summary=f"Incident {n}")
            account_services.action_item_add(account=account_a, title=f"Action {n}", due=timezone.localdate())
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url("qbr_detail", qbr.pk)).content.decode()
    assert "16 incidents since" in body and "16 open actions in the register" in body


# --- the API -------------------------------------------------------------------------------------------------------


def api(world, role=Role.ACCOUNT_MANAGER):
    with world.ctx():
        _, token = token_create(membership=world.memberships[role], name="t", expires_in_days=None)
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def put(client, path, data):
    return client.put(path, data, content_type="application/json")


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def test_the_checklist_through_the_api(tenant_a, account_a):
    qbr = current(tenant_a, account_a)
    preread_due_in(tenant_a, qbr, -2)
    client = api(tenant_a)
    path = f"/api/v1/qbrs/{qbr.pk}/preparation/"
    shown = client.get(path)
    assert shown.status_code == 200
    body = shown.json()
    assert [r["topic"] for r in body["rows"]] == TOPICS and not body["complete"] and "2 days ago" in body["warning"]
    assert body["rows"][0]["facts"]["summary"] == "No scorecard has a health yet."
    assert post(client, f"{path}complete/").status_code == 400  # nothing written yet
    assert not is_complete(tenant_a, qbr)
    first = put(client, path, {"rows": [{"topic": "scorecard", "expected": "Slipped", "answer": "Plan"}]})
    assert first.status_code == 200 and first.json()["rows"][0]["expected"] == "Slipped"
    rows = [{"topic": t, "expected": f"About {t}"} for t in TOPICS]
    assert put(client, path, {"rows": rows}).status_code == 200
    assert saved(tenant_a, qbr)["scorecard"] == ("About scorecard", "Plan")  # an answer left out stays
    done = post(client, f"{path}complete/")
    assert done.status_code == 200 and done.json()["complete"] and done.json()["late"]
    assert done.json()["warning"] is None and done.json()["completed_by"] == tenant_a.users[Role.ACCOUNT_MANAGER].pk
    assert put(client, path, {"rows": rows}).status_code == 400  # complete: reopen first
    reopened = post(client, f"{path}reopen/")
    assert reopened.status_code == 200 and not reopened.json()["complete"]
    assert put(client, f"/api/v1/qbrs/{qbr.pk}/", {"location": "Room 1"}).status_code == 405  # a QBR: PATCH only


@pytest.mark.parametrize(
    "body",
    [
        {"rows": [{"topic": "scorecard", "expected": "a\x00b"}]},
        {"rows": [{"topic": "scorecard", "expected": "x" * (calc.PREPARATION_TEXT_MAX + 1)}]},
        {"rows": [{"topic": "scorecard", "expected": "ok", "answer": "y" * (calc.PREPARATION_TEXT_MAX + 1)}]},
        {"rows": [{"topic": "weather", "expected": "Sunny"}]},
        {"rows": [{"topic": "scorecard", "expected": "One"}, {"topic": "scorecard", "expected": "Two"}]},
        {"rows": [{"topic": "scorecard"}]},
        {"rows": []},
        {"rows": "scorecard"},
        {"rows": [{"topic": "scorecard", "expected": {"nested": 1}}]},
        {},
    ],
)
def test_bad_input_through_the_api_is_a_400_and_changes_nothing(tenant_a, account_a, body):
    qbr = current(tenant_a, account_a)
    with tenant_a.ctx():
        services.preparation_save(qbr=qbr, rows={"scorecard": {"expected": "Before"}}, acting_user=None)
    response = put(api(tenant_a), f"/api/v1/qbrs/{qbr.pk}/preparation/", body)
    assert response.status_code == 400, response.content
    assert saved(tenant_a, qbr)["scorecard"] == ("Before", "")


def test_who_may_do_what_through_the_api(tenant_a, tenant_b, account_a):
    qbr = current(tenant_a, account_a)
    on_team(tenant_a, account_a)
    path = f"/api/v1/qbrs/{qbr.pk}/preparation/"
    rows = {"rows": [{"topic": t, "expected": "Fine"} for t in TOPICS]}
    viewer = api(tenant_a, Role.VIEWER)
    assert viewer.get(path).status_code == 200
    assert put(viewer, path, rows).status_code == 403
    member = api(tenant_a, Role.MEMBER)
    assert put(member, path, rows).status_code == 200
    assert post(member, f"{path}complete/").status_code == 403
    assert not is_complete(tenant_a, qbr)
    other = api(tenant_b, Role.ADMIN)
    assert other.get(path).status_code == 404
    assert put(other, path, {"rows": [{"topic": "scorecard", "expected": "Theirs"}]}).status_code == 404
    assert post(other, f"{path}complete/").status_code == 404
    assert not is_complete(tenant_a, qbr) and saved(tenant_a, qbr)["scorecard"] == ("Fine", "")
    assert post(api(tenant_a, Role.ADMIN), f"{path}complete/").status_code == 200
    assert post(other, f"{path}reopen/").status_code == 404
    assert post(member, f"{path}reopen/").status_code == 403
    assert is_complete(tenant_a, qbr)


# --- the pack ------------------------------------------------------------------------------------------------------


def _pack_text(world, qbr, client, route, capture):
    with capture(execute=False):
        client.post(url(route, qbr.pk))
    with world.ctx():
        document = Document.objects.filter(kind=PACK, subject_id=qbr.pk).latest("pk")
    assert render_document.apply(args=[world.tenant.pk, document.pk]).result == "ready"
    with world.ctx():
        document.refresh_from_db()
        with document.file.open("rb") as handle:
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    return document, " ".join(text.split())


def test_the_teams_pack_prints_our_preparation_and_is_never_sent(
    tenant_a, account_a, client_for, django_capture_on_commit_callbacks
):
    qbr = current(tenant_a, account_a)
    with tenant_a.ctx():
        rows = {"incidents": {"expected": "They will ask about the outage", "answer": "Root cause shared"}}
        services.preparation_save(qbr=qbr, rows=rows, acting_user=None)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    team, text = _pack_text(tenant_a, qbr, client, "qbr_pack_team", django_capture_on_commit_callbacks)
    assert "team copy" in team.title
    assert "Our preparation" in text and "They will ask about the outage" in text and "Root cause shared" in text
    assert "what we expect the customer to say" in text.lower() and "Not complete yet" in text
    # the participants' copy leaves our expectations out, and only it can be sent to them
    _, text = _pack_text(tenant_a, qbr, client, "qbr_pack", django_capture_on_commit_callbacks)
    assert "Our preparation" not in text and "They will ask about the outage" not in text
    with tenant_a.ctx(), pytest.raises(ValidationError, match="stays with the team"):
        services.document_send(qbr=qbr, document=team)
    response = client.post(url("qbr_send", qbr.pk), {"document": team.pk})
    assert response.status_code == 400
    with tenant_a.ctx():
        assert not OutboundEmail.objects.filter(idempotency_key=f"qbr-document:{team.pk}").exists()


# --- the demo ------------------------------------------------------------------------------------------------------


def test_the_demo_has_a_complete_and_a_partly_filled_preparation(demo):
    from sam.models import Tenant
    from sam.tenancy.context import tenant_context

    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            complete = Preparation.objects.filter(completed_at__isnull=False)
            assert complete.exists()
            assert all(row.expected and row.facts for p in complete for row in p.rows.all())
            partly = Preparation.objects.filter(completed_at__isnull=True)
            assert any(0 < p.rows.exclude(expected="").count() < 4 for p in partly)
