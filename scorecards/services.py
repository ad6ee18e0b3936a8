"""Scorecard operations: the default template, periods, values, computing health."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.events import timeline_event
from accounts.models import Account
from sam.models import User
from sam.periods import period_bounds
from sam.services import audit_record, row_update
from scorecards import cache, scoring, sources
from scorecards.models import (
    AgreedTarget,
    MetricDefinition,
    MetricValue,
    Period,
    Scorecard,
    ScorecardSettings,
    ScorecardTemplate,
    TemplateVersion,
)
from scorecards.selectors import current_version, newest_version_for, period_length, specs_of, value_range

# key, area, name, unit, direction, target, amber, red, weight, source, visibility
# A table: one row per line reads better than one field per line.
# fmt: off
DEFAULT_METRICS = [
    ("revenue", "financial", "Contract revenue per year", "money", "higher", 1_000_000, 800_000, 400_000, 2,
     "contract_revenue", "internal"),
    ("growth", "financial", "Revenue growth", "percent", "higher", 10, 3, -5, 1, "manual", "internal"),
    ("on_time", "execution", "Actions closed on time", "percent", "higher", 90, 75, 50, 2, "actions_on_time", "joint"),
    ("incidents", "execution", "Incidents in the period", "number", "lower", 2, 5, 12, 1, "incidents", "joint"),
    ("recurring", "execution", "Open recurring issues", "number", "lower", 0, 1, 3, 1, "recurring_open", "internal"),
    ("satisfaction", "customer_insight", "Service satisfaction", "score", "higher", 4.5, 4, 3, 2, "voc_satisfaction",
     "joint"),
    ("nps", "customer_insight", "Net Promoter Score", "score", "higher", 40, 10, -20, 2, "voc_nps", "joint"),
    ("loyalty", "customer_insight", "Truly loyal contacts", "percent", "higher", 60, 40, 20, 1, "voc_loyalty",
     "internal"),
    ("share_of_wallet", "competitive_position", "Share of wallet", "percent", "higher", 60, 40, 20, 2, "manual",
     "internal"),
    ("suppliers", "competitive_position", "Competing suppliers", "number", "lower", 1, 3, 5, 1, "manual", "internal"),
    ("events", "involvement", "Joint events and councils attended", "number", "higher", 3, 1, 0, 1, "manual",
     "joint"),
    ("reference", "involvement", "Willing to be a reference (0-5)", "score", "higher", 4, 3, 1, 1, "manual",
     "internal"),
    ("response_rate", "involvement", "Survey response rate", "percent", "higher", 50, 30, 10, 1,
     "voc_response_rate", "internal"),
]
# fmt: on
# key -> (lowest, highest) value that makes sense
DEFAULT_RANGES = {
    "satisfaction": (1, 5),
    "nps": (-100, 100),
    "reference": (0, 5),
    "on_time": (0, 100),
    "share_of_wallet": (0, 100),
    "loyalty": (0, 100),
    "response_rate": (0, 100),
}
DEFAULT_DESCRIPTIONS = {
    "loyalty": "The share of the contacts who answered a survey in the period who are truly loyal: satisfied and "
    "set to continue, by the cut-offs in the survey settings.",
    "response_rate": "The share of the survey invitations delivered in the period that were answered.",
}
# The default metrics the survey program fills (satisfaction, NPS, loyalty, response rate): templates made
# before they came from the surveys can take them over (scorecards.templating.survey_switch_plan).
SURVEY_METRICS = ("satisfaction", "nps", "loyalty", "response_rate")
DEFAULT_AREA_WEIGHTS = {
    "financial": 25,
    "execution": 25,
    "customer_insight": 20,
    "competitive_position": 15,
    "involvement": 15,
}

# Events on the account's timeline (registered in ScorecardsConfig.ready).
EVENT_CLOSED, EVENT_BAND = "scorecard.closed", "health.band"


def template_defaults_ensure() -> ScorecardTemplate:
    """The tenant's default template with example metrics in every area (idempotent)."""
    template = ScorecardTemplate.objects.filter(is_default=True).first()
    if template is not None:
        return template
    with transaction.atomic():
        template = ScorecardTemplate.objects.create(name="Strategic account scorecard", is_default=True)
        version = TemplateVersion.objects.create(template=template, number=1, area_weights=DEFAULT_AREA_WEIGHTS)
        MetricDefinition.objects.bulk_create(
            default_metric(row[0], version=version, order=order) for order, row in enumerate(DEFAULT_METRICS)
        )
    return template


