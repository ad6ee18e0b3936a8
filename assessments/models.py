"""Mid-contract account assessments (team, interviews, journey map, findings, costed recommendations) and the
4 R's self-assessment of the strategic account program (rounds and answers)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantOwned, TenantSettings

# The source kind of the action items this app adds to an account's register (accounts.sources).
ACTION_SOURCE = "assessment"
# The documents of an assessment: the report, and the progress of its action plan a year after sharing.
REPORT_KIND, PROGRESS_YEAR_KIND = "assessment_report", "assessment_progress_year"

# The interview guide (DOMAIN section 5): topic key -> (label, the question to open it with).
TOPICS = (
    ("contract", "The contract", "Does the contract still fit what you need from us?"),
    ("tools", "Tools we offer", "Which of our tools do you use, and which get in the way?"),
    ("reports", "Reports we offer", "Which reports do you read, and what do you do with them?"),
    ("metrics", "Metrics", "Which measures do you use to judge us, and which do you need?"),
    ("people", "Working with our people", "How is it to work with our people, at each level?"),
    ("processes", "Working with our processes", "Where do our processes help you, and where do they slow you?"),
    ("wants", "What you want most", "What do you want most from us?"),
    ("missing", "What is missing", "Do you get all you need from us? What is missing?"),
    ("changes", "How your business is changing", "How is your business changing, and what does it mean for us?"),
    ("future", "The ideal future", "If we worked together ideally in three years, what would it look like?"),
)
TOPIC_KEYS = tuple(key for key, _, _ in TOPICS)


class AssessmentSettings(TenantSettings):
    """When the mid-contract prompt fires, and what an hour of the team's time costs in the payback arithmetic."""

    window_start_pct = models.PositiveSmallIntegerField(
        default=40, validators=[MaxValueValidator(100)], help_text="Prompt from this share of the contract's term..."
    )
    window_end_pct = models.PositiveSmallIntegerField(
        default=60, validators=[MaxValueValidator(100)], help_text="...until this share."
    )
    hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("100.00"),
        help_text="What one hour of the team's work costs, to put hours and money in one total.",
    )
    currency = models.CharField(max_length=3, default="USD")
    fourrs_min_answers = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(3), MaxValueValidator(100)],
        help_text="A closed 4 R's round shows its averages from this many answers (never fewer than 3).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="assessmentsettings_one_per_tenant"),
            models.CheckConstraint(condition=Q(fourrs_min_answers__gte=3), name="assessmentsettings_fourrs_min_3"),
            models.CheckConstraint(
                condition=Q(window_start_pct__lt=models.F("window_end_pct")), name="assessmentsettings_window_order"
            ),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="assessmentsettings_rate_positive"),
            TenantPrimaryKey(),
        ]


