"""What the scorecards add to other reports: the execution metrics in the Operations Review."""

from __future__ import annotations

from datetime import date
from typing import Any

from scorecards import scoring, services
from scorecards.models import Area, MetricValue, Scorecard


def execution_section(account: Any, start: date, end: date) -> dict[str, Any] | None:
    """The execution area of the latest scorecard ending within the report's period."""
    card = (
        Scorecard.objects.filter(account=account, period__start__lte=end, period__end__gte=start)
        .select_related("period", "version")
        .order_by("-period__start")
        .first()
    )
    if card is None:
        return None
    specs = {s.key: s for s in services.specs_of(card.version)}
    rows = []
    for mv in (
        MetricValue.objects.filter(scorecard=card, metric__area=Area.EXECUTION, metric__retired=False)
        .select_related("metric")
        .order_by("metric__order")
    ):
        metric = mv.metric
        status = scoring.metric_status(specs[metric.key], float(mv.value)) if mv.value is not None else "no data"
        value = f"{mv.value:g}" if mv.value is not None else "no data"
        target = ("≤ " if metric.direction == "lower" else "≥ ") + f"{metric.target:g}"
        rows.append([metric.name, target, value, status])
    return {
        "title": f"Execution metrics ({card.period.label})",
        "headers": ["Metric", "Target", "Value", "Status"],
        "rows": rows,
        "empty": "No execution metric recorded.",
    }
