"""Reads of the scorecards app used by pages, reports and other apps: template versions, the period length,
agreed targets and metric specs; one account's card with its explanation and trend, and the portfolio heatmap."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote

from django.db.models import Count, Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

from sam.charts import compact, line_chart
from sam.tenancy.context import current_tenant
from scorecards import scoring, sources
from scorecards.models import (
    AgreedTarget,
    Area,
    MetricDefinition,
    MetricValue,
    Period,
    Scorecard,
    ScorecardSettings,
    ScorecardTemplate,
    TemplateVersion,
)

TREND_PERIODS = 8


def current_version(template: ScorecardTemplate) -> TemplateVersion:
    return TemplateVersion.objects.filter(template=template).order_by("-number").first()  # type: ignore[return-value]


def newest_version_for(scorecard: Scorecard) -> TemplateVersion | None:
    """Its template's newest version, when the scorecard is on an older one (else None)."""
    newest = current_version(scorecard.version.template)
    return None if newest.pk == scorecard.version_id else newest


def period_length() -> str:
    """The current tenant's period length (quarter by default)."""

    return ScorecardSettings.current().period_length if current_tenant() is not None else "quarter"


def agreed_targets_for(account: Any, period: Period) -> dict[str, AgreedTarget]:
    """Per metric key, the agreement in force for a period: the latest one made by the period's end."""
    found: dict[str, AgreedTarget] = {}
    for agreed in AgreedTarget.objects.filter(account=account, agreed_on__lte=period.end).order_by("agreed_on"):
        found[agreed.key] = agreed
    return found


def value_range(metric: MetricDefinition) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest value a metric accepts: its own range, else its unit's limits."""
    unit_limits = {
        "percent": (Decimal(-1000), Decimal(1000)),
        "days": (Decimal(0), None),
        "number": (Decimal(0), None),
    }.get(metric.unit, (None, None))
    low = metric.min_value if metric.min_value is not None else unit_limits[0]
    high = metric.max_value if metric.max_value is not None else unit_limits[1]
    return low, high


def spec_of(m: MetricDefinition) -> scoring.MetricSpec:
    higher = m.direction == MetricDefinition.Direction.HIGHER
    return scoring.MetricSpec(
        m.key,
        m.area,
        float(m.target),
        float(m.amber),
        float(m.red),
        float(m.weight),
        higher,
        entered=m.source == "manual",
    )


def specs_of(version: TemplateVersion) -> list[scoring.MetricSpec]:
    return [spec_of(m) for m in version.metrics.filter(retired=False)]


def agreed_spec(metric: MetricDefinition, agreed: Decimal | None) -> scoring.MetricSpec:
    """The metric's spec measured against an agreed target: amber and red move with it, bands keep their width."""
    spec = spec_of(metric)
    if agreed is None:
        return spec
    shift = float(agreed) - spec.target
    return scoring.MetricSpec(
        spec.key,
        spec.area,
        spec.target + shift,
        spec.amber + shift,
        spec.red + shift,
        spec.weight,
        spec.higher_is_better,
        spec.entered,
    )


def _values(scorecard: Scorecard) -> dict[str, float | None]:
    return {
        key: (float(value) if value is not None else None)
        for key, value in MetricValue.objects.filter(scorecard=scorecard).values_list("metric__key", "value")
    }


def _health(scorecard: Scorecard, specs: list[scoring.MetricSpec] | None = None) -> scoring.Health:
    specs = specs if specs is not None else specs_of(scorecard.version)
    weights = {k: float(v) for k, v in scorecard.version.area_weights.items()}
    return scoring.health(specs, _values(scorecard), weights)


