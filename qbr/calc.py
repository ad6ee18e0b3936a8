"""Pure calculations of the qbr app: no database, no side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from qbr.models import (
    Milestone,
    Qbr,
    QbrSettings,
)
from sam.icalendar import zone_of
from sam.periods import calendar_period


@dataclass(frozen=True)
class CadencePeriod:
    label: str
    start: date
    end: date


def period_of(day: date, months: int) -> CadencePeriod:
    """The period of an ``months``-long cadence that contains ``day`` (calendar aligned)."""

    return CadencePeriod(*calendar_period(day, months))


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


def date_warnings(qbr: Qbr, when: Any) -> list[str]:
    """What deserves a second look about a date: outside the QBR's period, or in the past."""
    warnings = []
    day = timezone.localtime(when, zone_of(qbr.timezone)).date()
    if not qbr.period_start <= day <= qbr.period_end:
        warnings.append(f"{day:%d %b %Y} is outside the QBR's period ({qbr.period_label}).")
    if when < timezone.now():
        warnings.append(f"{day:%d %b %Y} is in the past.")
    return warnings


def held_in_period(qbr: Qbr) -> bool:
    if qbr.status != Qbr.Status.HELD or qbr.held_at is None:
        return False
    return qbr.period_start <= timezone.localtime(qbr.held_at).date() <= qbr.period_end


# --- the preparation checklist -------------------------------------------------------------------------

# An incomplete preparation is flagged this many days before the pre-read is due (and every day after it).
PREPARATION_WARNING_DAYS = 3
# Free text of the checklist: what we expect the customer to say, and our answer.
PREPARATION_TEXT_MAX = 4000


def day_text(day: date) -> str:
    """A day as the checklist writes it: 8 Nov 2026."""
    return f"{day.day} {day:%b %Y}"


def preparation_warning(*, complete: bool, open: bool, preread_due: date | None, today: date) -> str | None:
    """What to say when an open QBR's preparation is still incomplete and its pre-read is near or past."""

    if complete or not open or preread_due is None:
        return None
    days = (preread_due - today).days
    if days > PREPARATION_WARNING_DAYS:
        return None
    if days > 1:
        when = f"is due in {days} days, on {day_text(preread_due)}"
    elif days == 1:
        when = f"is due tomorrow, {day_text(preread_due)}"
    elif days == 0:
        when = "is due today"
    else:
        when = f"was due on {day_text(preread_due)}, {-days} day{'s' if days != -1 else ''} ago"
    return f"Our preparation is not complete and the pre-read {when}."


def completed_late(*, preread_due: date | None, completed_on: date) -> bool:
    """Completing after the day the pre-read was due is allowed, and remembered as late."""

    return preread_due is not None and completed_on > preread_due


def review_start(qbr: Qbr, last_held_on: date | None) -> date:
    """Where the period a QBR looks back on begins: the day after the account's previous QBR was held, or else
    the start of the period before this QBR's."""

    if last_held_on is not None:
        return last_held_on + timedelta(days=1)
    months = max(1, round(((qbr.period_end - qbr.period_start).days + 1) / 30.44))
    return period_of(qbr.period_start - timedelta(days=1), months).start
