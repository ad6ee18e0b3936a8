"""Changing scorecard templates (tenant admins).

A version that a scorecard uses never changes: the first change after that
copies it into a new version (same metric keys, so trends still line up) and
applies the change there. Scorecards already started keep their version; new
ones start on the newest. A metric with recorded values cannot be deleted,
only retired (it stays on the old scorecards, and leaves the new version).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify

from sam.models import AuditEvent, User
from sam.services import audit_record
from scorecards import sources
from scorecards.models import Area, MetricDefinition, MetricValue, Scorecard, ScorecardTemplate, TemplateVersion
from scorecards.selectors import current_version
from scorecards.services import DEFAULT_METRICS, SURVEY_METRICS, default_metric, template_defaults_ensure

EDITABLE_FIELDS = (
    "name",
    "description",
    "area",
    "unit",
    "direction",
    "target",
    "amber",
    "red",
    "weight",
    "source",
    "visibility",
    "min_value",
    "max_value",
)


def _audit(user: User | None, action: str, template: ScorecardTemplate, **data: Any) -> None:
    audit_record(actor=user, action=action, obj=template, **data)


def editable_version(template: ScorecardTemplate) -> TemplateVersion:
    """The version a change goes into: the newest, or a fresh copy of it when scorecards use it."""
    latest = TemplateVersion.objects.select_for_update().filter(template=template).order_by("-number").first()
    if latest is None:
        return TemplateVersion.objects.create(template=template, number=1, area_weights={})
    if not latest.in_use and not Scorecard.objects.filter(version=latest).exists():
        return latest
    if not latest.in_use:
        TemplateVersion.objects.filter(pk=latest.pk).update(in_use=True)
    fresh = TemplateVersion.objects.create(
        template=template, number=latest.number + 1, area_weights=dict(latest.area_weights)
    )
    _copy_metrics(latest, fresh)
    return fresh


def _copy_metrics(source: TemplateVersion, target: TemplateVersion) -> None:
    """The metrics of one version into another, keys kept (the same key is the same measure)."""
    copies = []
    for m in source.metrics.all():
        fields = {f: getattr(m, f) for f in EDITABLE_FIELDS}
        copies.append(MetricDefinition(version=target, key=m.key, order=m.order, retired=m.retired, **fields))
    MetricDefinition.objects.bulk_create(copies)


def _decimal(value: Any, field: str, *, low: Decimal | None = None, high: Decimal | None = None) -> Decimal:
    if value in (None, ""):
        raise ValidationError({field: "Required."})
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError({field: "Enter a number."}) from exc
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValidationError({field: "Enter a usable number."})
    if low is not None and number < low:
        raise ValidationError({field: f"At least {low}."})
    if high is not None and number > high:
        raise ValidationError({field: f"At most {high}."})
    return number.quantize(Decimal("0.01"))


def metric_clean(data: dict[str, Any]) -> dict[str, Any]:
    """Check a metric's fields: choices, numbers, and thresholds in the order its direction needs."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "A metric needs a name."
    elif len(name) > 120:
        errors["name"] = f"Too long: {len(name)} characters, at most 120."
    clean["name"] = name
    description = str(data.get("description") or "").strip()
    if len(description) > 2000:
        errors["description"] = "At most 2000 characters."
    clean["description"] = description
    choice_fields = {
        "area": Area.values,
        "unit": MetricDefinition.Unit.values,
        "direction": MetricDefinition.Direction.values,
        "visibility": MetricDefinition.Visibility.values,
        "source": [key for key, _ in sources.choices()],
    }
    defaults = {"unit": "number", "direction": "higher", "visibility": "internal", "source": "manual"}
    for field, allowed in choice_fields.items():
        value = str(data.get(field) or defaults.get(field, "")).strip()
        if value not in allowed:
            errors[field] = f"Choose one of: {', '.join(allowed)}."
        clean[field] = value
    for field in ("target", "amber", "red"):
        try:
            clean[field] = _decimal(data.get(field), field)
        except ValidationError as exc:
            errors[field] = exc.message_dict[field][0]
    for field in ("min_value", "max_value"):
        if data.get(field) in (None, ""):
            clean[field] = None
            continue
        try:
            clean[field] = _decimal(data.get(field), field)
        except ValidationError as exc:
            errors[field] = exc.message_dict[field][0]
    low, high = clean.get("min_value"), clean.get("max_value")
    if low is not None and high is not None and low >= high:
        errors["max_value"] = "The highest value must be above the lowest."
    try:
        clean["weight"] = _decimal(data.get("weight", 1) or 1, "weight", low=Decimal("0.01"), high=Decimal(100))
    except ValidationError as exc:
        errors["weight"] = exc.message_dict["weight"][0]
    if not errors:
        target, amber, red = clean["target"], clean["amber"], clean["red"]
        if clean["direction"] == "higher" and not red <= amber <= target:
            errors["amber"] = "Higher is better: the red threshold must be at or below amber, amber at or below target."
        if clean["direction"] == "lower" and not red >= amber >= target:
            errors["amber"] = "Lower is better: the red threshold must be at or above amber, amber at or above target."
        if red == target:
            errors["red"] = "The red threshold must differ from the target."
        if clean["unit"] == "percent" and any(abs(v) > 1000 for v in (target, amber, red)):
            errors["target"] = "Percentages between -1000 and 1000."
        low, high = clean.get("min_value"), clean.get("max_value")
        outside = [v for v in (target, amber, red) if (low is not None and v < low) or (high is not None and v > high)]
        if outside and "max_value" not in errors:
            errors["target"] = "The target and thresholds must lie within the range of values."
    if errors:
        raise ValidationError(errors)
    return clean