def default_metric(key: str, *, version: TemplateVersion, order: int) -> MetricDefinition:
    """One metric of the default template as it is defined today, for a version (not saved)."""
    row = next(row for row in DEFAULT_METRICS if row[0] == key)
    _, area, name, unit, direction, target, amber, red, weight, source, visibility = row
    return MetricDefinition(
        version=version,
        key=key,
        area=area,
        name=name,
        unit=unit,
        direction=direction,
        target=Decimal(str(target)),
        amber=Decimal(str(amber)),
        red=Decimal(str(red)),
        weight=Decimal(str(weight)),
        source=source,
        visibility=visibility,
        order=order,
        min_value=_bound(key, 0),
        max_value=_bound(key, 1),
        description=DEFAULT_DESCRIPTIONS.get(key, ""),
    )


def _bound(key: str, index: int) -> Decimal | None:
    bounds = DEFAULT_RANGES.get(key)
    return Decimal(bounds[index]) if bounds else None


@transaction.atomic
def scorecard_settings_update(*, data: dict[str, Any], acting_user: User | None) -> ScorecardSettings:
    """The tenant's scorecard settings (the period length: new periods follow it, existing scorecards keep theirs)."""
    config = row_update(ScorecardSettings.current(), data)
    audit_record(
        actor=acting_user, action="scorecards.settings_update", obj=config, **{k: str(v) for k, v in data.items()}
    )
    return config


def period_for(day: date, length: str | None = None) -> Period:
    """The period of the tenant's length containing ``day`` (made on first use)."""
    length = length or period_length()
    label, start, end = period_bounds(day, length)
    period, _ = Period.objects.get_or_create(label=label, defaults={"start": start, "end": end, "length": length})
    return period


def recent_periods(count: int = 8, *, today: date | None = None, older: int = 0) -> list[Period]:
    """The last ``count`` periods of the tenant's length up to today, oldest first (made on first use).

    ``older`` adds up to that many earlier periods (of any length) in front. One query when they all exist.
    """
    length = period_length()
    day = today or timezone.localdate()
    wanted = []
    for _ in range(count):
        label, start, _end = period_bounds(day, length)
        wanted.append((label, day))
        day = start - timedelta(days=1)
    oldest_start = period_bounds(wanted[-1][1], length)[1]
    known = list(
        Period.objects.filter(Q(label__in=[w[0] for w in wanted]) | Q(start__lt=oldest_start)).order_by("-start")[
            : count + older
        ]
    )
    existing = {p.label: p for p in known}
    recent = [existing.get(label) or period_for(within, length) for label, within in wanted]
    labels = {p.label for p in recent}
    earlier = [p for p in known if p.label not in labels and p.start < oldest_start][:older]
    return [*earlier[::-1], *recent[::-1]]


def period_close(*, period: Period, closed: bool, acting_user: User | None) -> Period:
    """Lock a period (computed values are taken one last time, then frozen), or open it again. Audited."""

    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.closed == closed:
            return locked
        if closed:
            for card in Scorecard.objects.filter(period=locked).select_related("account", "period", "version"):
                scorecard_fill_computed(card)
                scorecard_compute(card)
                card.refresh_from_db(fields=["health"])
                _closed_event(card, by=acting_user)
        locked.closed = closed
        locked.save(update_fields=["closed"])
        audit_record(
            actor=acting_user,
            action="scorecard.period_close" if closed else "scorecard.period_reopen",
            obj=locked,
            label=locked.label,
        )
    return locked