def scorecard_view(scorecard: Scorecard) -> dict[str, Any]:
    """Everything the scorecard page shows, in a fixed number of queries."""
    metrics = list(scorecard.version.metrics.filter(retired=False))
    values = {mv.metric_id: mv for mv in MetricValue.objects.filter(scorecard=scorecard)}
    specs = specs_of(scorecard.version)
    spec_by_key = {s.key: s for s in specs}
    now = _health(scorecard, specs)
    areas: list[dict[str, Any]] = []
    for area, label in Area.choices:
        rows: list[dict[str, Any]] = []
        for metric in (m for m in metrics if m.area == area):
            mv = values.get(metric.pk)
            value = float(mv.value) if mv is not None and mv.value is not None else None
            spec = spec_by_key[metric.key]
            rows.append(
                {
                    "metric": metric,
                    "value": mv,
                    "status": scoring.metric_status(spec, value) if value is not None else "nodata",
                    "score": round(scoring.metric_score(spec, value), 1) if value is not None else None,
                }
            )
        score = _round(now.areas.get(area))
        areas.append({"key": area, "label": label, "score": score, "band": band(score), "rows": rows})
    previous = (
        Scorecard.objects.filter(account=scorecard.account, period__start__lt=scorecard.period.start)
        .select_related("period", "version")
        .order_by("-period__start")
        .first()
    )
    explanation = None
    if previous is not None:
        explanation = _explanation(scorecard, previous, metrics, specs, now)
    editable = [row for area in areas for row in area["rows"] if row["metric"].source == "manual"]
    for row, following in zip(editable, [*editable[1:], None], strict=True):
        row["next_pk"] = following["metric"].pk if following else None
    moves = trends(scorecard, charts=False)
    arrows = {line["metric"].key: line["arrow"] for line in moves["metrics"]}
    for block in areas:
        for row in block["rows"]:
            row["arrow"] = arrows.get(row["metric"].key)
    trend = line_chart("Health over the last periods", moves["overall"])
    return {
        "scorecard": scorecard,
        "areas": areas,
        "health": _round(now.overall),
        "explanation": explanation,
        "health_band": band(now.overall),
        "trend": trend,
        "comparable_note": moves["comparable_note"],
    }


EXPLAINED_ROWS = 6


def _explanation(
    scorecard: Scorecard,
    previous: Scorecard,
    metrics: list[Any],
    specs: list[scoring.MetricSpec],
    now: scoring.Health,
) -> dict[str, Any]:
    """Why health moved since the previous scorecard: metric effects in points, with before -> now values.

    Like with like (scoring.explain_change); the rows shown, "other metrics" and the line for metrics that
    gained or lost data add up to the change shown.
    """
    keys = {s.key for s in specs}
    before_specs = [s for s in specs_of(previous.version) if s.key in keys]  # shared metrics only
    values_now, values_before = _values(scorecard), _values(previous)
    weights_before = {k: float(v) for k, v in previous.version.area_weights.items()}
    weights_now = {k: float(v) for k, v in scorecard.version.area_weights.items()}
    change = scoring.explain_change(specs, values_now, weights_now, before_specs, values_before, weights_before)
    before = scoring.health(before_specs, values_before, weights_before)
    names = {m.key: m.name for m in metrics}
    units = {m.key: m.unit for m in metrics}
    result: dict[str, Any] = {
        "previous": previous,
        "before": _round(before.overall),
        "change": None,
        "comparable": previous.version_id == scorecard.version_id,
    }
    if change is None:
        return result
    rows = [
        {
            "name": names.get(key, key),
            "effect": round(effect, 1),
            "from": values_before.get(key),
            "to": values_now.get(key),
            "percent": units.get(key) == "percent",
        }
        for key, effect in change.effects
        if abs(effect) >= 0.05
    ]
    shown = rows[:EXPLAINED_ROWS]
    hidden = [effect for key, effect in change.effects][len(shown) :]
    others = round(sum(hidden), 1) if len(rows) > len(shown) else 0.0
    coverage = round(change.coverage, 1) if (change.gained or change.lost) else 0.0
    # Rounded pieces that add up to the rounded change shown: what rounding leaves goes to the last line.
    total = round(round(change.now, 1) - round(change.before, 1), 1)
    residue = round(total - sum(r["effect"] for r in shown) - others - coverage, 1)
    if residue:
        if change.gained or change.lost:
            coverage = round(coverage + residue, 1)
        elif len(rows) > len(shown):
            others = round(others + residue, 1)
        elif shown:
            shown[-1]["effect"] = round(shown[-1]["effect"] + residue, 1)
    result.update(
        change=total,
        effects=shown,
        others=others,
        others_count=len(rows) - len(shown),
        coverage=coverage,
        show_coverage=bool(change.gained or change.lost),
        gained=[names.get(k, k) for k in change.gained],
        lost=[names.get(k, k) for k in change.lost],
    )
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def band(score: float | None) -> str:
    return scoring.band(score) or "nodata"


