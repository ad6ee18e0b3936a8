"""Keeping the cadence: QBRs and milestones made once per account and period, reminders sent once."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Account
from qbr import calc, selectors, services
from qbr.models import Cadence, Milestone, Qbr
from sam.models import OutboundEmail
from tests.accounts.conftest import make_account

pytestmark = pytest.mark.django_db


def test_periods_of_each_cadence():
    assert calc.period_of(date(2026, 11, 27), 3) == calc.CadencePeriod("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert calc.period_of(date(2026, 2, 10), 1) == calc.CadencePeriod("2026-02", date(2026, 2, 1), date(2026, 2, 28))
    assert calc.period_of(date(2026, 7, 1), 6).label == "2026-H2"
    assert calc.period_of(date(2026, 7, 1), 12) == calc.CadencePeriod("2026", date(2026, 1, 1),
                                                                              date(2026, 12, 31))  # fmt: skip


def test_schedule_makes_the_current_and_next_qbr_with_their_milestones_once(tenant_a):
    strategic = make_account(tenant_a, "Strategic Co")
    make_account(tenant_a, "Key Co", tier="Key")  # not strategic: no QBRs
    inactive = make_account(tenant_a, "Sleepy Co")
    with tenant_a.ctx():
        Account.objects.filter(pk=inactive.pk).update(status=Account.Status.INACTIVE)
        assert services.qbrs_schedule(today=date(2026, 11, 27)) == 2
        assert services.qbrs_schedule(today=date(2026, 11, 27)) == 0
        qbrs = list(Qbr.objects.order_by("period_start"))
        assert [(q.account_id, q.period_label) for q in qbrs] == [(strategic.pk, "2026-Q4"), (strategic.pk, "2027-Q1")]
        first = qbrs[0]
        dues = dict(Milestone.objects.filter(qbr=first).values_list("kind", "due"))
        middle = date(2026, 11, 15)  # no date fixed yet: the middle of the quarter
        assert dues == {"invite": middle - timedelta(days=35), "agenda": middle - timedelta(days=14),
                        "preread": middle - timedelta(days=7), "minutes": middle + timedelta(days=2)}  # fmt: skip
        assert Milestone.objects.count() == 8


def test_catch_up_after_a_quarter_without_ticks(tenant_a):
    make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 1, 5))  # Q1 and Q2
        services.qbrs_schedule(today=date(2026, 7, 10))  # nothing ran in Q2: Q3 and Q4 now, Q2 left as it was
        services.qbrs_schedule(today=date(2026, 7, 10))
        labels = list(Qbr.objects.order_by("period_start").values_list("period_label", flat=True))
        assert labels == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
        assert Milestone.objects.count() == 16


def test_cadence_per_account_and_pause(tenant_a):
    monthly = make_account(tenant_a, "Monthly Co")
    paused = make_account(tenant_a, "Paused Co")
    with tenant_a.ctx():
        Cadence.objects.create(account=monthly, interval_months=1)
        Cadence.objects.create(account=paused, paused_until=date(2027, 3, 1), pause_reason="Merger integration")
        services.qbrs_schedule(today=date(2026, 11, 27))
        assert list(Qbr.objects.values_list("account_id", "period_label").order_by("period_start")) == [
            (monthly.pk, "2026-11"), (monthly.pk, "2026-12")
        ]  # fmt: skip
        with pytest.raises(IntegrityError), transaction.atomic():
            Cadence.objects.filter(account=monthly).update(paused_until=date(2027, 1, 1), pause_reason="")
        services.qbrs_schedule(today=date(2027, 3, 2))  # the pause is over
        assert Qbr.objects.filter(account=paused, period_label="2027-Q1").exists()


def test_reminders_once_per_milestone_and_never_for_cancelled_or_held(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    other = make_account(tenant_a, "Cancelled Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 10, 2))
        Qbr.objects.filter(account=other).update(status=Qbr.Status.CANCELLED)
        done = Milestone.objects.get(qbr__account=account, qbr__period_label="2026-Q4", kind="invite")
        done.done_at = timezone.now()
        done.save()
        sent = services.reminders_send(today=date(2026, 11, 10))  # agenda (Nov 1) and pre-read (Nov 8) are due
        assert sent == 2
        assert services.reminders_send(today=date(2026, 11, 10)) == 0
        emails = OutboundEmail.objects.filter(idempotency_key__startswith="qbr-milestone:")
        assert emails.count() == 2 and all(account.owner.email in e.to for e in emails)
        assert {e.subject.split(": ", 1)[1] for e in emails} == {"agenda agreed with the customer",
                                                                 "joint scorecard and pre-read sent"}  # fmt: skip
        Qbr.objects.filter(account=account, period_label="2026-Q4").update(status=Qbr.Status.HELD)
        assert services.reminders_send(today=date(2026, 11, 30)) == 1  # held: only the minutes are still due
        assert OutboundEmail.objects.filter(subject__endswith="minutes sent").count() == 1
        Qbr.objects.filter(account=other).update(status=Qbr.Status.PLANNED)  # paused accounts get none either
        Cadence.objects.create(account=other, paused_until=date(2027, 6, 1), pause_reason="Reorganisation")
        assert services.reminders_send(today=date(2026, 11, 30)) == 0


def test_moving_the_date_moves_open_milestones_and_reminds_again(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 10, 2))
        assert services.reminders_send(today=date(2026, 11, 1)) == 2  # invite (Oct 16) and agenda (Nov 1)
        qbr = Qbr.objects.get(account=account, period_label="2026-Q4")
        qbr.scheduled_at = timezone.make_aware(timezone.datetime(2026, 12, 10, 14, 0))
        qbr.save()
        services.milestones_reschedule(qbr)
        assert Milestone.objects.get(qbr=qbr, kind="agenda").due == date(2026, 11, 26)
        assert services.reminders_send(today=date(2026, 11, 26)) == 2  # invite and agenda again, on their new dates


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_make_one_qbr_per_period_and_one_milestone_per_kind(tenant_a):
    from django.db import connection as main_connection

    for n in range(5):
        make_account(tenant_a, f"Strategic {n}")
    errors, barrier = [], threading.Barrier(3)

    def run():
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            with tenant_a.ctx():
                services.qbrs_schedule(today=date(2026, 11, 27))
                services.reminders_send(today=date(2026, 11, 27))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    main_connection.close()
    assert not errors, errors
    with tenant_a.ctx():
        assert Qbr.objects.count() == 10
        assert Milestone.objects.count() == 40
        # milestones already past when their QBR was made are shown late, not mailed
        due = Milestone.objects.filter(due__lte=date(2026, 11, 27), due__gte=TruncDate("qbr__created_at")).count()
        assert due < Milestone.objects.filter(due__lte=date(2026, 11, 27)).count()
        assert OutboundEmail.objects.filter(idempotency_key__startswith="qbr-milestone:").count() == due


def test_deleted_accounts_get_no_qbrs_or_reminders(tenant_a):
    account = make_account(tenant_a, "Gone Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 10, 2))
        account_services.account_delete(account=account, acting_user=None, reason="Left the program")
        assert services.reminders_send(today=date(2026, 12, 30)) == 0
        assert services.qbrs_schedule(today=date(2027, 1, 5)) == 0


def test_compliance_counts_qbrs_held_within_their_period(tenant_a):
    kept = make_account(tenant_a, "Kept Co")
    slipped = make_account(tenant_a, "Slipped Co")
    with tenant_a.ctx():
        for day in (date(2025, 11, 1), date(2026, 2, 1), date(2026, 5, 1), date(2026, 8, 1), date(2026, 11, 1)):
            services.qbrs_schedule(today=day)
        for qbr in Qbr.objects.filter(period_start__lt=date(2026, 10, 1)):
            held_on = qbr.period_start + timedelta(days=20)
            if qbr.account_id == slipped.pk and qbr.period_label in ("2026-Q2", "2026-Q3"):
                held_on = qbr.period_end + timedelta(days=10)  # held, but late: the cadence slipped
            if qbr.account_id == slipped.pk and qbr.period_label == "2025-Q4":
                continue  # never held
            Qbr.objects.filter(pk=qbr.pk).update(
                status=Qbr.Status.HELD,
                held_at=timezone.make_aware(timezone.datetime.combine(held_on, timezone.datetime.min.time())),
            )
        result = selectors.qbr_compliance(today=date(2026, 11, 27))
    rows = {r["account"].name: r for r in result["rows"]}
    assert [r["label"] for r in rows["Kept Co"]["record"]] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert rows["Kept Co"]["held"] == 4 and rows["Slipped Co"]["held"] == 1
    assert result["held"] == 5 and result["due"] == 8 and result["rate"] == 62
    assert result["rows"][0]["account"].name == "Slipped Co"  # the worst first
    assert rows["Kept Co"]["current"].period_label == "2026-Q4" and rows["Kept Co"]["late"] >= 1
    assert kept.pk in {r["account"].pk for r in result["rows"]}


def test_a_whole_period_of_missed_ticks_still_gets_its_qbr(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 1, 5))  # Q1 and Q2
        services.qbrs_schedule(today=date(2026, 10, 10))  # Q3 never ticked: made now (overdue), with Q4 and 2027-Q1
        labels = list(
            Qbr.objects.filter(account=account).order_by("period_start").values_list("period_label", flat=True)
        )
        assert labels == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]
        assert (
            services.reminders_send(today=date(2026, 10, 10)) == 0
            or not OutboundEmail.objects.filter(subject__contains="2026-Q3").exists()
        )  # the past period's QBR shows as overdue; nobody is mailed about it


def test_changing_the_cadence_replaces_the_scheduler_made_qbrs(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=timezone.localdate())
        services.cadence_set(account=account, interval_months=1, paused_until=None, pause_reason="", acting_user=None)
        assert not Qbr.objects.filter(account=account).exists()  # untouched quarterly ones are gone
        services.qbrs_schedule(today=timezone.localdate())
        assert Qbr.objects.filter(account=account).count() == 2
        assert all((q.period_end - q.period_start).days < 31 for q in Qbr.objects.filter(account=account))
        services.cadence_set(account=account, interval_months=None, paused_until=None, pause_reason="",
                             acting_user=None)  # fmt: skip
        services.qbrs_schedule(today=timezone.localdate())
        assert Qbr.objects.filter(account=account, status="planned").count() == 2
        assert all((q.period_end - q.period_start).days > 80 for q in Qbr.objects.filter(account=account))


def test_minutes_are_reminded_after_the_meeting_not_before(tenant_a):
    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 10, 2))
        qbr = Qbr.objects.get(account=account, period_label="2026-Q4")
        services.reminders_send(today=date(2026, 11, 20))  # the invite, agenda and pre-read of the planned QBR
        assert not OutboundEmail.objects.filter(subject__endswith="minutes sent").exists()
        qbr.scheduled_at = timezone.now() - timedelta(days=1)
        qbr.save()
        services.agenda_item_save(qbr=qbr, data={"title": "Review", "minutes": "30"})
        services.minutes_save(qbr=qbr, item=qbr.agenda_items.first(), notes="Done", decisions="")
        services.qbr_held(qbr=qbr)
        due = Milestone.objects.get(qbr=qbr, kind="minutes").due
        assert due == timezone.localdate() - timedelta(days=1) + timedelta(days=2)  # follows the real meeting day


def test_held_is_refused_before_the_meeting_took_place(tenant_a):
    from django.core.exceptions import ValidationError

    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule()
        qbr = Qbr.objects.filter(account=account).order_by("period_start").first()
        qbr.scheduled_at = timezone.now() + timedelta(hours=3)
        qbr.save()
        with pytest.raises(ValidationError, match="still to come"):
            services.qbr_held(qbr=qbr, no_minutes_reason="Call only")


def test_scorecard_source_qbrs_held_on_time(tenant_a):
    from scorecards import sources
    from scorecards.models import Period

    account = make_account(tenant_a, "Strategic Co")
    with tenant_a.ctx():
        services.qbrs_schedule(today=date(2026, 1, 5))
        qbr = Qbr.objects.get(account=account, period_label="2026-Q1")
        Qbr.objects.filter(pk=qbr.pk).update(status=Qbr.Status.HELD, held_at=timezone.make_aware(
            timezone.datetime(2026, 2, 10, 10, 0)))  # fmt: skip
        q1 = Period(label="2026-Q1", start=date(2026, 1, 1), end=date(2026, 3, 31))
        q2 = Period(label="2026-Q2", start=date(2026, 4, 1), end=date(2026, 6, 30))
        source = sources.get("qbrs_on_time")
        assert source.fn(account, q1)[0] == 100
        value, origin = source.fn(account, q2)
        assert (value == 0 and "0 of 1" in origin) or value is None  # Q2 ended unheld (or is still to come)
