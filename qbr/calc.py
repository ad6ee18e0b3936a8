"""Pure calculations of the qbr app: no database, no side effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from qbr import calendar
from qbr.models import (
    Milestone,
    Qbr,
    QbrSettings,
)
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
    day = timezone.localtime(when, calendar.zone_of(qbr.timezone)).date()
    if not qbr.period_start <= day <= qbr.period_end:
        warnings.append(f"{day:%d %b %Y} is outside the QBR's period ({qbr.period_label}).")
    if when < timezone.now():
        warnings.append(f"{day:%d %b %Y} is in the past.")
    return warnings


def held_in_period(qbr: Qbr) -> bool:
    if qbr.status != Qbr.Status.HELD or qbr.held_at is None:
        return False
    return qbr.period_start <= timezone.localtime(qbr.held_at).date() <= qbr.period_end