def heatmap_columns(sort: str) -> list[dict[str, str]]:
    """Each sortable column: the sort its link asks for (the other way round when it is the current one)."""
    columns = []
    for key, label in [("name", "Account"), ("health", "Health"), *Area.choices]:
        current = sort.lstrip("-") == key
        descending = (sort == key) != (key == "name")  # numbers start high-first, names A to Z
        columns.append(
            {
                "key": key,
                "label": label,
                "next": ("-" + key if sort == key else key),
                "aria": ("descending" if descending else "ascending") if current else "none",
            }
        )
    return columns


def heatmap(*, period: Period, accounts: QuerySet[Any], sort: str = "health") -> list[dict[str, Any]]:
    """Accounts x areas for one period: the stored area scores and health, in two plain queries.

    Rows are plain dicts (id, name, tier, health, band, cells) so the page renders them fast.
    """
    found = list(accounts.values_list("pk", "name", "tier__name"))
    cards = {
        account_id: (health, scores)
        for account_id, health, scores in Scorecard.objects.filter(period=period)
        .order_by()  # no ordering: the default one joins accounts and periods
        .values_list("account_id", "health", "area_scores")
    }
    rows = []
    for pk, name, tier_name in found:
        raw_health, scores = cards.get(pk, (None, None))
        scores = scores or {}
        health = float(raw_health) if raw_health is not None else None
        rows.append(
            {
                "id": pk,
                "name": name,
                "tier": tier_name,
                "health": health,
                "band": band(health),
                "cells": [(area, scores.get(area), band(scores.get(area))) for area in Area.values],
            }
        )
    key = sort.lstrip("-")
    reverse = not sort.startswith("-")
    if key == "name":  # names A to Z, "-name" Z to A
        rows.sort(key=lambda row: row["name"].lower(), reverse=not reverse)
        return rows

    def sort_key(row: dict[str, Any]) -> tuple[bool, Any]:
        value = row["health"] if key == "health" else {a: s for a, s, _ in row["cells"]}.get(key)
        return (value is None, -(value or 0) if reverse else (value or 0))

    rows.sort(key=sort_key)
    return rows


