"""Calendar periods shared by scorecards and QBR cadences: months, quarters, half-years and years."""

from __future__ import annotations

from datetime import date, timedelta


def calendar_period(day: date, months: int) -> tuple[str, date, date]:
    """Label, first and last day of the ``months``-long calendar period containing ``day``."""
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
    return label, start, end


def period_bounds(day: date, length: str) -> tuple[str, date, date]:
    """Label, first and last day of the month, quarter or half-year containing ``day``."""

    return calendar_period(day, {"month": 1, "quarter": 3, "half": 6}[length])


def quarter_of(day: date) -> tuple[str, date, date]:
    return period_bounds(day, "quarter")
