"""Computed metric sources: a registry that apps fill at start-up (voc adds NPS, qbr adds QBRs held...).

A source is ``fn(account, period) -> (value or None, "what it came from")``;
None means "no data" and is shown as such, never as zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from accounts.models import ActionItem, Contract, Incident, RecurringIssue

SourceFn = Callable[[Any, Any], tuple[Decimal | None, str]]


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    fn: SourceFn


_sources: dict[str, Source] = {}


def register(key: str, label: str, fn: SourceFn) -> None:
    _sources[key] = Source(key, label, fn)


def get(key: str) -> Source | None:
    return _sources.get(key)


def choices() -> list[tuple[str, str]]:
    return [("manual", "Entered by hand"), *sorted((s.key, s.label) for s in _sources.values())]


# --- sources fed by the accounts app ------------------------------------------------------------


def _actions_closed_on_time(account: Any, period: Any) -> tuple[Decimal | None, str]:
    closed = ActionItem.objects.filter(
        account=account,
        status=ActionItem.Status.DONE,
        closed_at__date__gte=period.start,
        closed_at__date__lte=period.end,
        due__isnull=False,
    )
    total = closed.count()
    if not total:
        return None, "no action with a due date was closed in the period"
    on_time = sum(1 for c in closed.only("closed_at", "due") if c.closed_at.date() <= c.due)
    return Decimal(on_time * 100) / total, f"{on_time} of {total} actions closed by their due date"


def _incidents(account: Any, period: Any) -> tuple[Decimal | None, str]:
    count = Incident.objects.filter(
        account=account, opened_at__date__gte=period.start, opened_at__date__lte=period.end
    ).count()
    return Decimal(count), f"{count} incidents opened in the period"


def _open_recurring(account: Any, period: Any) -> tuple[Decimal | None, str]:

    # Open at the end of the period: opened by then, and not closed before it ended.
    count = (
        RecurringIssue.objects.filter(account=account, opened_at__date__lte=period.end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gt=period.end))
        .count()
    )
    return Decimal(count), f"{count} recurring issues open at the end of the period"


def _contract_revenue(account: Any, period: Any) -> tuple[Decimal | None, str]:
    live = list(Contract.objects.filter(account=account, start__lte=period.end, end__gte=period.start))
    if not live:
        return None, "no contract covers the period"
    yearly = sum((c.value or Decimal(0)) * Decimal(365) / Decimal(max(1, (c.end - c.start).days)) for c in live)
    return Decimal(yearly).quantize(Decimal("1")), f"{len(live)} contract(s), value per year"


def register_own_sources() -> None:
    """The computed metrics of the scorecards app itself (called from ScorecardsConfig.ready)."""
    register("actions_on_time", "Actions closed on time (%)", _actions_closed_on_time)
    register("incidents", "Incidents opened", _incidents)
    register("recurring_open", "Open recurring issues", _open_recurring)
    register("contract_revenue", "Contract revenue per year", _contract_revenue)
