"""Strategic accounts and everything the account team keeps on them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts import import_kinds, sources
from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantManager, TenantOwned, TenantQuerySet, TenantSettings

RENEWAL_WINDOW_DAYS = 180


class AccountsSettings(TenantSettings):
    """The strategic account program's rules and the portfolio's money figures (tenant admins change them)."""

    class PortfolioBand(models.TextChoices):
        SMALL = "small", "Small firm: about 5 strategic accounts"
        MID = "mid", "Mid-sized: about 25 strategic accounts"
        LARGE = "large", "Large: up to about 100 strategic accounts"
        CUSTOM = "custom", "Custom cap"

    BAND_CAPS: ClassVar[dict[str, int]] = {"small": 5, "mid": 25, "large": 100}

    portfolio_band = models.CharField(max_length=10, choices=PortfolioBand.choices, default=PortfolioBand.MID)
    portfolio_custom_cap = models.PositiveIntegerField(null=True, blank=True)
    recurrence_threshold = models.PositiveSmallIntegerField(
        default=3, help_text="Incidents of one category that make a recurring issue..."
    )
    recurrence_window_days = models.PositiveSmallIntegerField(default=30, help_text="...within this many days.")
    review_stale_days = models.PositiveSmallIntegerField(
        default=90, help_text="Deliverables and account plans not reviewed for this long are flagged."
    )
    # When the events from before the timeline were put on it (the playbook check does it once, before it
    # evaluates who has gone quiet).
    timeline_backfilled_at = models.DateTimeField(null=True, blank=True, editable=False)
    removed_retention_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(3650)],
        verbose_name="Keep removed accounts for (days)",
        help_text="Removed accounts are kept this long, then deleted for good with everything on them.",
    )
    quiet_role_days = models.PositiveSmallIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="A buying role (economic, technical, usage) with no touch for longer than this is flagged.",
    )
    # The executive's view: one currency for every roll-up, the retention goal, the monthly review by email.
    base_currency = models.CharField(
        max_length=3, default="USD", help_text="Every portfolio figure is converted into this currency."
    )
    retention_target = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=95,
        help_text="The share of targeted accounts to keep at renewal, in percent (95% is realistic).",
    )
    monthly_review_email = models.BooleanField(
        default=True, help_text="Email the monthly portfolio review (PDF) to executives and admins."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="accountssettings_one_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(retention_target__gte=0, retention_target__lte=100),
                name="accountssettings_retention_range",
            ),
            models.CheckConstraint(
                condition=models.Q(removed_retention_days__gte=7, removed_retention_days__lte=3650),
                name="accountssettings_removed_retention_range",
            ),
            TenantPrimaryKey(),
        ]

    @property
    def portfolio_cap(self) -> int:
        if self.portfolio_band == self.PortfolioBand.CUSTOM:
            return self.portfolio_custom_cap or 0
        return self.BAND_CAPS[self.portfolio_band]


class TeamRole(models.TextChoices):
    EXECUTIVE_PARTNER = "executive_partner", "Executive Partner"
    ACCOUNT_MANAGER = "account_manager", "Sales / Account Manager"
    SALES_ENGINEER = "sales_engineer", "Sales Engineer"
    PROFESSIONAL_SERVICES = "professional_services", "Professional Services"
    CUSTOMER_SERVICE_MANAGER = "customer_service_manager", "Customer Service Manager"
    TECHNICAL_LEAD = "technical_lead", "Technical Lead"


def weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


def every_team_role() -> list[str]:
    """The default of a tier: an account of it needs all six roles until an admin says otherwise."""
    return list(TeamRole.values)


def roles_in_order(roles: Iterable[str] | None) -> list[str]:
    """The roles given (any iterable of values), in the order of TeamRole, unknown values dropped."""
    wanted = set(roles or ())
    return [value for value in TeamRole.values if value in wanted]


class Tier(TenantOwned):
    """A tier of the portfolio (tenant list). Accounts in a strategic tier count against the portfolio cap."""

    name = models.CharField(max_length=60)
    order = models.PositiveSmallIntegerField(default=0)
    strategic = models.BooleanField(default=False, help_text="Counts as a strategic account.")
    # The team roles an account of this tier needs unless the account says otherwise (e.g. Professional
    # Services only as needed on smaller tiers).
    needed_roles = ArrayField(
        models.CharField(max_length=30, choices=TeamRole.choices), default=every_team_role, blank=True
    )

    class Meta:
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="tier_unique_name"), TenantPrimaryKey()]

    def __str__(self) -> str:
        return self.name


class SelectionCriterion(TenantOwned):
    """A question that decides whether a customer deserves strategic attention, beyond revenue."""

    question = models.CharField(max_length=300)
    weight = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [TenantPrimaryKey()]

    def __str__(self) -> str:
        return self.question


class IncidentCategory(TenantOwned):
    """A kind of service incident (tenant list): recurrences are counted per category."""

    name = models.CharField(max_length=80)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "incident categories"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="incidentcategory_unique_name"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class AccountQuerySet(TenantQuerySet["Account"]):
    def alive(self) -> AccountQuerySet:
        return self.filter(deleted_at__isnull=True)


AccountManager = TenantManager.from_queryset(AccountQuerySet)


class Account(TenantOwned):
    """A customer the supplier manages as a strategic (or key, or developing) account."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ONBOARDING = "onboarding", "Onboarding"
        AT_RISK = "at_risk", "At risk"
        INACTIVE = "inactive", "Inactive"

    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=120, blank=True)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="accounts", db_constraint=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts"
    )
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children", db_constraint=False
    )
    notes = models.TextField(blank=True)
    # The customer's prime hours: a change planned inside them is flagged (their clock, their working days).
    time_zone = models.CharField(
        max_length=60, default="UTC", help_text="The customer's time zone, e.g. Europe/Berlin."
    )
    prime_start = models.TimeField(default=time(8, 0))
    prime_end = models.TimeField(default=time(18, 0))
    prime_days = ArrayField(
        models.PositiveSmallIntegerField(), default=weekdays, blank=True, help_text="0 Monday .. 6 Sunday"
    )
    # The team roles this account needs; empty (None) follows its tier. An admin decides.
    needed_roles = ArrayField(models.CharField(max_length=30, choices=TeamRole.choices), null=True, blank=True)
    # Derived from the criteria answers (0-100); None until scored.
    strategic_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[Any] = AccountManager()  # still scoped to the current tenant

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], condition=Q(deleted_at__isnull=True), name="account_unique_live_name"
            ),
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0) | Q(annual_revenue__isnull=True), name="account_revenue_not_negative"
            ),
            models.CheckConstraint(condition=Q(prime_end__gt=F("prime_start")), name="account_prime_hours_order"),
            TenantPrimaryKey(),
            TenantForeignKey("tier"),
            TenantForeignKey("parent"),
        ]
        indexes = [GinIndex(fields=["name"], name="account_name_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.name

    @property
    def roles_needed(self) -> list[str]:
        """The roles this account's team must fill: its own choice, else its tier's (in TeamRole order)."""
        return roles_in_order(self.needed_roles if self.needed_roles is not None else self.tier.needed_roles)

    @property
    def roles_follow_tier(self) -> bool:
        return self.needed_roles is None


class CriterionAnswer(TenantOwned):
    """How well one account meets one selection criterion (0 = not at all, 5 = fully), and why."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="criterion_answers", db_constraint=False
    )
    criterion = models.ForeignKey(
        SelectionCriterion, on_delete=models.CASCADE, related_name="answers", db_constraint=False
    )
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(5)])
    justification = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "criterion"], name="criterionanswer_unique"),
            models.CheckConstraint(condition=Q(score__lte=5), name="criterionanswer_score_range"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("criterion"),
        ]


class TierChange(TenantOwned):
    """A move between tiers; leaving the strategic tier keeps its reason."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tier_changes", db_constraint=False)
    from_tier = models.ForeignKey(Tier, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    to_tier = models.ForeignKey(Tier, null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at"]
        constraints = [
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("from_tier"),
            TenantForeignKey("to_tier"),
        ]


class LossReason(TenantOwned):
    """Why a customer did not renew (tenant list, admin-editable)."""

    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="lossreason_unique_name"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    OPEN = "open", "Still open"
    RENEWED = "renewed", "Renewed"
    EXPANDED = "expanded", "Renewed with expansion"
    CONTRACTED = "contracted", "Renewed with contraction"
    LOST = "lost", "Lost"


RENEWED_OUTCOMES = (Outcome.RENEWED, Outcome.EXPANDED, Outcome.CONTRACTED)


class Contract(TenantOwned):
    """A contract with the account. The mid-point is when an assessment pays off most; the end is the moment
    of truth, and its outcome (renewed, expanded, contracted or lost) is what retention is counted from."""

    Outcome = Outcome

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contracts", db_constraint=False)
    title = models.CharField(max_length=200)
    start = models.DateField()
    end = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    renewal_terms = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The renewal outcome: recorded by the account owner once the contract reaches its end (or earlier, for an
    # early renewal). Retention and revenue retention are counted from these.
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    renewed_as = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renews",
        help_text="The new contract that continues this one.",
        db_constraint=False,
    )
    value_change = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="New value minus old value, in this contract's currency (expansion above zero).",
    )
    lost_reason = models.ForeignKey(
        "LossReason", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    competitor = models.CharField(max_length=200, blank=True)
    outcome_note = models.TextField(blank=True, max_length=2000)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-end"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="contract_end_after_start"),
            models.CheckConstraint(condition=Q(value__gte=0) | Q(value__isnull=True), name="contract_value_positive"),
            models.CheckConstraint(
                condition=~Q(outcome="lost") | Q(lost_reason__isnull=False), name="contract_lost_has_reason"
            ),
            models.CheckConstraint(condition=~Q(renewed_as=models.F("pk")), name="contract_not_renewed_as_itself"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("renewed_as"),
            TenantForeignKey("lost_reason"),
        ]
        indexes = [models.Index(fields=["tenant", "end"], name="contract_tenant_end_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def midpoint(self) -> date:
        return self.start + (self.end - self.start) / 2

    @property
    def renewed(self) -> bool:
        return self.outcome in RENEWED_OUTCOMES

    def renewal_due(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return today <= self.end <= today + timedelta(days=RENEWAL_WINDOW_DAYS)

    def progress(self, today: date | None = None) -> float:
        today = today or timezone.localdate()
        total = (self.end - self.start).days
        return max(0.0, min(1.0, (today - self.start).days / total)) if total else 1.0


class RevenueSource(TenantOwned):
    """Where revenue comes from (tenant list, admin-editable): hardware, software, services..."""

    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="revenuesource_unique_name"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class RevenueEntry(TenantOwned):
    """The revenue one account brought in one year (quarter 0) or one quarter, from one source."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="revenue", db_constraint=False)
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1900), MaxValueValidator(2200)])
    quarter = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(4)], help_text="0: the year")
    source = models.ForeignKey(RevenueSource, on_delete=models.PROTECT, related_name="entries", db_constraint=False)
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "-quarter", "source__order"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "year", "quarter", "source"], name="revenue_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="revenue_not_negative"),
            models.CheckConstraint(condition=Q(quarter__gte=0, quarter__lte=4), name="revenue_quarter_range"),
            models.CheckConstraint(condition=Q(year__gte=1900, year__lte=2200), name="revenue_year_range"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("source"),
        ]
        indexes = [models.Index(fields=["tenant", "year"], name="revenue_tenant_year_idx")]

    @property
    def label(self) -> str:
        return revenue_period_label(self.year, self.quarter)

    @property
    def on(self) -> date:
        """The value's date for currency conversion: the last day of its period."""
        return revenue_period_end(self.year, self.quarter)


def revenue_period_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}" if quarter else str(year)


def revenue_period_end(year: int, quarter: int) -> date:
    if not quarter:
        return date(year, 12, 31)
    return (date(year, quarter * 3, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


class ExchangeRate(TenantOwned):
    """One unit of ``currency`` is worth ``rate`` units of ``base`` from ``valid_from`` on. Only rates into the
    tenant's base currency of the day are used; others wait (a base currency switched back finds them again)."""

    base = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=20, decimal_places=8)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "base", "currency", "valid_from"], name="exchangerate_unique_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_positive"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base} from {self.valid_from}"


class BuyerRole(models.TextChoices):
    ECONOMIC = "economic", "Economic buyer"
    TECHNICAL = "technical", "Technical buyer"
    USAGE = "usage", "Usage buyer"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    CHAMPION = "champion", "Champion"
    OTHER = "other", "Other"


class Contact(TenantOwned):
    """A person at the customer, with the part they play in buying and how well we know them."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts", db_constraint=False)
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    buyer_role = models.CharField(max_length=20, choices=BuyerRole.choices, default=BuyerRole.OTHER)
    influence = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])
    relationship_strength = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    last_interaction = models.DateField(null=True, blank=True)
    opted_out = models.BooleanField(default=False, help_text="Asked not to receive surveys or mailings.")
    approver = models.BooleanField(
        default=False, help_text="May decide for the customer (changes, fixes) whatever their buyer role."
    )
    relationship_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who on our side owns the relationship with this person.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Who may decide for the customer: the economic or technical buyer, or a contact flagged as an approver.
    DECIDING_ROLES: ClassVar[frozenset[str]] = frozenset({"economic", "technical"})

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "email"], condition=~Q(email=""), name="contact_unique_email_per_account"
            ),
            models.CheckConstraint(condition=Q(influence__gte=1, influence__lte=5), name="contact_influence_range"),
            models.CheckConstraint(
                condition=Q(relationship_strength__gte=1, relationship_strength__lte=5),
                name="contact_relationship_range",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]
        indexes = [GinIndex(fields=["name"], name="contact_name_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def may_decide(self) -> bool:
        return self.approver or self.buyer_role in self.DECIDING_ROLES


# What each role owns and the deliverable it is measured by (our words for DOMAIN.md section 2).
TEAM_ROLE_GUIDE: dict[str, tuple[str, str]] = {
    TeamRole.EXECUTIVE_PARTNER: (
        "Removes obstacles for the team and knows the team and the customer by first name.",
        "Company vision shared with the customer; the customer's confidence",
    ),
    TeamRole.ACCOUNT_MANAGER: ("Owns the overall relationship.", "The account plan"),
    TeamRole.SALES_ENGINEER: (
        "The technical arm of business development.",
        "Configuration diagram of the customer's solution",
    ),
    TeamRole.PROFESSIONAL_SERVICES: (
        "Brings the solution into production, often as needed.",
        "The solution running in production",
    ),
    TeamRole.CUSTOMER_SERVICE_MANAGER: (
        "Owns the customer's entire service experience.",
        "Operations Review Report: what we have done lately, and what to fix before it hurts",
    ),
    TeamRole.TECHNICAL_LEAD: (
        "Keeps the configuration operationally sound; nothing changes without their notice or approval.",
        "Operate / maintain / support document, with the configuration diagram",
    ),
}


class TeamAssignment(TenantOwned):
    """A person of the supplier holding one role on the account team (several roles, several people)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team", db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_assignments")
    role = models.CharField(max_length=30, choices=TeamRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["role", "user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "user", "role"], name="teamassignment_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]


class Deliverable(TenantOwned):
    """The key deliverable of one team role on one account, and when it was last reviewed."""

    class Status(models.TextChoices):
        MISSING = "missing", "Missing"
        IN_PROGRESS = "in_progress", "In progress"
        CURRENT = "current", "Current"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="deliverables", db_constraint=False)
    role = models.CharField(max_length=30, choices=TeamRole.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.MISSING)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reviewed = models.DateField(null=True, blank=True)
    link = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to="deliverables/%Y/%m/", blank=True, max_length=300)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "role"], name="deliverable_unique_role"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]

    def is_stale(self, stale_days: int, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.last_reviewed is None or (today - self.last_reviewed).days > stale_days


class PlanGoal(TenantOwned):
    """A goal of the account plan."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plan_goals", db_constraint=False)
    title = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("account")]

    def __str__(self) -> str:
        return self.title


class PlanObjective(TenantOwned):
    """A measurable objective under a goal; its actions live in the running action register."""

    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="objectives", db_constraint=False)
    title = models.CharField(max_length=300)
    measure = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("goal")]

    def __str__(self) -> str:
        return self.title


class PlanReview(TenantOwned):
    """A reviewed version of the account plan, frozen as it stood then (readable later)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="plan_reviews", db_constraint=False)
    version = models.PositiveIntegerField()
    reviewed_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    snapshot = models.JSONField(default=list)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "version"], name="planreview_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]