def heatmap_body(rows: list[dict[str, Any]], *, link: str, period_label: str) -> SafeString:
    """The heatmap's table rows as HTML, built here because a template takes ten times longer for 700 cells.

    ``link`` is the scorecard URL with ``0`` for the account id. Names are escaped; the rest are numbers
    and fixed band words.
    """
    query = escape("?period=" + quote(period_label))
    head, tail = (escape(part) for part in link.split("/0/", 1))
    parts = []
    for row in rows:
        health = row["health"]
        cells = (
            f'<td class="cell-{row["band"]}"><strong>{health:g}</strong> {row["band"]}</td>'
            if health is not None
            else '<td class="cell-nodata">no data</td>'
        )
        for _area, score, tone in row["cells"]:
            cells += (
                f'<td class="cell-{tone}">{score:g} <span class="small">{tone}</span></td>'
                if score is not None
                else '<td class="cell-nodata"><span class="small">no data</span></td>'
            )
        parts.append(
            f'<tr><td><a href="{head}/{row["id"]}/{tail}{query}">{escape(row["name"])}</a>'
            f'<div class="small text-secondary">{escape(row["tier"] or "")}</div></td>{cells}</tr>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308  (names escaped above; everything else is ours)


# --- template admin ---------------------------------------------------------------------------------


def template_rows() -> list[dict[str, Any]]:
    """Each template with its newest version, metric count and how many scorecards use it (3 queries)."""
    versions = list(
        TemplateVersion.objects.annotate(
            live_metrics=Count("metrics", filter=Q(metrics__retired=False), distinct=True),
            cards=Count("scorecards", distinct=True),
        ).order_by("template_id", "-number")
    )
    newest: dict[int, TemplateVersion] = {}
    cards: dict[int, int] = {}
    for version in versions:
        newest.setdefault(version.template_id, version)
        cards[version.template_id] = cards.get(version.template_id, 0) + version.cards
    rows = []
    for template in ScorecardTemplate.objects.order_by("-is_default", "name"):
        version = newest.get(template.pk)
        if version is not None:
            rows.append(
                {
                    "template": template,
                    "version": version,
                    "metrics": version.live_metrics,  # type: ignore[attr-defined]  # annotated above
                    "scorecards": cards.get(template.pk, 0),
                }
            )
    return rows


def weights_note(weights: dict[str, Any]) -> dict[str, Any]:
    """What the weights count for once normalised; a note when they do not sum to 100."""
    total = sum(float(weights.get(area, 0) or 0) for area in Area.values)
    shares = {area: (float(weights.get(area, 0) or 0) * 100 / total if total else 0.0) for area in Area.values}
    note = ""
    if total and round(total, 2) != 100:
        note = f"The weights add up to {total:g}, not 100: each counts in proportion, as the shares show."
    return {"total": total, "shares": shares, "note": note}


def template_view(template: ScorecardTemplate) -> dict[str, Any]:
    """The current version's metrics by area with whether each has values, the weights and the history."""

    versions = list(
        TemplateVersion.objects.filter(template=template).annotate(cards=Count("scorecards")).order_by("-number")
    )
    version = versions[0]
    metrics = list(version.metrics.all())
    used = set(
        MetricValue.objects.filter(metric__version__template=template, value__isnull=False)
        .values_list("metric__key", flat=True)
        .distinct()
    )
    labels = dict(sources.choices())
    weights = weights_note(version.area_weights)
    areas = [
        {
            "key": area,
            "label": label,
            "weight": version.area_weights.get(area, 0),
            "share": weights["shares"][area],
            "metrics": [
                {"metric": m, "in_use": m.key in used, "source": labels.get(m.source, m.source)}
                for m in metrics
                if m.area == area
            ],
        }
        for area, label in Area.choices
    ]
    return {
        "template": template,
        "version": version,
        "editing_makes_version": version.in_use or version.cards > 0,
        "areas": areas,
        "weights": weights,
        "versions": versions,
    }


# --- trends -----------------------------------------------------------------------------------------


def _arrow(before: float | None, now: float | None, higher_is_better: bool = True) -> dict[str, Any] | None:
    """The move between the last two periods: direction, size, and whether it is for the better."""
    if before is None or now is None:
        return None
    change = now - before
    if abs(change) < 0.05:
        return {"symbol": "▬", "text": "no change", "tone": "secondary", "change": 0.0}
    better = (change > 0) == higher_is_better
    return {
        "symbol": "▲" if change > 0 else "▼",
        "text": f"{'up' if change > 0 else 'down'} {compact(abs(change))}, {'better' if better else 'worse'}",
        "tone": "success" if better else "danger",
        "change": round(change, 1),
    }


def trends(scorecard: Scorecard, *, periods: int = TREND_PERIODS, charts: bool = True) -> dict[str, Any]:
    """Overall, per-area and per-metric series over the account's last scorecards up to this one.

    Scorecards on another template version are compared on the metrics both versions share (by key):
    their area and overall scores are recomputed from those metrics only, and the result says so.
    Four queries, however many metrics and periods.
    """
    history = list(
        Scorecard.objects.filter(account_id=scorecard.account_id, period__start__lte=scorecard.period.start)
        .select_related("period", "version")
        .order_by("-period__start")[:periods]
    )[::-1]
    version_ids = {card.version_id for card in history} | {scorecard.version_id}
    definitions = list(MetricDefinition.objects.filter(version_id__in=version_ids, retired=False))
    current = [m for m in definitions if m.version_id == scorecard.version_id]
    current_keys = {m.key for m in current}
    values: dict[int, dict[str, float | None]] = {card.pk: {} for card in history}
    for card_id, key, value in MetricValue.objects.filter(scorecard__in=[c.pk for c in history]).values_list(
        "scorecard_id", "metric__key", "value"
    ):
        values[card_id][key] = float(value) if value is not None else None
    specs_by_version: dict[int, list[scoring.MetricSpec]] = {}
    for m in definitions:
        specs_by_version.setdefault(m.version_id, []).append(spec_of(m))
    overall: list[tuple[str, float | None]] = []
    area_series: dict[str, list[tuple[str, float | None]]] = {area: [] for area in Area.values}
    changed_versions = []
    for card in history:
        specs = [s for s in specs_by_version.get(card.version_id, []) if s.key in current_keys]
        if card.version_id != scorecard.version_id:
            missing = current_keys - {s.key for s in specs}
            changed_versions.append((card.period.label, card.version.number, sorted(missing)))
        weights = {k: float(v) for k, v in card.version.area_weights.items()}
        result = scoring.health(specs, values[card.pk], weights)
        overall.append((card.period.label, _round(result.overall)))
        for area in Area.values:
            area_series[area].append((card.period.label, _round(result.areas.get(area))))
    names = {m.key: m.name for m in current}
    note = ""
    if changed_versions:
        labels = ", ".join(label for label, _, _ in changed_versions)
        gone = sorted({names.get(k, k) for _, _, keys in changed_versions for k in keys})
        note = (
            f"The template changed over these periods ({labels} used an earlier version): area and overall "
            "scores compare only the metrics both versions share"
            + (f"; not on the earlier version: {', '.join(gone)}." if gone else ".")
        )

    def last_two(series: list[tuple[str, float | None]]) -> tuple[float | None, float | None]:
        known = [v for _, v in series]
        return (known[-2] if len(known) > 1 else None), (known[-1] if known else None)

    def chart(title: str, series: list[tuple[str, float | None]], **kwargs: Any) -> Any:
        return line_chart(title, series, **kwargs) if charts else None

    areas = []
    for area, label in Area.choices:
        series = area_series[area]
        areas.append(
            {
                "key": area,
                "label": label,
                "series": series,
                "arrow": _arrow(*last_two(series)),
                "chart": chart(f"{label} score over the last periods", series, width=420),
            }
        )
    metrics = []
    for m in sorted(current, key=lambda m: (Area.values.index(m.area), m.order, m.pk)):
        series = [(card.period.label, values[card.pk].get(m.key)) for card in history]
        higher = m.direction == MetricDefinition.Direction.HIGHER
        metrics.append(
            {
                "metric": m,
                "series": series,
                "last": series[-1][1] if series else None,
                "arrow": _arrow(*last_two(series), higher_is_better=higher),
                "chart": chart(
                    f"{m.name} over the last periods",
                    series,
                    top=None,
                    bottom=None,
                    width=420,
                    reference=("target", float(m.target)),
                ),
            }
        )
    return {
        "overall": overall,
        "overall_arrow": _arrow(*last_two(overall)),
        "overall_chart": chart("Health over the last periods", overall),
        "areas": areas,
        "metrics": metrics,
        "comparable_note": note,
    }