def _key_for(template: ScorecardTemplate, name: str) -> str:
    """A key no version of the template has used, so a new metric never lines up with an old one."""
    base = (slugify(name).replace("-", "_") or "metric")[:50]
    used = set(MetricDefinition.objects.filter(version__template=template).values_list("key", flat=True))
    key, n = base, 2
    while key in used:
        key, n = f"{base}_{n}", n + 1
    return key


@transaction.atomic
def metric_add(*, template: ScorecardTemplate, data: dict[str, Any], acting_user: User | None) -> MetricDefinition:
    clean = metric_clean(data)
    version = editable_version(template)
    order = max((m.order for m in version.metrics.filter(area=clean["area"])), default=-1) + 1
    metric = MetricDefinition.objects.create(
        version=version, key=_key_for(template, clean["name"]), order=order, **clean
    )
    _audit(acting_user, "scorecard_template.metric_add", template, version=version.number, metric=metric.key)
    return metric


def _in_version(version: TemplateVersion, key: str) -> MetricDefinition:
    metric = version.metrics.filter(key=key).first()
    if metric is None:
        raise ValidationError("This metric is not in the template's current version.")
    return metric


@transaction.atomic
def metric_update(
    *, template: ScorecardTemplate, key: str, data: dict[str, Any], acting_user: User | None
) -> MetricDefinition:
    clean = metric_clean(data)
    _in_version(current_version(template), key)
    version = editable_version(template)
    metric = _in_version(version, key)
    changed = {f: str(v) for f, v in clean.items() if getattr(metric, f) != v}
    for field, value in clean.items():
        setattr(metric, field, value)
    metric.save()
    _audit(acting_user, "scorecard_template.metric_edit", template, version=version.number, metric=key, changed=changed)
    return metric


def metric_in_use(template: ScorecardTemplate, key: str) -> bool:
    return MetricValue.objects.filter(metric__version__template=template, metric__key=key, value__isnull=False).exists()


@transaction.atomic
def metric_retire(*, template: ScorecardTemplate, key: str, retired: bool, acting_user: User | None) -> None:
    _in_version(current_version(template), key)
    version = editable_version(template)
    metric = _in_version(version, key)
    metric.retired = retired
    metric.save(update_fields=["retired"])
    _audit(
        acting_user,
        "scorecard_template.metric_retire" if retired else "scorecard_template.metric_restore",
        template,
        version=version.number,
        metric=key,
    )


@transaction.atomic
def metric_delete(*, template: ScorecardTemplate, key: str, acting_user: User | None) -> None:
    """Only a metric nobody has recorded a value for; otherwise retire it."""
    _in_version(current_version(template), key)
    if metric_in_use(template, key):
        raise ValidationError("Scorecards have values for this metric: retire it instead of deleting it.")
    version = editable_version(template)
    _in_version(version, key).delete()
    _audit(acting_user, "scorecard_template.metric_delete", template, version=version.number, metric=key)


def weights_clean(data: dict[str, Any]) -> dict[str, float]:
    weights: dict[str, float] = {}
    errors = {}
    for area in Area.values:
        try:
            weights[area] = float(_decimal(data.get(area, 0) or 0, area, low=Decimal(0), high=Decimal(1000)))
        except ValidationError as exc:
            errors[area] = exc.message_dict[area][0]
    if errors:
        raise ValidationError(errors)
    if not any(weights.values()):
        raise ValidationError("At least one area needs a weight above zero.")
    return weights


@transaction.atomic
def weights_set(*, template: ScorecardTemplate, data: dict[str, Any], acting_user: User | None) -> TemplateVersion:
    """Area weights (any non-negative numbers; they are normalised, and the page says so)."""
    weights = weights_clean(data)
    version = editable_version(template)
    version.area_weights = weights
    version.save(update_fields=["area_weights"])
    _audit(acting_user, "scorecard_template.weights", template, version=version.number, weights=weights)
    return version


