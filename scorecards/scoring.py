"""How a scorecard turns values into health: pure functions, no database.

- A metric scores 0..100: 0 at (or beyond) its red threshold, 100 at (or
  beyond) its target, linear in between; lower-is-better metrics mirrored.
- Its status: green at or beyond the target, amber at or beyond the amber
  threshold, red otherwise.
- An area's score is the weighted mean of its metrics that have data; the
  overall health the weighted mean of the areas that have data. Health needs
  at least one value entered by people when the template has such metrics:
  computed metrics alone (a period just begun) give area scores, not health. Metrics and
  areas without data are left out (never counted as zero), and the weights
  of the rest are normalised, so any positive weights work.
- The explanation of a change in health gives each metric its effect in
  points: its share of the health now minus its share before. The effects
  add up to the change exactly.
- ``explain_change`` compares like with like: the metrics with data in both
  periods are weighed the same way on both sides, so a metric's effect has
  the sign of its own move; what metrics gaining or losing data did to the
  weights of the others is one separate line. Together they still add up to
  the change exactly.
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
    entered: bool = True  # entered by people (False: computed from the product's data)


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
    scored = [(s, float(value)) for s in specs if (value := values.get(s.key)) is not None]
    areas: dict[str, float] = {}
    area_members: dict[str, list[tuple[MetricSpec, float]]] = {}
    for spec, value in scored:
        if spec.weight > 0:
            area_members.setdefault(spec.area, []).append((spec, metric_score(spec, value)))
    for area, members in area_members.items():
        total = sum(s.weight for s, _ in members)
        areas[area] = min(100.0, max(0.0, sum(s.weight * score for s, score in members) / total))
    present = {a: float(area_weights.get(a, 0)) for a in areas if float(area_weights.get(a, 0)) > 0}
    entered = [s for s in specs if s.entered]
    if entered and not any(values.get(s.key) is not None for s in entered):
        # Computed metrics alone (a period just begun) would make a health nobody has looked at yet.
        return Health(None, areas, {}, {})
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


@dataclass(frozen=True)
class Change:
    before: float
    now: float
    effects: list[tuple[str, float]]  # metric key -> points, biggest first (metrics with data in both periods)
    coverage: float  # points from metrics that gained or lost data (the weights of the rest shifted)
    gained: list[str]
    lost: list[str]

    @property
    def total(self) -> float:
        return self.now - self.before


def explain_change(
    specs_now: Iterable[MetricSpec],
    values_now: Mapping[str, float | None],
    weights_now: Mapping[str, float],
    specs_before: Iterable[MetricSpec],
    values_before: Mapping[str, float | None],
    weights_before: Mapping[str, float],
) -> Change | None:
    """Why health moved between two scorecards (None when either has no health)."""
    specs_now, specs_before = list(specs_now), list(specs_before)
    now = health(specs_now, values_now, weights_now)
    before = health(specs_before, values_before, weights_before)
    if now.overall is None or before.overall is None:
        return None
    has_now = {s.key for s in specs_now if values_now.get(s.key) is not None}
    has_before = {s.key for s in specs_before if values_before.get(s.key) is not None}
    common = has_now & has_before
    now_c = health([s for s in specs_now if s.key in common], values_now, weights_now)
    before_c = health([s for s in specs_before if s.key in common], values_before, weights_before)
    effects = explain(now_c, before_c) if now_c.overall is not None and before_c.overall is not None else []
    like_for_like = sum(effect for _, effect in effects)
    return Change(
        before=before.overall,
        now=now.overall,
        effects=effects,
        coverage=(now.overall - before.overall) - like_for_like,
        gained=sorted(has_now - has_before),
        lost=sorted(has_before - has_now),
    )


GREEN_FROM, RED_BELOW = 75.0, 50.0


def band(score: float | None) -> str | None:
    """The band of a score out of 100: green from 75, amber from 50, red below (None without a score)."""
    if score is None:
        return None
    return "green" if score >= GREEN_FROM else "amber" if score >= RED_BELOW else "red"


def as_decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 1)))