class Assessment(TenantOwned):
    """One mid-contract assessment of an account: draft -> in review -> shared with the customer -> action plan."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        SHARED = "shared", "Shared with the customer"
        ACTION_PLAN = "action_plan", "Action plan"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="assessments", db_constraint=False
    )
    contract = models.ForeignKey(
        "accounts.Contract",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
        db_constraint=False,
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    started_on = models.DateField(default=timezone.localdate)
    shared_on = models.DateField(null=True, blank=True)
    # Who at the customer confirmed the recommendations, and on which day (recorded when shared, or later).
    confirmed_by = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    confirmed_on = models.DateField(null=True, blank=True)
    # The cost of an hour and the currency when the assessment started: later settings do not rewrite its sums.
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("100.00"))
    currency = models.CharField(max_length=3, default="USD")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            # A confirmation names its day; a day without anyone (the contact since removed) stays on record.
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | Q(confirmed_on__isnull=False),
                name="assessment_confirmation_dated",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_on__isnull=True) | Q(confirmed_on__gte=models.F("started_on")),
                name="assessment_confirmed_after_start",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("contract"),
            TenantForeignKey("confirmed_by"),
        ]

    def __str__(self) -> str:
        return self.title


class TeamMember(TenantOwned):
    """Someone on the assessment team: from the account team, or a subject-matter expert from elsewhere."""

    class Kind(models.TextChoices):
        ACCOUNT_TEAM = "account_team", "Account team"
        EXPERT = "expert", "Subject-matter expert"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="team", db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ACCOUNT_TEAM)
    expertise = models.CharField(max_length=120, blank=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "assessment", "user"], name="assessment_team_once"),
            TenantPrimaryKey(),
            TenantForeignKey("assessment"),
        ]


class Interview(TenantOwned):
    """A conversation about the account, with notes per guide topic: with one contact at the customer (what they
    told us), or with one colleague of the account or assessment team (what our side says) - never both."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="interviews", db_constraint=False)
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    colleague = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_on = models.DateField(default=timezone.localdate)
    notes = models.JSONField(default=dict, blank=True, help_text="topic key -> notes")

    class Meta:
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, colleague__isnull=True)
                | Q(contact__isnull=True, colleague__isnull=False),
                name="interview_contact_or_colleague",
            ),
            models.UniqueConstraint(
                fields=["tenant", "assessment", "contact"],
                condition=Q(contact__isnull=False),
                name="interview_once_per_contact",
            ),
            models.UniqueConstraint(
                fields=["tenant", "assessment", "colleague"],
                condition=Q(colleague__isnull=False),
                name="interview_once_per_colleague",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("assessment"),
            TenantForeignKey("contact"),
        ]

    @property
    def is_customer(self) -> bool:
        return self.contact_id is not None

    @property
    def who(self) -> str:
        """The person interviewed, by name."""
        if self.contact_id is not None:
            return self.contact.name  # type: ignore[union-attr]
        return self.colleague.display_name if self.colleague is not None else ""


class JourneyStep(TenantOwned):
    """One step of the customer's journey with us, in order: its touchpoint, whether it is a moment of truth."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="steps", db_constraint=False)
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    touchpoint = models.CharField(max_length=200, blank=True)
    moment_of_truth = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="How well we do at this step, 1 (poorly) to 5 (very well).",
    )

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="journeystep_rating_range"
            ),
            TenantPrimaryKey(),
            TenantForeignKey("assessment"),
        ]

    def __str__(self) -> str:
        return self.name


class Finding(TenantOwned):
    class Kind(models.TextChoices):
        STRENGTH = "S", "Strength"
        OPPORTUNITY = "O", "Opportunity"
        WEAKNESS = "W", "Weakness"

    PLURALS: ClassVar[dict[str, str]] = {"S": "Strengths", "O": "Opportunities", "W": "Weaknesses"}

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings", db_constraint=False)
    kind = models.CharField(max_length=1, choices=Kind.choices)
    text = models.TextField()
    steps = models.ManyToManyField(JourneyStep, blank=True, related_name="findings", through="FindingStep")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("assessment")]


class FindingStep(TenantOwned):
    """A journey step a finding is about (a tenant-owned link table, under row-level security too)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    step = models.ForeignKey(JourneyStep, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "finding", "step"], name="findingstep_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("finding"),
            TenantForeignKey("step"),
        ]


class Recommendation(TenantOwned):
    """What we propose, its steps and obstacles, its timeframe, cost and payback; accepted, it enters the
    account's action register."""

    class Priority(models.IntegerChoices):
        HIGH = 1, "High"
        MEDIUM = 2, "Medium"
        LOW = 3, "Low"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="recommendations", db_constraint=False
    )
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    title = models.CharField(max_length=200)
    steps = models.TextField(blank=True, help_text="One step a line; each becomes an action when accepted.")
    obstacles = models.TextField(blank=True)
    start = models.DateField()
    end = models.DateField()
    cost_hours = models.DecimalField(max_digits=10, decimal_places=1, default=Decimal("0"))
    cost_money = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class CustomerAnswer(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed by the customer"
        DECLINED = "declined", "Declined by the customer"

    # The customer's answer in the portal, once the assessment is shared: who, when, with their comment.
    customer_answer = models.CharField(max_length=10, choices=CustomerAnswer.choices, blank=True)
    customer_comment = models.CharField(max_length=2000, blank=True)
    customer_contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    customer_answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="recommendation_end_after_start"),
            models.CheckConstraint(condition=Q(cost_hours__gte=0), name="recommendation_hours_positive"),
            models.CheckConstraint(condition=Q(cost_money__gte=0), name="recommendation_money_positive"),
            TenantPrimaryKey(),
            TenantForeignKey("assessment"),
            TenantForeignKey("finding"),
            TenantForeignKey("customer_contact"),
        ]

    def __str__(self) -> str:
        return self.title

    def step_lines(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.steps.splitlines() if line.strip(" -*\t")]


