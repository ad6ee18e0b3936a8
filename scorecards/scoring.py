"""How a scorecard turns values into health: pure functions, no database.

- A metric scores 0..100: 0 at (or beyond) its red threshold, 100 at (or
  beyond) its target, linear in between; lower-is-better metrics mirrored.
- Its status: green at or beyond the target, amber at or beyond the amber
  threshold, red otherwise.
- An area's score is the weighted mean of its metrics that have data; the
  overall health the weighted mean of the areas that have data. Metrics and
  areas without data are left out (never counted as zero), and the weights
  of the rest are normalised, so any positive weights work.
- The explanation of a change in health gives each metric its effect in
  points: its share of the health now minus its share before. The effects
  add up to the change exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

AREAS = ("financial", "execution", "customer_insight", "competitive_position", "involvement")


@dataclass(frozen=True)
class MetricSpec:
    key: str
    area: str
    target: float
    amber: float
    red: float
    weight: float = 1.0
    higher_is_better: bool = True


def metric_score(spec: MetricSpec, value: float) -> float:
    """0..100 for one value."""
    good, bad = spec.target, spec.red
    if good == bad:
        better = value >= good if spec.higher_is_better else value <= good
        return 100.0 if better else 0.0
    fraction = (value - bad) / (good - bad)
    return max(0.0, min(1.0, fraction)) * 100.0


def metric_status(spec: MetricSpec, value: float) -> str:
    if spec.higher_is_better:
        if value >= spec.target:
            return "green"
        return "amber" if value >= spec.amber else "red"
    if value <= spec.target:
        return "green"
    return "amber" if value <= spec.amber else "red"


@dataclass(frozen=True)
class Health:
    overall: float | None
    areas: dict[str, float]
    # the share of the overall health each metric carries (weight after normalisation x score)
    shares: dict[str, float]
    weights: dict[str, float]


def health(
    specs: Iterable[MetricSpec], values: Mapping[str, float | None], area_weights: Mapping[str, float]
) -> Health:
    """Area scores and overall health (0..100, None without any data) from the metrics that have data."""
    specs = list(specs)
    scored = [(s, float(values[s.key])) for s in specs if values.get(s.key) is not None]
    areas: dict[str, float] = {}
    area_members: dict[str, list[tuple[MetricSpec, float]]] = {}
    for spec, value in scored:
        if spec.weight > 0:
            area_members.setdefault(spec.area, []).append((spec, metric_score(spec, value)))
    for area, members in area_members.items():
        total = sum(s.weight for s, _ in members)
        areas[area] = min(100.0, max(0.0, sum(s.weight * score for s, score in members) / total))
    present = {a: float(area_weights.get(a, 0)) for a in areas if float(area_weights.get(a, 0)) > 0}
    if not present:
        return Health(None, areas, {}, {})
    area_total = sum(present.values())
    shares: dict[str, float] = {}
    weights: dict[str, float] = {}
    for area, members in area_members.items():
        if area not in present:
            continue
        metric_total = sum(s.weight for s, _ in members)
        for spec, score in members:
            weight = present[area] / area_total * spec.weight / metric_total
            weights[spec.key] = weight
            shares[spec.key] = weight * score
    overall = sum(shares.values())
    return Health(min(100.0, max(0.0, overall)), areas, shares, weights)


def explain(now: Health, before: Health) -> list[tuple[str, float]]:
    """Each metric's effect on the change in health, in points, biggest first; they sum to the change."""
    keys = set(now.shares) | set(before.shares)
    effects = [(key, now.shares.get(key, 0.0) - before.shares.get(key, 0.0)) for key in keys]
    return sorted(effects, key=lambda item: (-abs(item[1]), item[0]))


def as_decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 1)))