class ActionItem(TenantOwned):
    """One entry of the account's running action register: it stays until closed, QBR after QBR."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    class Side(models.TextChoices):
        SUPPLIER = "supplier", "Ours"
        CUSTOMER = "customer", "The customer's"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="actions", db_constraint=False)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    # Whose action it is: ours, or the customer's (they see and update it in the portal, optionally one contact's).
    side = models.CharField(max_length=8, choices=Side.choices, default=Side.SUPPLIER)
    owner_contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Customer contact",
        help_text="Who at the customer owns it (the customer's actions only).",
        db_constraint=False,
    )
    # One of ours shown to the customer in the portal and in the documents they receive; theirs always are.
    joint = models.BooleanField(default=False, help_text="Shown to the customer (their own actions always are).")
    # One of the kinds registered in accounts.sources (each app registers its own).
    source_kind = models.CharField(max_length=20, default=sources.MANUAL, validators=[sources.validate_source_kind])
    source_id = models.CharField(max_length=40, blank=True)
    # Makes "add this item" idempotent for automatic sources (one per alert, per recommendation...).
    dedupe_key = models.CharField(max_length=200, blank=True)
    objective = models.ForeignKey(
        PlanObjective, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions", db_constraint=False
    )
    # One step of a playbook that fired for the account: the run groups its steps and shows their progress.
    playbook_run = models.ForeignKey(
        "PlaybookRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions", db_constraint=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    search = models.GeneratedField(
        expression=SearchVector("title", "detail", config="simple"), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["due", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_kind", "dedupe_key"], condition=~Q(dedupe_key=""), name="actionitem_dedupe"
            ),
            models.CheckConstraint(
                condition=Q(owner_contact__isnull=True) | Q(side="customer"), name="actionitem_contact_customer_side"
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("owner_contact"),
            TenantForeignKey("objective"),
            TenantForeignKey("playbook_run"),
        ]
        indexes = [
            models.Index(fields=["tenant", "owner", "status"], name="action_owner_status_idx"),
            GinIndex(fields=["search"], name="action_search_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def shared(self) -> bool:
        """The customer sees it: theirs, or one of ours marked joint."""
        return self.side == self.Side.CUSTOMER or self.joint

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and self.due is not None and self.due < (today or timezone.localdate())

    def source_url(self, tenant_slug: str) -> str | None:
        return sources.source_url(self, tenant_slug)

    def source_label(self) -> str:
        return sources.source_label(self.source_kind)


class ActionItemEvent(TenantOwned):
    """One change to an action item: who, when, which fields from what to what."""

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="events", db_constraint=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A contact updating the customer's action in the portal (instead of ``actor``), with their note.
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)
    note = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("item"), TenantForeignKey("contact")]


class Incident(TenantOwned):
    """A service incident at the account (entered, imported, or posted by the ticketing system)."""

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="incidents", db_constraint=False)
    category = models.ForeignKey(
        IncidentCategory, on_delete=models.PROTECT, related_name="incidents", db_constraint=False
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=500)
    external_ref = models.CharField(max_length=100, blank=True, help_text="The ticket number in your service desk.")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "external_ref"], condition=~Q(external_ref=""), name="incident_unique_ref"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("opened_at")),
                name="incident_resolved_after_opened",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("category"),
        ]

    def __str__(self) -> str:
        return self.summary


class RecurringIssue(TenantOwned):
    """The same kind of incident keeps coming back at one account: one named owner until it is closed."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="recurring_issues", db_constraint=False)
    category = models.ForeignKey(
        IncidentCategory, on_delete=models.PROTECT, related_name="recurring_issues", db_constraint=False
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    incidents = models.ManyToManyField(
        Incident, through="RecurringIssueIncident", related_name="recurring_issues", blank=True
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.TextField(blank=True)
    # A fix that needs the customer's approval is a Decision (decisions), asked of a contact with authority.

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "category"], condition=Q(status="open"), name="recurringissue_one_open"
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("category"),
        ]

    def __str__(self) -> str:
        return f"Recurring {self.category}"