def scorecard_for(*, account: Any, period: Period) -> Scorecard:
    """The account's scorecard for a period, on the default template's current version (idempotent)."""
    existing = Scorecard.objects.filter(account=account, period=period).select_related("version").first()
    if existing is not None:
        return existing
    version = current_version(template_defaults_ensure())
    try:
        with transaction.atomic():
            scorecard = Scorecard.objects.create(account=account, period=period, version=version)
    except IntegrityError:
        return Scorecard.objects.get(account=account, period=period)
    if not version.in_use:
        TemplateVersion.objects.filter(pk=version.pk).update(in_use=True)
        version.in_use = True
    return scorecard


def scorecard_upgrade(*, scorecard: Scorecard, acting_user: User | None) -> Scorecard:
    """Move an open period's scorecard to its template's newest version.

    Values carry over by metric key; values of metrics the new version no longer has (or has retired) are
    dropped, and said so in the audit record. A closed period keeps its version.
    """

    if scorecard.period.closed:
        raise ValidationError("This period is closed: its scorecard keeps the version it was filled on.")
    newest = newest_version_for(scorecard)
    if newest is None:
        return scorecard
    with transaction.atomic():
        card = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        targets = {m.key: m for m in newest.metrics.filter(retired=False)}
        dropped = []
        for mv in MetricValue.objects.filter(scorecard=card).select_related("metric"):
            metric = targets.get(mv.metric.key)
            if metric is None:
                dropped.append(mv.metric.key)
                mv.delete()
            else:
                MetricValue.objects.filter(pk=mv.pk).update(metric=metric)
        old_number = card.version.number
        card.version = newest
        card.save(update_fields=["version"])
        if not newest.in_use:
            TemplateVersion.objects.filter(pk=newest.pk).update(in_use=True)
        audit_record(
            actor=acting_user,
            action="scorecard.upgrade",
            obj=card,
            from_version=old_number,
            to_version=newest.number,
            dropped=dropped,
        )
    scorecard_fill_computed(card)
    scorecard_compute(card)
    return card


def agreed_target_set(
    *,
    account: Any,
    metric: MetricDefinition,
    target: Any,
    agreed_with: str = "",
    agreed_on: Any = None,
    acting_user: User | None,
) -> AgreedTarget:
    """Record a target agreed with the customer on a day for a joint metric (empty: back to the standard).

    It holds from the period that day falls in; earlier periods keep what was agreed before. Audited.
    """

    if metric.visibility != MetricDefinition.Visibility.JOINT:
        raise ValidationError({"key": f"{metric.name} is internal: only joint metrics have agreed targets."})
    try:
        number = _number(target, metric)
    except ValidationError as exc:
        raise ValidationError({"target": exc.message_dict["value"]}) from exc
    agreed_with = (agreed_with or "").strip()
    if len(agreed_with) > 200 or "\x00" in agreed_with:
        raise ValidationError({"agreed_with": "At most 200 characters."})
    agreed_on = agreed_on or timezone.localdate()
    if agreed_on > timezone.localdate():
        raise ValidationError({"agreed_on": "The date it was agreed cannot be in the future."})
    agreed, _ = AgreedTarget.objects.update_or_create(
        account=account,
        key=metric.key,
        agreed_on=agreed_on,
        defaults={"target": number, "agreed_with": agreed_with, "updated_by": acting_user},
    )
    audit_record(
        actor=acting_user,
        action="scorecard.agreed_target",
        obj=account,
        metric=metric.key,
        target=None if number is None else str(number),
        agreed_on=agreed_on.isoformat(),
        agreed_with=agreed_with,
    )
    return agreed