@transaction.atomic
def template_create(*, name: str, acting_user: User | None) -> ScorecardTemplate:
    """A new template starting as a copy of the default template's current version."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "A template needs a name."})
    if len(name) > 120:
        raise ValidationError({"name": "At most 120 characters."})
    if ScorecardTemplate.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A template with this name exists already."})
    source = current_version(template_defaults_ensure())
    template = ScorecardTemplate.objects.create(name=name)
    version = TemplateVersion.objects.create(template=template, number=1, area_weights=dict(source.area_weights))
    _copy_metrics(source, version)
    _audit(acting_user, "scorecard_template.create", template, copied_from=source.template.name)
    return template


@transaction.atomic
def template_make_default(*, template: ScorecardTemplate, acting_user: User | None) -> None:
    """New scorecards start on this template from now on; existing ones keep theirs."""
    ScorecardTemplate.objects.filter(is_default=True).exclude(pk=template.pk).update(is_default=False)
    ScorecardTemplate.objects.filter(pk=template.pk).update(is_default=True)
    _audit(acting_user, "scorecard_template.make_default", template)


@dataclass
class SurveySwitch:
    """What taking the survey results from the VoC program would change in a template's newest version."""

    # key -> survey source, for the metrics entered by hand today
    switch: dict[str, str] = dataclasses.field(default_factory=dict)
    # keys of the survey metrics the template lacks (and no admin removed)
    add: list[str] = dataclasses.field(default_factory=list)
    # key -> metric name, to say what changes
    names: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def applies(self) -> bool:
        return bool(self.switch or self.add)

    @property
    def switched_names(self) -> list[str]:
        return [self.names[key] for key in self.switch]

    @property
    def added_names(self) -> list[str]:
        return [self.names[key] for key in self.add]


def survey_switch_plan(template: ScorecardTemplate) -> SurveySwitch:
    """The survey metrics of the default definition (satisfaction, NPS, loyalty, response rate) against a template.

    A metric of the newest version still entered by hand (same key, not retired) would take its value from the
    surveys. One the template lacks would be added, unless another metric already takes that survey source or an
    admin removed it: its key is in an older version, or its deletion in the audit trail. Survey sources that are
    not registered are left out. One query, two when a metric is missing.
    """
    every = list(
        MetricDefinition.objects.filter(version__template=template).values(
            "key", "name", "source", "retired", number=F("version__number")
        )
    )
    if not every:
        return SurveySwitch()
    newest = max(m["number"] for m in every)
    metrics = {m["key"]: m for m in every if m["number"] == newest}
    fed = {m["source"] for m in metrics.values() if not m["retired"]}
    rows = {row[0]: row for row in DEFAULT_METRICS}
    plan = SurveySwitch()
    missing = []
    for key in SURVEY_METRICS:
        source = rows[key][9]
        if sources.get(source) is None:
            continue
        metric = metrics.get(key)
        if metric is None:
            if source not in fed:
                missing.append(key)
        elif metric["source"] == "manual" and not metric["retired"]:
            plan.switch[key] = source
            plan.names[key] = metric["name"]
    if missing:
        removed = {m["key"] for m in every} | _deleted_keys(template)
        plan.add = [key for key in missing if key not in removed]
        plan.names.update({key: rows[key][2] for key in plan.add})
    return plan


def _deleted_keys(template: ScorecardTemplate) -> set[str]:
    """Keys of the metrics admins deleted from the template (also from a draft, which leaves no older version)."""
    deletions = AuditEvent.objects.filter(
        action="scorecard_template.metric_delete", object_type="ScorecardTemplate", object_id=str(template.pk)
    )
    return {str(key) for key in deletions.values_list("data__metric", flat=True)}


@transaction.atomic
def survey_switch_apply(*, template: ScorecardTemplate, acting_user: User | None) -> TemplateVersion | None:
    """Take the survey metrics from the VoC program (see survey_switch_plan); None when there is nothing to change.

    Like any template change it goes into a new version when scorecards use the newest one: scorecards already
    started keep their version and the values entered by hand. Audited.
    """
    ScorecardTemplate.objects.select_for_update().get(pk=template.pk)  # one switch at a time per template
    plan = survey_switch_plan(template)
    if not plan.applies:
        return None
    version = editable_version(template)
    for key, source in plan.switch.items():
        version.metrics.filter(key=key).update(source=source)
    for key in plan.add:
        metric = default_metric(key, version=version, order=0)
        metric.order = max((m.order for m in version.metrics.filter(area=metric.area)), default=-1) + 1
        metric.save()
    _audit(
        acting_user,
        "scorecard_template.survey_sources",
        template,
        version=version.number,
        switched=list(plan.switch),
        added=plan.add,
    )
    return version