class RecurringIssueIncident(TenantOwned):
    """An incident counted in a recurring issue (a tenant-owned link table, under row-level security too)."""

    recurring_issue = models.ForeignKey(
        RecurringIssue, on_delete=models.CASCADE, related_name="links", db_constraint=False
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "recurring_issue", "incident"], name="recurringlink_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("recurring_issue"),
            TenantForeignKey("incident"),
        ]


class ChangeRequest(TenantOwned):
    """A change to the customer's configuration: what, why, the risk, the window and the way back. The account's
    Technical Lead (an admin when it has none) approves it before it is made; one made without approval is an
    emergency change, on the record and in the next Operations Review."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    OPEN_STATUSES: ClassVar[tuple[str, ...]] = ("requested", "approved")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="change_requests", db_constraint=False)
    title = models.CharField(max_length=200, help_text="What changes, in a line.")
    detail = models.TextField(blank=True, help_text="What changes, in full.")
    reason = models.TextField(help_text="Why the change is needed.")
    risk = models.CharField(max_length=8, choices=Risk.choices, default=Risk.MEDIUM)
    risk_note = models.TextField(blank=True, help_text="What could go wrong, and who would notice.")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    rollback = models.TextField(help_text="How the change is undone if it goes wrong.")
    in_prime_hours = models.BooleanField(default=False, help_text="The window touches the customer's prime hours.")
    recurring_issue = models.ForeignKey(
        RecurringIssue,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_requests",
        db_constraint=False,
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    needs_customer_approval = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    emergency = models.BooleanField(default=False, help_text="Made without approval.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    customer_notified_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, help_text="How it went.")

    class Meta:
        ordering = ["-window_start", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="change_window_order"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("recurring_issue"),
            TenantForeignKey("incident"),
        ]

    def __str__(self) -> str:
        return self.title


class Decision(TenantOwned):
    """Something only the customer can decide (an upgrade, a fix, a change), asked of a contact with the
    authority to decide, by a date; answered with its date, or expired. Overdue, it goes to the account owner,
    then to the Executive Partner."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="decisions", db_constraint=False)
    question = models.CharField(max_length=300, help_text="What the customer is asked to decide.")
    detail = models.TextField(blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="decisions", db_constraint=False)
    due = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    answered_on = models.DateField(null=True, blank=True)
    answer_note = models.TextField(blank=True)
    recurring_issue = models.ForeignKey(
        RecurringIssue, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions", db_constraint=False
    )
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions", db_constraint=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # 1: the account owner was told it is overdue; 2: the Executive Partner too.
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["status", "due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="requested") | Q(status="expired") | Q(answered_on__isnull=False),
                name="decision_answer_dated",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("contact"),
            TenantForeignKey("recurring_issue"),
            TenantForeignKey("change_request"),
        ]

    def __str__(self) -> str:
        return self.question

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == self.Status.REQUESTED and self.due < (today or timezone.localdate())


