"""QBR pages: the list, and one QBR planned, agreed, held, with bad input refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ActionItem, Contact
from qbr import calc, services
from qbr.models import AgendaItem, Cadence, Qbr
from sam.roles import Role
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(name, args=["alpha", *args])


def planned(world, account):
    with world.ctx():
        services.qbrs_schedule()
        return Qbr.objects.filter(account=account).order_by("period_start").first()


def test_plan_agree_hold_from_the_page(tenant_a, account_a, client_for):
    qbr = planned(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url("qbr_detail", qbr.pk)
    assert client.get(page).status_code == 200
    past = (timezone.localdate() - timedelta(days=3)).isoformat()
    warned = client.post(url("qbr_schedule", qbr.pk), {"day": past, "time": "10:00", "timezone": "Europe/Berlin",
                                "location": "https://meet.example/qbr"})  # fmt: skip
    assert warned.status_code == 200 and b"in the past" in warned.content and b"Yes, use this date" in warned.content
    with tenant_a.ctx():
        assert Qbr.objects.get(pk=qbr.pk).scheduled_at is None
    day = max(qbr.period_start, timezone.localdate() - timedelta(days=1)).isoformat()  # the meeting took place
    client.post(url("qbr_schedule", qbr.pk), {"day": day, "time": "00:30", "timezone": "UTC",
                       "location": "Room 4", "confirm": "1"})  # fmt: skip
    with tenant_a.ctx():
        assert Qbr.objects.get(pk=qbr.pk).scheduled_at is not None
        economic = Contact.objects.create(account=account_a, name="Erin Economic", buyer_role="economic")
    assert client.post(url("qbr_contact_invite", qbr.pk), {"contact": economic.pk}).status_code == 302
    body = client.get(page).content.decode()
    assert "Erin Economic" in body and "No technical buyer is invited." in body
    empty = client.post(url("qbr_agenda_status", qbr.pk), {"status": "agreed"})
    assert empty.status_code == 400 and b"empty agenda" in empty.content
    client.post(url("qbr_agenda_from_template", qbr.pk))
    client.post(url("qbr_agenda_status", qbr.pk), {"status": "agreed"})
    with tenant_a.ctx():
        assert Qbr.objects.get(pk=qbr.pk).status == "agenda_agreed"
        item = AgendaItem.objects.filter(qbr=qbr).first()
    client.post(url("qbr_minutes", qbr.pk, item.pk), {"notes": "Budget frozen", "decisions": "Pilot first"})
    client.post(url("qbr_action_add", qbr.pk), {"title": "Send the pilot plan",
                       "owner": tenant_a.users[Role.ACCOUNT_MANAGER].pk, "due": "2030-01-31"})  # fmt: skip
    held = client.post(url("qbr_held", qbr.pk), follow=True)
    assert b"The QBR is held" in held.content
    with tenant_a.ctx():
        assert Qbr.objects.get(pk=qbr.pk).status == "held"
        action = ActionItem.objects.get(title="Send the pilot plan")
        assert action.source_kind == "qbr" and action.source_id == str(qbr.pk)
        following = Qbr.objects.filter(account=account_a).exclude(pk=qbr.pk).first()
    assert b"Send the pilot plan" in client.get(url("qbr_detail", following.pk)).content  # carried forward


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("qbr_contact_invite", {"contact": "abc"}),
        ("qbr_contact_invite", {}),
        ("qbr_colleague_invite", {"user": "abc"}),
        ("qbr_colleague_invite", {"contact": "1"}),
        ("qbr_schedule", {"day": "2026-13-45", "time": "10:00", "timezone": "UTC"}),
        ("qbr_schedule", {"day": "2026-12-01", "time": "10:00", "timezone": "Nowhere/City"}),
        ("qbr_schedule", {"day": "2026-12-01", "time": "10:00", "timezone": "UTC", "location": "x\x00y"}),
        ("qbr_item_add", {"title": "", "minutes": "10"}),
        ("qbr_item_add", {"title": "x" * 300, "minutes": "10"}),
        ("qbr_item_add", {"title": "Budget", "minutes": "99999999999999999999"}),
        ("qbr_action_add", {"title": "Due when?", "due": "soon"}),
        ("qbr_action_add", {"title": "Whose?", "owner": "999999"}),
        ("qbr_schedule", {"day": "2026-12-01", "time": "25:99", "timezone": "UTC"}),
        ("qbr_agenda_status", {"status": "signed-in-blood"}),
        ("qbr_agenda_status", {"status": "agreed", "agreed_on": "2026-02-30"}),
        ("qbr_cadence", {"interval_months": "", "paused_until": "2026-02-30", "pause_reason": "Audit"}),
        ("qbr_preread", {"preread_notes": "x" * 20001}),
        ("qbr_send", {"document": "999999"}),
        ("qbr_held", {}),
        ("qbr_cancel", {"reason": ""}),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(tenant_a, account_a, client_for, route, data):
    qbr = planned(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    response = client.post(url(route, qbr.pk), data)
    assert response.status_code == 400
    if route not in ("qbr_held", "qbr_cancel"):  # these two change the whole page: plain forms
        htmx = client.post(url(route, qbr.pk), data, headers={"HX-Request": "true"})
        assert htmx.status_code == 422 and b"<html" not in htmx.content  # the card comes back with its errors
    with tenant_a.ctx():
        fresh = Qbr.objects.get(pk=qbr.pk)
        assert fresh.status == "planned" and fresh.scheduled_at is None
        assert not AgendaItem.objects.exists() and not ActionItem.objects.filter(source_kind="qbr").exists()


def test_viewers_read_but_do_not_change(tenant_a, account_a, client_for):
    qbr = planned(tenant_a, account_a)
    viewer = client_for(tenant_a.users[Role.VIEWER])
    assert viewer.get(url("qbr_detail", qbr.pk)).status_code == 200
    assert viewer.post(url("qbr_agenda_from_template", qbr.pk)).status_code == 403
    assert viewer.post(url("qbr_detail", qbr.pk)).status_code == 405  # the page itself only shows


def test_list_shows_upcoming_and_overdue_with_constant_queries(tenant_a, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(tenant_a.admin)
    make_account(tenant_a, "First Co")
    with tenant_a.ctx():
        services.qbrs_schedule()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as few:
        body = client.get(url("qbr_list")).content.decode()
    assert "First Co" in body and "Upcoming" in body
    for n in range(20):
        make_account(tenant_a, f"Co {n}")
    with tenant_a.ctx():
        services.qbrs_schedule()
        ended = timezone.localdate() - timedelta(days=1)
        first = Qbr.objects.filter(account__name="Co 3").order_by("period_start").first()
        Qbr.objects.filter(pk=first.pk).update(period_start=ended - timedelta(days=80), period_end=ended)
    with django_assert_max_num_queries(few.final_queries - few.initial_queries):
        body = client.get(url("qbr_list")).content.decode()
    assert "period over" in body and "Co 19" in body


def test_cadence_and_program_settings(tenant_a, account_a, client_for):
    qbr = planned(tenant_a, account_a)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    later = (timezone.localdate() + timedelta(days=60)).isoformat()
    refused = am.post(url("qbr_cadence", qbr.pk), {"interval_months": "", "paused_until": later})
    assert refused.status_code == 400 and b"A pause needs a reason" in refused.content
    assert am.post(url("qbr_cadence", qbr.pk), {"interval_months": "abc"}).status_code == 400
    paused = am.post(url("qbr_cadence", qbr.pk), {"interval_months": "", "paused_until": later,
                            "pause_reason": "Merger"}, follow=True)  # fmt: skip
    assert b"Cadence saved" in paused.content  # the untouched QBR inside the pause is gone: back to the list
    with tenant_a.ctx():
        assert not Qbr.objects.filter(pk=qbr.pk).exists()
        assert Cadence.objects.get(account=account_a).pause_reason == "Merger"
        Cadence.objects.filter(account=account_a).delete()
    qbr = planned(tenant_a, account_a)
    admin = client_for(tenant_a.admin)
    assert am.get(url("qbr_program")).status_code == 403
    bad = admin.post(url("qbr_program"), {"interval_months": "3", "invite_days_before": "5",
                                          "agenda_days_before": "14", "preread_days_before": "7",
                                          "minutes_days_after": "2"})  # fmt: skip
    assert bad.status_code == 400 and b"Invitations come first" in bad.content
    good = admin.post(url("qbr_program"), {"interval_months": "3", "invite_days_before": "45",
                                           "agenda_days_before": "21", "preread_days_before": "7",
                                           "minutes_days_after": "3"})  # fmt: skip
    assert good.status_code == 302
    with tenant_a.ctx():
        due = qbr.milestones.get(kind="invite").due
        assert due == calc.target_date(Qbr.objects.get(pk=qbr.pk)) - timedelta(days=45)


def test_account_page_and_dashboard_show_the_cadence(tenant_a, account_a, client_for):
    from datetime import date

    with tenant_a.ctx():
        for day in (date(2026, 2, 1), date(2026, 5, 1), date(2026, 8, 1), date(2026, 11, 1)):
            services.qbrs_schedule(today=day)
        held = Qbr.objects.get(account=account_a, period_label="2026-Q3")
        Qbr.objects.filter(pk=held.pk).update(status=Qbr.Status.HELD, held_at=timezone.make_aware(
            timezone.datetime(2026, 8, 20, 10, 0)))  # fmt: skip
    client = client_for(tenant_a.admin)
    page = client.get(reverse("account_detail", args=["alpha", account_a.pk])).content.decode()
    today = timezone.localdate()
    if date(2026, 10, 1) <= today <= date(2026, 12, 31):
        assert "1 of 3 held on time; 2026-Q4 planned" in page
    assert "QBRs" in page
    dashboard = client.get(reverse("dashboard", args=["alpha"])).content.decode()
    assert "of QBRs held in their period" in dashboard


def test_admins_shape_agenda_templates_and_a_qbr_starts_from_one(tenant_a, account_a, client_for):
    from qbr.models import AgendaTemplate

    admin = client_for(tenant_a.admin)
    page = url("qbr_agenda_templates")
    assert admin.get(page).status_code == 200  # the default one is there
    assert client_for(tenant_a.users[Role.ACCOUNT_MANAGER]).get(page).status_code == 403
    assert admin.post(url("qbr_agenda_template_create"), {"name": ""}).status_code == 400
    admin.post(url("qbr_agenda_template_create"), {"name": "Executive QBR"})
    assert admin.post(url("qbr_agenda_template_create"), {"name": "executive qbr"}).status_code == 400
    with tenant_a.ctx():
        template = AgendaTemplate.objects.get(name="Executive QBR")
    add = url("qbr_agenda_template_item_add", template.pk)
    for title in ("Strategy", "Scorecard"):
        admin.post(add, {"title": title, "minutes": "20"})
    assert admin.post(add, {"title": "x", "minutes": "0"}).status_code == 400
    assert admin.post(add, {"title": "x\x00", "minutes": "5"}).status_code == 400
    swapped = admin.post(add, {"title": "", "minutes": "5"}, headers={"HX-Request": "true"})
    assert (
        swapped.status_code == 422 and b"This field is required" in swapped.content and b"<html" not in swapped.content
    )
    with tenant_a.ctx():
        second = template.items.get(title="Scorecard")
    admin.post(url("qbr_agenda_template_item_up", template.pk, second.pk))
    assert admin.post(url("qbr_agenda_template_item_up", template.pk, 999999)).status_code == 404
    assert admin.post(url("qbr_agenda_template_item_up", 999999, second.pk)).status_code == 404
    qbr = planned(tenant_a, account_a)
    am = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    am.post(url("qbr_agenda_from_template", qbr.pk), {"template": template.pk})
    with tenant_a.ctx():
        assert list(AgendaItem.objects.filter(qbr=qbr).values_list("title", flat=True)) == ["Scorecard", "Strategy"]


def test_the_qbr_page_takes_the_same_queries_however_long_the_agenda(tenant_a, account_a, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    qbr = planned(tenant_a, account_a)
    client = client_for(tenant_a.users[Role.ACCOUNT_MANAGER])
    page = url("qbr_detail", qbr.pk)

    def grow(start, n):
        with tenant_a.ctx():
            for i in range(start, start + n):
                services.agenda_item_save(qbr=qbr, data={"title": f"Item {i}", "owner": tenant_a.admin.pk})
                contact = Contact.objects.create(account=account_a, name=f"Contact {i}", email=f"c{i}@x.example")
                services.participant_add(qbr=qbr, contact_id=contact.pk)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        return len(queries)

    grow(0, 2)
    client.get(page)  # warm up: the signed-in user is cached after the first request
    few = count()
    grow(2, 10)
    assert count() <= few  # no query per item or participant
    swapped = client.post(url("qbr_item_add", qbr.pk), {"title": "Late item"}, headers={"HX-Request": "true"})
    body = swapped.content.decode()
    assert swapped.status_code == 200 and "<html" not in body and 'id="qbr-agenda"' in body
    assert 'id="qbr-when" hx-target="this" hx-swap="outerHTML" hx-swap-oob="true"' in body  # its milestones follow
    with tenant_a.ctx():
        assert AgendaItem.objects.get(qbr=qbr, title="Late item").minutes == 10  # an empty time box is 10 minutes