def value_set(
    *,
    scorecard: Scorecard,
    metric: MetricDefinition,
    value: Any,
    acting_user: User | None,
    comment: str = "",
    evidence: str = "",
    is_admin: bool = False,
    recompute: bool = True,
) -> MetricValue:
    """Enter one value. Numbers only, in range for the unit; a closed period needs an admin and is recorded."""
    if metric.version_id != scorecard.version_id:
        raise ValidationError({"metric": "This metric is not on this scorecard."})
    if metric.source != "manual":
        raise ValidationError({"value": f"{metric.name} is computed from the product's data, not entered by hand."})
    if scorecard.period.closed and not is_admin:
        raise PermissionDenied("This period is closed; an admin can still correct it.")
    number = _number(value, metric)
    evidence = evidence.strip()
    if evidence:
        try:
            URLValidator(schemes=["http", "https"])(evidence)
        except ValidationError as exc:
            raise ValidationError({"evidence": "The evidence must be a web link (https://...)."}) from exc
        if len(evidence) > 500:
            raise ValidationError({"evidence": "The evidence link is longer than 500 characters."})
    if "\x00" in comment or "\x00" in evidence:
        raise ValidationError({"comment": "The text contains a NUL character."})
    if len(comment) > 500:
        raise ValidationError({"comment": "The comment is longer than 500 characters."})
    if scorecard.period.closed:  # an admin's correction, recorded with what it replaced
        old = MetricValue.objects.filter(scorecard=scorecard, metric=metric).values_list("value", flat=True).first()
        audit_record(
            actor=acting_user,
            action="scorecard.closed_edit",
            obj=scorecard,
            metric=metric.key,
            period=scorecard.period.label,
            old=None if old is None else str(old),
            new=None if number is None else str(number),
        )
    mv, _ = MetricValue.objects.update_or_create(
        scorecard=scorecard,
        metric=metric,
        defaults={
            "value": number,
            "comment": comment,
            "evidence": evidence,
            "updated_by": acting_user,
            "computed_from": "",
        },
    )
    if recompute:
        scorecard_compute(scorecard)
    return mv


def _number(value: Any, metric: MetricDefinition) -> Decimal | None:
    if value in (None, ""):
        return None
    unit = metric.get_unit_display()
    try:
        number = Decimal(str(value).replace(",", "").strip().rstrip("%"))
    except InvalidOperation as exc:
        raise ValidationError({"value": f"Enter a number ({unit})."}) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValidationError({"value": f"Enter a usable number ({unit})."})
    low, high = value_range(metric)
    if (low is not None and number < low) or (high is not None and number > high):

        def show(bound: Decimal) -> str:
            return f"{bound.normalize():f}"

        if low is not None and high is not None:
            expected = f"from {show(low)} to {show(high)}"
        else:
            expected = f"of at least {show(low)}" if low is not None else f"of at most {show(high)}"  # type: ignore[arg-type]
        raise ValidationError({"value": f"Enter a value {expected} ({unit})."})
    return number.quantize(Decimal("0.01"))


def scorecard_fill_computed(scorecard: Scorecard, *, sources_only: Collection[str] | None = None) -> int:
    """Values of computed metrics from their sources (a source without data leaves the value empty), or from the
    ``sources_only`` named (an app whose data just arrived refreshes its own metrics).

    Each source runs once however many metrics use it; the values are written in two statements at most.
    """
    metrics = list(scorecard.version.metrics.filter(retired=False).exclude(source="manual"))
    if sources_only is not None:
        metrics = [m for m in metrics if m.source in sources_only]
    if not metrics:
        return 0
    existing = {mv.metric_id: mv for mv in MetricValue.objects.filter(scorecard=scorecard, metric__in=metrics)}
    results: dict[str, tuple[Decimal | None, str]] = {}
    changed, new = [], []
    for metric in metrics:
        source = sources.get(metric.source)
        if source is None:
            continue
        if metric.source not in results:
            results[metric.source] = source.fn(scorecard.account, scorecard.period)
        value, origin = results[metric.source]
        value = None if value is None else Decimal(value).quantize(Decimal("0.01"))
        origin = origin[:300]
        mv = existing.get(metric.pk)
        if mv is None:
            new.append(MetricValue(scorecard=scorecard, metric=metric, value=value, computed_from=origin))
        elif mv.value != value or mv.computed_from != origin:
            mv.value, mv.computed_from, mv.updated_at = value, origin, timezone.now()
            changed.append(mv)
    if new:
        MetricValue.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        MetricValue.objects.bulk_update(changed, ["value", "computed_from", "updated_at"])
    return len(results)