class Escalation(TenantOwned):
    """An obstacle the team cannot remove alone, raised by anyone on the team and owned by the Executive
    Partner (an executive chosen when the account has none) until it is resolved."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="escalations", db_constraint=False)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    recurring_issue = models.ForeignKey(
        RecurringIssue,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
        db_constraint=False,
    )
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    class Meta:
        ordering = ["status", "due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(resolution=""), name="escalation_resolved_with_resolution"
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("recurring_issue"),
            TenantForeignKey("decision"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.due < (today or timezone.localdate())


def money(value: Decimal | None, currency: str) -> str:
    return "" if value is None else f"{currency} {value:,.0f}"


class ImportBatch(TenantOwned):
    """An uploaded CSV waiting for review: every row is checked, then all are saved or none."""

    track_changes = False  # staging: the rows it saves are recorded as they are saved

    # One of the kinds registered in accounts.import_kinds (each app registers its own).
    kind = models.CharField(max_length=12, validators=[import_kinds.validate_import_kind])
    filename = models.CharField(max_length=200, blank=True)
    rows = models.JSONField(default=list)
    errors = models.JSONField(default=list, help_text="[[row number, [messages]], ...] from the last check.")
    warning = models.TextField(blank=True, help_text="A warning from the last check, e.g. the portfolio cap.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [TenantPrimaryKey()]

    def kind_label(self) -> str:
        return import_kinds.import_kind_label(self.kind)


class OperationsReviewNarrative(TenantOwned):
    """The Customer Service Manager's own words for the account's Operations Review Report."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    summary = models.TextField(blank=True, max_length=10000)
    recommendations = models.TextField(blank=True, max_length=10000)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account"], name="opsreview_one_per_account"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]


