"""Account scorecards: admin-configured templates of five areas, one scorecard per account and period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantOwned, TenantSettings

# The source kind of the action items this app adds to an account's register (accounts.sources).
ACTION_SOURCE = "scorecard_alert"


class Area(models.TextChoices):
    FINANCIAL = "financial", "Financial success"
    EXECUTION = "execution", "Execution"
    CUSTOMER_INSIGHT = "customer_insight", "Customer insight"
    COMPETITIVE_POSITION = "competitive_position", "Competitive position"
    INVOLVEMENT = "involvement", "Involvement"


class ScorecardSettings(TenantSettings):
    """How the tenant's scorecards are kept."""

    class Length(models.TextChoices):
        QUARTER = "quarter", "Quarter"
        MONTH = "month", "Month"
        HALF = "half", "Half-year"

    period_length = models.CharField(
        "Scorecard period",
        max_length=8,
        choices=Length.choices,
        default=Length.QUARTER,
        help_text="How long one scorecard period is. Changing it starts new periods; existing scorecards keep theirs.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="scorecardsettings_one_per_tenant"),
            TenantPrimaryKey(),
        ]


class ScorecardTemplate(TenantOwned):
    """What a tenant measures its strategic accounts by. Changes that scorecards already use make a new version."""

    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="scorecardtemplate_unique_name"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="scorecardtemplate_one_default"
            ),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateVersion(TenantOwned):
    """One version of a template: its area weights and metrics. Once a scorecard uses it, it never changes."""

    template = models.ForeignKey(
        ScorecardTemplate, on_delete=models.CASCADE, related_name="versions", db_constraint=False
    )
    number = models.PositiveIntegerField()
    area_weights = models.JSONField(default=dict, help_text="area -> weight; normalised when computing")
    created_at = models.DateTimeField(default=timezone.now)
    in_use = models.BooleanField(default=False, help_text="A scorecard uses it: further changes make a new version.")

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "template", "number"], name="templateversion_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("template"),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class MetricDefinition(TenantOwned):
    """One measure of a template version: target, thresholds, weight within its area, where the value comes from."""

    class Unit(models.TextChoices):
        NUMBER = "number", "Number"
        PERCENT = "percent", "%"
        MONEY = "money", "Money"
        DAYS = "days", "Days"
        SCORE = "score", "Score"

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal"
        JOINT = "joint", "Joint (shared with the customer)"

    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="metrics", db_constraint=False)
    # The same key across versions marks the same measure, so trends compare like with like.
    key = models.SlugField(max_length=60)
    area = models.CharField(max_length=24, choices=Area.choices)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.NUMBER)
    direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.HIGHER)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    amber = models.DecimalField(max_digits=14, decimal_places=2, help_text="Amber from here to the target.")
    red = models.DecimalField(max_digits=14, decimal_places=2, help_text="Scores zero at or beyond this value.")
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    # The values that make sense (e.g. 0 to 10 for a 0-10 score); empty means the unit's own limits.
    min_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=40, default="manual", help_text="manual, or a registered computed source")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL)
    order = models.PositiveSmallIntegerField(default=0)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["version", "area", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version", "key"], name="metricdefinition_unique_key"),
            TenantPrimaryKey(),
            TenantForeignKey("version"),
        ]

    def __str__(self) -> str:
        return self.name


class Period(TenantOwned):
    """A reporting period of the tenant's calendar (a quarter by default), closed when final."""

    label = models.CharField(max_length=20)
    length = models.CharField(max_length=8, default="quarter", help_text="quarter, month or half (the tenant's choice)")
    start = models.DateField()
    end = models.DateField()
    closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "label"], name="period_unique_label"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="period_end_after_start"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.label


class Scorecard(TenantOwned):
    """One account's scorecard for one period, on the template version it was started with."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="scorecards", db_constraint=False
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="scorecards", db_constraint=False)
    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="scorecards", db_constraint=False
    )
    # Derived and stored for speed, with what they came from in MetricValue rows.
    health = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    area_scores = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account", "-period__start"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "period"], name="scorecard_unique_period"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("period"),
            TenantForeignKey("version"),
        ]


class MetricValue(TenantOwned):
    """The value of one metric on one scorecard, with its comment and evidence; computed ones say from what."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="values", db_constraint=False)
    metric = models.ForeignKey(MetricDefinition, on_delete=models.PROTECT, related_name="values", db_constraint=False)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    evidence = models.URLField(max_length=500, blank=True)
    computed_from = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "scorecard", "metric"], name="metricvalue_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("scorecard"),
            TenantForeignKey("metric"),
        ]


class AgreedTarget(TenantOwned):
    """A target agreed with the customer on a day for one joint metric of one account (by metric key, so it
    outlives template versions). It holds for periods ending on or after that day, until the next agreement;
    an empty target goes back to the standard one. The joint scorecard measures against it; the internal
    scorecard keeps the standard."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="agreed_targets", db_constraint=False
    )
    key = models.SlugField(max_length=60)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    agreed_with = models.CharField(max_length=200, blank=True, help_text="Who agreed it on the customer's side.")
    agreed_on = models.DateField(default=timezone.localdate)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "key", "agreed_on"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "key", "agreed_on"], name="agreedtarget_unique_day"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]