class Payback(TenantOwned):
    """A yearly benefit of a recommendation: to the customer or to us, in one category, with an amount when known."""

    class Beneficiary(models.TextChoices):
        CUSTOMER = "customer", "The customer"
        US = "us", "Us"

    class Category(models.TextChoices):
        COST_REDUCTION = "cost_reduction", "Cost reduction"
        EFFICIENCY = "efficiency", "Efficiency"
        BETTER_DECISIONS = "better_decisions", "Better decisions"
        RISK_MITIGATION = "risk_mitigation", "Risk mitigation"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="paybacks", db_constraint=False
    )
    beneficiary = models.CharField(max_length=8, choices=Beneficiary.choices)
    category = models.CharField(max_length=16, choices=Category.choices)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="A year's worth; empty when not known."
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["beneficiary", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "recommendation", "beneficiary", "category"], name="payback_once_per_category"
            ),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="payback_positive"),
            TenantPrimaryKey(),
            TenantForeignKey("recommendation"),
        ]


# --- the 4 R's self-assessment -------------------------------------------------------------------------


class Scope(models.TextChoices):
    ORGANISATION = "organisation", "The organisation"
    ACCOUNT_TEAM = "account_team", "One account team"


class FourRsRound(TenantOwned):
    """A round run by an admin: invited people answer about the organisation (or one account team) until it
    closes; the round's rollup averages their answers."""

    title = models.CharField(max_length=200)
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.ORGANISATION)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    opens_on = models.DateField(default=timezone.localdate)
    closes_on = models.DateField(null=True, blank=True, help_text="The round closes itself after this day.")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="organisation", account__isnull=True)
                | Q(scope="account_team", account__isnull=False),
                name="round_scope_account",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, today: object = None) -> bool:
        today = today or timezone.localdate()
        return self.closed_at is None and (self.closes_on is None or self.closes_on >= today)  # type: ignore[operator]


class FourRsInvitation(TenantOwned):
    round = models.ForeignKey(FourRsRound, on_delete=models.CASCADE, related_name="invitations", db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "round", "user"], name="round_invite_once"),
            TenantPrimaryKey(),
            TenantForeignKey("round"),
        ]


class FourRsResult(TenantOwned):
    """One person's 15 answers (1-5), in a round or on their own, with the derived subtotals, total and band."""

    track_changes = False  # anonymous by design: who answered what is never kept

    class Band(models.TextChoices):
        EXCELLENT = "excellent", "Excellent"
        GOOD = "good", "Good: target the weak areas"
        CONCERN = "concern", "Concern: rethink the strategy"
        HELP = "help", "Call for help now"

    round = models.ForeignKey(
        FourRsRound, null=True, blank=True, on_delete=models.CASCADE, related_name="answers", db_constraint=False
    )
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.ORGANISATION)
    account = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    answers = models.JSONField(help_text="statement key -> rating 1..5")
    resolution = models.PositiveSmallIntegerField()
    retention = models.PositiveSmallIntegerField()
    revenue = models.PositiveSmallIntegerField()
    relationships = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=10, choices=Band.choices)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "round", "respondent"],
                condition=Q(round__isnull=False),
                name="fourrsresult_once_per_round",
            ),
            models.CheckConstraint(condition=Q(total__gte=15, total__lte=75), name="fourrsresult_total_range"),
            models.CheckConstraint(
                condition=Q(scope="organisation", account__isnull=True)
                | Q(scope="account_team", account__isnull=False),
                name="fourrsresult_scope_account",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("round"),
            TenantForeignKey("account"),
        ]
