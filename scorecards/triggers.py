"""The scorecard's playbook triggers: health turned red, and an area dropped two bands since the previous period
(registered in ScorecardsConfig.ready; the playbook check in accounts fires them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.triggers import Firing, Trigger, register_trigger
from scorecards import scoring
from scorecards.models import Area, Scorecard

HEALTH_RED, AREA_DROP = "health_red", "area_drop"
BANDS = ("red", "amber", "green")
# Scorecards older than this do not count as an account's latest (an account nobody scores any more).
LATEST_DAYS = 400


def _latest_two(now: datetime) -> dict[int, list[tuple[str, float | None, dict[str, float]]]]:
    """Each live account's two latest scorecards with a health: (period label, health, area scores), newest first.
    One query."""
    since = timezone.localdate(now) - timedelta(days=LATEST_DAYS)
    cards: dict[int, list[tuple[str, float | None, dict[str, float]]]] = {}
    rows = (
        Scorecard.objects.filter(
            health__isnull=False,
            period__start__gte=since,
            period__start__lte=timezone.localdate(now),
            account__deleted_at__isnull=True,
        )
        .exclude(account__status="inactive")
        .order_by("account_id", "-period__start")
        .values_list("account_id", "period__label", "health", "area_scores")
    )
    for account_id, label, health, areas in rows:
        mine = cards.setdefault(account_id, [])
        if len(mine) < 2:
            mine.append((label, float(health) if health is not None else None, areas or {}))
    return cards


# Health fired red until it is back this far above the red line: a recompute that dips in and out of red (values
# entered one by one, a source that wobbles) does not start the playbook again.
RED_MARGIN = 5.0


def _health_red(days: int | None, now: datetime) -> Firing:
    firing: Firing = {}
    for account_id, cards in _latest_two(now).items():
        label, health = cards[0][0], cards[0][1]
        if scoring.band(health) == "red":
            firing[(account_id, "")] = f"Health is red ({health:g}/100) on the {label} scorecard."
        elif health is not None and health < scoring.RED_BELOW + RED_MARGIN:
            firing[(account_id, "")] = None  # not red, not yet clear of it
    return firing


def _area_drop(days: int | None, now: datetime) -> Firing:
    labels = dict(Area.choices)
    firing: Firing = {}
    for account_id, cards in _latest_two(now).items():
        if len(cards) < 2:
            continue
        (label, _, areas), (before_label, _, before) = cards
        for area, score in areas.items():
            old = before.get(area)
            if old is None or score is None:
                continue
            if BANDS.index(scoring.band(old) or "red") - BANDS.index(scoring.band(score) or "red") >= 2:
                firing[(account_id, area)] = (
                    f"{labels.get(area, area)} fell from green to red: {old:g} on the {before_label} scorecard, "
                    f"{score:g} on the {label} one."
                )
    return firing


def register() -> None:
    register_trigger(Trigger(HEALTH_RED, "Health turned red", _health_red))
    register_trigger(Trigger(AREA_DROP, "A scorecard area dropped two bands", _area_drop))
