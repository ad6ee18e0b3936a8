"""What the scorecards add to other reports: the execution metrics in the Operations Review."""

from __future__ import annotations

from datetime import date
from typing import Any

from sam.charts import STATUS_COLOURS, Bar, bar_chart
from sam.documents import registry
from sam.tenancy.urls import tenant_reverse
from scorecards import scoring, selectors
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
    specs = {s.key: s for s in selectors.specs_of(card.version)}
    values = {mv.metric_id: mv.value for mv in MetricValue.objects.filter(scorecard=card)}
    rows = []
    for metric in card.version.metrics.filter(area=Area.EXECUTION, retired=False).order_by("order", "pk"):
        number = values.get(metric.pk)
        percent = "%" if metric.unit == "percent" else ""
        status = scoring.metric_status(specs[metric.key], float(number)) if number is not None else "no data"
        value = f"{number.normalize():f}{percent}" if number is not None else "no data"
        target = ("≤ " if metric.direction == "lower" else "≥ ") + f"{metric.target.normalize():f}{percent}"
        rows.append([metric.name, target, value, status])
    return {
        "title": f"Execution metrics ({card.period.label})",
        "headers": ["Metric", "Target", "Value", "Status"],
        "rows": rows,
        "empty": "No execution metric recorded.",
    }


# --- the joint account scorecard ("report card") -----------------------------------------------------

JOINT_KIND = "joint_scorecard"


def joint_context(scorecard: Scorecard, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The metrics shared with the customer: agreed target, value, status, move since last period.

    A fixed number of queries (the trends read included); the joint score is health over joint metrics only.
    """

    scorecard = Scorecard.objects.select_related("account", "account__owner", "period", "version").get(pk=scorecard.pk)
    metrics = [m for m in scorecard.version.metrics.filter(retired=False) if m.visibility == "joint"]
    values = {mv.metric_id: mv for mv in MetricValue.objects.filter(scorecard=scorecard)}
    moves = {row["metric"].key: row for row in selectors.trends(scorecard, periods=4, charts=False)["metrics"]}
    agreed = {k: a for k, a in selectors.agreed_targets_for(scorecard.account, scorecard.period).items() if a.target}
    specs = [selectors.agreed_spec(m, agreed[m.key].target if m.key in agreed else None) for m in metrics]
    numbers = {m.key: float(values[m.pk].value) for m in metrics if m.pk in values and values[m.pk].value is not None}
    joint = scoring.health(specs, numbers, dict.fromkeys(scoring.AREAS, 1.0))
    rows, bars = [], []
    for m, spec in zip(metrics, specs, strict=True):
        mv = values.get(m.pk)
        value = numbers.get(m.key)
        status = scoring.metric_status(spec, value) if value is not None else "nodata"
        history = moves.get(m.key, {}).get("series", [])
        rows.append(
            {
                "metric": m,
                "value": mv,
                "number": value,
                "status": status,
                "target": spec.target,
                "agreed": agreed.get(m.key),
                "arrow": moves.get(m.key, {}).get("arrow"),
                "history": history,
            }
        )
        if value is not None:
            bars.append(Bar(m.name, round(scoring.metric_score(spec, value), 1), status, STATUS_COLOURS[status]))
    periods = [label for label, _ in rows[0]["history"]] if rows else []
    return {
        "account": scorecard.account,
        "scorecard": scorecard,
        "period": scorecard.period,
        "rows": rows,
        "history_periods": periods,
        "joint_score": None if joint.overall is None else round(joint.overall, 1),
        "chart": bar_chart("Joint metrics: score against target (0-100)", bars, top=100) if bars else "",
    }


def register_joint() -> None:
    registry.register(
        registry.DocumentKind(
            key=JOINT_KIND,
            label="Joint account scorecard",
            subject_model=Scorecard,
            template="scorecards/joint_print.html",
            context=joint_context,
            title=lambda card, params: f"Joint account scorecard: {card.account.name}, {card.period.label}",
            page_url=lambda card, slug: (
                tenant_reverse("joint_scorecard", card.account_id, slug=slug) + f"?period={card.period.label}"
            ),
        )
    )