def _band_change_record(scorecard: Scorecard, health: float | None, now: datetime) -> None:
    """Health in another band than on the account's previous scorecard: once per scorecard and band on the
    timeline, dated when noticed (at the latest the period's end, for a past period computed late)."""
    after = scoring.band(health)
    if after is None:
        return
    previous = (
        Scorecard.objects.filter(
            account_id=scorecard.account_id, period__start__lt=scorecard.period.start, health__isnull=False
        )
        .order_by("-period__start")
        .values_list("health", "period__label")
        .first()
    )
    if previous is None or scoring.band(float(previous[0])) == after:
        return
    before, label = scoring.band(float(previous[0])), scorecard.period.label
    ends = timezone.make_aware(datetime.combine(scorecard.period.end, time(18, 0)))
    timeline_event(
        account=scorecard.account_id,
        event=EVENT_BAND,
        summary=f"Health went from {before} ({previous[1]}, {float(previous[0]):g}) to {after} on the {label} "
        f"scorecard ({health:g}/100)",
        key=f"health-band:{scorecard.pk}:{after}",
        at=min(now, ends),
        source_id=scorecard.pk,
    )


def scorecard_compute(scorecard: Scorecard) -> scoring.Health:
    """Health and area scores from the stored values (stored back on the scorecard)."""
    version = scorecard.version
    values = {
        mv.metric.key: (float(mv.value) if mv.value is not None else None)
        for mv in MetricValue.objects.filter(scorecard=scorecard).select_related("metric")
    }
    result = scoring.health(specs_of(version), values, {k: float(v) for k, v in version.area_weights.items()})
    health = scoring.as_decimal(result.overall)
    area_scores = {area: round(score, 1) for area, score in result.areas.items()}
    stored = Scorecard.objects.filter(pk=scorecard.pk).values_list("health", "area_scores").first()
    now = timezone.now()
    Scorecard.objects.filter(pk=scorecard.pk).update(health=health, area_scores=area_scores, computed_at=now)
    if stored != (health, area_scores):
        cache.bump(scorecard.tenant_id)  # the heatmap shows health and area scores
        _band_change_record(scorecard, result.overall, now)
    return result


def alerts_sweep() -> int:
    """The periodic check for the current tenant (every 30 minutes by default).

    Every live account's scorecard for the current period is made if missing and its computed metrics
    and health brought up to date, so the heatmap and the playbooks' health triggers (scorecards.triggers)
    follow the product's data without anyone opening a page. Returns how many scorecards it went through.
    """

    period = period_for(timezone.localdate())
    count = 0
    for account in Account.objects.alive().select_related("owner"):
        count += 1
        card = scorecard_for(account=account, period=period)
        if not period.closed:
            scorecard_fill_computed(card)
            scorecard_compute(card)
    return count


def timeline_backfill() -> int:
    """The scorecards of periods closed before the timeline existed, on their accounts' timelines (once each)."""
    cards = Scorecard.objects.filter(period__closed=True).select_related("period")
    return sum(
        _closed_event(card, at=timezone.make_aware(datetime.combine(card.period.end, time(18, 0)))) for card in cards
    )


def _closed_event(card: Scorecard, *, at: datetime | None = None, by: User | None = None) -> bool:
    """The scorecard closed, on its account's timeline (once); whether it was recorded now."""
    health = f": health {float(card.health):g}/100" if card.health is not None else ""
    return bool(
        timeline_event(
            account=card.account_id,
            event=EVENT_CLOSED,
            summary=f"Scorecard {card.period.label} closed{health}",
            key=f"scorecard-closed:{card.pk}",
            at=at,
            source_id=card.pk,
            by=by,
        )
    )
