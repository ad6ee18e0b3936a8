"""Health computation: properties that must hold for any template and any values."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scorecards.scoring import (
    AREAS,
    Health,
    MetricSpec,
    explain,
    explain_change,
    health,
    metric_score,
    metric_status,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
weights = st.floats(min_value=0.01, max_value=100, allow_nan=False)


@st.composite
def spec(draw, key: str = "m"):
    higher = draw(st.booleans())
    a, b = sorted([draw(finite), draw(finite)])
    assume(b - a > 1e-6)
    target, red = (b, a) if higher else (a, b)
    amber = draw(st.floats(min_value=min(a, b), max_value=max(a, b)))
    return MetricSpec(key, draw(st.sampled_from(AREAS)), target, amber, red, draw(weights), higher)


@st.composite
def scorecard(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    specs = [draw(spec(key=f"m{i}")) for i in range(count)]
    values = {s.key: draw(st.one_of(st.none(), finite)) for s in specs}
    area_weights = {a: draw(weights) for a in AREAS}
    return specs, values, area_weights


@settings(max_examples=300)
@given(scorecard())
def test_health_stays_within_0_and_100(case):
    specs, values, area_weights = case
    result = health(specs, values, area_weights)
    if any(v is not None for v in values.values()):
        assert result.overall is not None and 0 <= result.overall <= 100
    for score in result.areas.values():
        assert 0 <= score <= 100


@settings(max_examples=200)
@given(scorecard(), st.floats(min_value=0.01, max_value=1000))
def test_scaling_every_weight_changes_nothing(case, factor):
    specs, values, area_weights = case
    scaled_specs = [
        MetricSpec(s.key, s.area, s.target, s.amber, s.red, s.weight * factor, s.higher_is_better) for s in specs
    ]
    scaled_areas = {a: w * factor for a, w in area_weights.items()}
    one, two = health(specs, values, area_weights), health(scaled_specs, values, scaled_areas)
    assert (one.overall is None) == (two.overall is None)
    if one.overall is not None:
        assert math.isclose(one.overall, two.overall, abs_tol=1e-6)


@settings(max_examples=300)
@given(spec(), finite, st.floats(min_value=0, max_value=1))
def test_moving_toward_the_target_never_lowers_the_score(metric, value, step):
    # Never past the target: in floats, v + (target - v) * 1.0 can land a hair beyond it, on its wrong side.
    low, high = sorted((value, metric.target))
    closer = min(max(value + (metric.target - value) * step, low), high)
    assert metric_score(metric, closer) >= metric_score(metric, value) - 1e-9


@settings(max_examples=200)
@given(scorecard(), scorecard())
def test_explanation_adds_up_to_the_change(now_case, before_case):
    specs, values_now, area_weights = now_case
    _, values_before, _ = before_case
    before_values = {s.key: values_before.get(s.key) for s in specs}
    now, before = health(specs, values_now, area_weights), health(specs, before_values, area_weights)
    change = (now.overall or 0) - (before.overall or 0)
    assert math.isclose(sum(effect for _, effect in explain(now, before)), change, abs_tol=1e-6)


def test_missing_data_is_not_zero():
    a = MetricSpec("a", "financial", target=100, amber=80, red=50)
    b = MetricSpec("b", "financial", target=100, amber=80, red=50)
    only_a = health([a, b], {"a": 100, "b": None}, {"financial": 1})
    assert only_a.overall == 100  # b has no data: left out, not zero
    assert health([a, b], {"a": None, "b": None}, {"financial": 1}) == Health(None, {}, {}, {})


def test_status_and_score_both_directions():
    uptime = MetricSpec("uptime", "execution", target=99.9, amber=99.5, red=99.0)
    assert [metric_status(uptime, v) for v in (99.95, 99.6, 99.2)] == ["green", "amber", "red"]
    assert metric_score(uptime, 99.45) == 50.0
    days = MetricSpec("days", "execution", target=2, amber=4, red=10, higher_is_better=False)
    assert [metric_status(days, v) for v in (1, 3, 7)] == ["green", "amber", "red"]
    assert metric_score(days, 6) == 50.0 and metric_score(days, 12) == 0 and metric_score(days, 1) == 100


@settings(max_examples=300)
@given(scorecard(), scorecard())
def test_like_for_like_explanation_adds_up_and_follows_each_metric(now_case, before_case):
    specs, values_now, area_weights = now_case
    _, values_before, _ = before_case
    before_values = {s.key: values_before.get(s.key) for s in specs}
    change = explain_change(specs, values_now, area_weights, specs, before_values, area_weights)
    now, before = health(specs, values_now, area_weights), health(specs, before_values, area_weights)
    if now.overall is None or before.overall is None:
        assert change is None
        return
    assert change is not None
    total = sum(effect for _, effect in change.effects) + change.coverage
    assert math.isclose(total, now.overall - before.overall, abs_tol=1e-6)
    by_key = {s.key: s for s in specs}
    for key, effect in change.effects:  # the sign of a metric's effect is the sign of its own move
        moved = metric_score(by_key[key], values_now[key]) - metric_score(by_key[key], before_values[key])
        assert effect * moved >= -1e-9
    if not change.gained and not change.lost:
        assert math.isclose(change.coverage, 0, abs_tol=1e-6)


@settings(max_examples=200)
@given(scorecard(), st.data())
def test_moving_one_metric_toward_its_target_never_lowers_health(case, data):
    specs, values, area_weights = case
    known = [s for s in specs if values.get(s.key) is not None]
    assume(known)
    metric = data.draw(st.sampled_from(known))
    step = data.draw(st.floats(min_value=0, max_value=1))
    closer = {**values, metric.key: toward(values[metric.key], metric.target, step)}
    assert health(specs, closer, area_weights).overall >= health(specs, values, area_weights).overall - 1e-9


def toward(value: float, target: float, step: float) -> float:
    """``value`` moved ``step`` (0..1) of the way to ``target``, never past it: in floats, v + (target - v) * 1.0
    can land a hair beyond the target, on its wrong side, which the scoring rightly scores a hair below 100."""
    low, high = sorted((value, target))
    return min(max(value + (target - value) * step, low), high)


def test_the_move_that_once_overshot_its_target_by_float_rounding():
    lower_is_better = MetricSpec("defects", "operational", target=-0.7, amber=5, red=10, higher_is_better=False)
    start = -524289.0
    assert start + (-0.7 - start) * 1.0 > -0.7  # the unclamped move lands past the target, on its wrong side...
    assert metric_score(lower_is_better, start + (-0.7 - start) * 1.0) < 100
    assert toward(start, -0.7, 1.0) == -0.7  # ...the property's move stops at it, and keeps the full score
    assert metric_score(lower_is_better, toward(start, -0.7, 1.0)) == metric_score(lower_is_better, start) == 100


def test_a_metric_gaining_data_is_one_line_not_a_drop_of_the_others():
    growth = MetricSpec("growth", "financial", target=10, amber=3, red=-5)
    revenue = MetricSpec("revenue", "financial", target=100, amber=80, red=40)
    weights = {"financial": 1}
    change = explain_change([growth, revenue], {"growth": 6, "revenue": 45}, weights, [growth, revenue],
                            {"growth": 2, "revenue": None}, weights)  # fmt: skip
    assert change is not None and change.gained == ["revenue"]
    assert dict(change.effects)["growth"] > 0  # growth improved: its effect is positive
    assert change.coverage < 0  # the new, poor revenue figure pulls health down: said on its own line
    assert math.isclose(sum(e for _, e in change.effects) + change.coverage, change.total)