class TimelineEntry(TenantOwned):
    """One thing that happened with the account, in its story: a note, call, meeting or email the team logged,
    or an event the product recorded itself (a QBR held, a survey answered, health changing band...)."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        EVENT = "event", "Event"

    LOGGED: ClassVar[tuple[str, ...]] = (Kind.NOTE, Kind.CALL, Kind.MEETING, Kind.EMAIL)

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="timeline", db_constraint=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    # Who from our side (logged entries), or who caused the event when a person did.
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contacts = models.ManyToManyField(Contact, through="TimelineContact", related_name="timeline", blank=True)
    summary = models.TextField(max_length=10000)
    # A touch with its contacts (a call, meeting or email; a QBR they attended): what relationship coverage counts.
    touch = models.BooleanField(default=False)
    pinned = models.BooleanField(default=False)
    # Product events: the registered event (accounts.events), its object, and the key that records it once.
    event = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=40, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    search = models.GeneratedField(
        expression=SearchVector("summary", config="simple"), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name_plural = "timeline entries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dedupe_key"], condition=~Q(dedupe_key=""), name="timelineentry_once"
            ),
            models.CheckConstraint(condition=Q(kind="event") | Q(event=""), name="timelineentry_event_only_for_events"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "-occurred_at", "-id"], name="timeline_account_idx"),
            GinIndex(fields=["search"], name="timeline_search_idx"),
        ]

    def __str__(self) -> str:
        return self.summary[:80]


class TimelineContact(TenantOwned):
    """A contact taking part in a timeline entry (the call was with them, they attended the meeting)."""

    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="links", db_constraint=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+", db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entry", "contact"], name="timelinecontact_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("entry"),
            TenantForeignKey("contact"),
        ]
        indexes = [models.Index(fields=["tenant", "contact"], name="timelinecontact_contact_idx")]


class Playbook(TenantOwned):
    """What the team does when a signal appears: a trigger (accounts.triggers) and ordered steps that land in the
    account's action register, owned by team roles, when the trigger fires for an account."""

    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=30)
    # The trigger's number of days where it takes one (renewal within N days, no touch for N days).
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    # The playbooks the product ships name themselves, so they are made once per tenant.
    key = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], condition=~Q(key=""), name="playbook_default_once"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class PlaybookStep(TenantOwned):
    """One step of a playbook: an action for the account team member in a role, due some days after firing."""

    OWNER = "owner"

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps", db_constraint=False)
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=300)
    # A TeamRole value, or "owner" (the account owner); a role nobody holds on the account falls back to the owner.
    role = models.CharField(max_length=30, default=OWNER)
    due_days = models.PositiveSmallIntegerField(default=7)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("playbook")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def role_choices(cls) -> list[tuple[str, str]]:
        return [(cls.OWNER, "Account owner"), *TeamRole.choices]

    def role_label(self) -> str:
        return dict(self.role_choices()).get(self.role, self.role)


class PlaybookRun(TenantOwned):
    """One firing of a playbook for an account (about one subject: a survey answer, a contract...). While it is
    not cleared the trigger does not fire again for the same subject; it clears once the trigger is no longer true."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="runs", db_constraint=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="playbook_runs", db_constraint=False)
    subject = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    fired_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "playbook", "account", "subject"],
                condition=Q(cleared_at__isnull=True),
                name="playbookrun_one_live",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("playbook"),
            TenantForeignKey("account"),
        ]

    def __str__(self) -> str:
        return f"{self.playbook} for {self.account}"
