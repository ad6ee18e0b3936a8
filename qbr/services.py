"""Keeping the QBR cadence: the scheduler that makes sure each account's QBRs exist, and the reminders.

Both are "make it so" operations, safe to run twice at the same time, late,
or after missed ticks: one QBR per account and period and one milestone per
QBR and kind are database constraints, and each reminder email has an
idempotency key in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from qbr.models import Cadence, Interval, Milestone, Qbr, QbrSettings


def settings_for_tenant() -> QbrSettings:
    """The current tenant's QBR program settings (made with the defaults on first use)."""
    found = QbrSettings.objects.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return QbrSettings.objects.create()
    except IntegrityError:
        return QbrSettings.objects.get()


@dataclass(frozen=True)
class CadencePeriod:
    label: str
    start: date
    end: date


def period_of(day: date, months: int) -> CadencePeriod:
    """The period of an ``months``-long cadence that contains ``day`` (calendar aligned)."""
    index = (day.month - 1) // months
    start = date(day.year, index * months + 1, 1)
    following = index * months + months + 1
    end = date(day.year + (following > 12), (following - 1) % 12 + 1, 1) - timedelta(days=1)
    label = {
        1: f"{day.year}-{start.month:02d}",
        3: f"{day.year}-Q{index + 1}",
        6: f"{day.year}-H{index + 1}",
        12: f"{day.year}",
    }.get(months, f"{day.year}-P{index + 1}")
    return CadencePeriod(label, start, end)


def target_date(qbr: Qbr) -> date:
    """The day the QBR is (or would best be) held: its scheduled day, else the middle of its period."""
    if qbr.scheduled_at is not None:
        return timezone.localtime(qbr.scheduled_at).date()
    return qbr.period_start + (qbr.period_end - qbr.period_start) / 2


def milestone_dues(qbr: Qbr, program: QbrSettings) -> dict[str, date]:
    held = target_date(qbr)
    return {
        Milestone.Kind.INVITE: held - timedelta(days=program.invite_days_before),
        Milestone.Kind.AGENDA: held - timedelta(days=program.agenda_days_before),
        Milestone.Kind.PREREAD: held - timedelta(days=program.preread_days_before),
        Milestone.Kind.MINUTES: held + timedelta(days=program.minutes_days_after),
    }


def milestones_ensure(qbr: Qbr, program: QbrSettings) -> int:
    """Every milestone of the timeline exists for this QBR (made once; a concurrent run makes nothing twice)."""
    existing = set(Milestone.objects.filter(qbr=qbr).values_list("kind", flat=True))
    missing = [
        Milestone(qbr=qbr, kind=kind, due=due) for kind, due in milestone_dues(qbr, program).items()
        if kind not in existing
    ]  # fmt: skip
    if missing:
        Milestone.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def milestones_reschedule(qbr: Qbr) -> None:
    """Move the milestones that are not done yet to follow the QBR's date (after it is set or moved)."""
    dues = milestone_dues(qbr, settings_for_tenant())
    for milestone in Milestone.objects.filter(qbr=qbr, done_at__isnull=True):
        if milestone.due != dues[milestone.kind]:
            milestone.due = dues[milestone.kind]
            milestone.reminded_at = None  # a new date deserves its own reminder
            milestone.save(update_fields=["due", "reminded_at"])


def eligible_accounts(today: date | None = None) -> list[tuple[Any, int]]:
    """Live strategic accounts that are not inactive and not paused on ``today``, with their cadence in months."""
    from accounts.models import Account

    program = settings_for_tenant()
    today = today or timezone.localdate()
    cadences = {c.account_id: c for c in Cadence.objects.all()}
    found = []
    for account in (
        Account.objects.alive()
        .filter(tier__strategic=True)
        .exclude(status=Account.Status.INACTIVE)
        .select_related("owner")
        .order_by("pk")
    ):
        cadence = cadences.get(account.pk)
        if cadence is not None and cadence.paused_until is not None and cadence.paused_until >= today:
            continue
        months = (cadence.interval_months if cadence and cadence.interval_months else None) or program.interval_months
        found.append((account, months if months in Interval.values else Interval.QUARTERLY))
    return found


def qbr_ensure(account: Any, period: CadencePeriod, program: QbrSettings) -> tuple[Qbr, bool]:
    """The account's QBR for a period, with its milestones (made once, however many run this at once)."""
    existing = Qbr.objects.filter(account=account, period_start=period.start).first()
    created = False
    if existing is None:
        try:
            with transaction.atomic():
                existing = Qbr.objects.create(
                    account=account, period_label=period.label, period_start=period.start, period_end=period.end
                )
                created = True
        except IntegrityError:  # another run made it first
            existing = Qbr.objects.get(account=account, period_start=period.start)
    if existing.open:
        milestones_ensure(existing, program)
    return existing, created


def schedule(today: date | None = None) -> int:
    """Make sure each eligible account has its QBR for the current period and the next one.

    Returns how many QBRs were made. Missed ticks need no catching up beyond this: the current and next
    periods are always derived from today, and what exists is left as it is.
    """
    today = today or timezone.localdate()
    program = settings_for_tenant()
    made = 0
    for account, months in eligible_accounts(today):
        current = period_of(today, months)
        following = period_of(current.end + timedelta(days=1), months)
        for period in (current, following):
            _, created = qbr_ensure(account, period, program)
            made += created
    return made


def reminders_send(today: date | None = None) -> int:
    """One email to the account owner for each milestone that has fallen due, is not done and belongs to a
    QBR still planned. The outbox key makes a second send (a redelivered task) a no-op."""
    from django.conf import settings as django_settings

    from sam.outbox import email_enqueue

    today = today or timezone.localdate()
    sent = 0
    due = (
        Milestone.objects.filter(due__lte=today, done_at__isnull=True, reminded_at__isnull=True)
        .filter(qbr__status__in=[Qbr.Status.PLANNED, Qbr.Status.AGENDA_AGREED])
        .filter(qbr__account__deleted_at__isnull=True)
        .select_related("qbr", "qbr__account", "qbr__account__owner")
        .order_by("due", "pk")
    )
    for milestone in due:
        owner = milestone.qbr.account.owner
        if owner is not None and owner.email:
            qbr = milestone.qbr
            _, created = email_enqueue(
                key=f"qbr-milestone:{milestone.pk}:{milestone.due.isoformat()}",
                to=[owner.email],
                subject=f"QBR {qbr.period_label} with {qbr.account.name}: {milestone.get_kind_display().lower()}",
                text=(
                    f"{milestone.get_kind_display()} was due on {milestone.due:%d %b %Y} for the "
                    f"{qbr.period_label} QBR with {qbr.account.name}, and is not done yet.\n\n"
                    f"{django_settings.SITE_URL}\n"
                ),
            )
            sent += created
        Milestone.objects.filter(pk=milestone.pk).update(reminded_at=timezone.now())
    return sent
