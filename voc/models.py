"""Voice of the customer: survey templates (versioned), campaigns, invitations with single-use tokens,
responses."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantOwned, TenantSettings
from voc.scoring import DETRACTOR_HIGH

# The source kind of the action items this app adds to an account's register (accounts.sources).
ACTION_SOURCE = "survey"
# The kind of the account's VoC report in the documents pipeline (voc.reports registers it).
REPORT = "voc_account_report"


class VocSettings(TenantSettings):
    """The tenant's survey program: anonymity, and where the loyalty axes count as high."""

    anonymous = models.BooleanField(
        default=False, help_text="Hide contacts' names in results and show an account's results only from K answers."
    )
    anonymity_threshold = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text="K: the fewest answers an account needs before its results are shown.",
    )
    attitude_cutoff = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        default=Decimal("4.0"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Satisfaction (1-5) at or above this is high.",
    )
    intent_cutoff = models.DecimalField(
        max_digits=2,
        decimal_places=1,
        default=Decimal("4.0"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Intent to continue (1-5) at or above this is high.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="vocsettings_one_per_tenant"),
            TenantPrimaryKey(),
        ]


class SurveyTemplate(TenantOwned):
    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="surveytemplate_unique_name"),
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True), name="surveytemplate_one_default"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(TenantOwned):
    """One version of a survey; once a campaign uses it, changes make a new version."""

    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="versions", db_constraint=False)
    number = models.PositiveIntegerField()
    in_use = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "template", "number"], name="surveyversion_unique"),
            TenantPrimaryKey(),
            TenantForeignKey("template"),
        ]


class Question(TenantOwned):
    class Kind(models.TextChoices):
        NPS = "nps", "NPS (0-10)"
        RATING = "rating", "Rating (1-5)"
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        TEXT = "text", "Free text"

    class Role(models.TextChoices):
        NPS = "nps", "Net Promoter Score"
        ATTITUDE = "attitude", "Attitude (satisfaction)"
        INTENT = "intent", "Behaviour (intent to continue)"
        OTHER = "other", "Other"

    version = models.ForeignKey(SurveyVersion, on_delete=models.CASCADE, related_name="questions", db_constraint=False)
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.OTHER)
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=True)
    choices = models.JSONField(default=list, blank=True, help_text="The options of a choice question.")

    class Meta:
        ordering = ["version", "order", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("version")]


class Campaign(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="campaigns", db_constraint=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    send_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    reminder_after_days = models.PositiveSmallIntegerField(default=7)
    reminder_max = models.PositiveSmallIntegerField(default=2)
    audience = models.JSONField(default=dict, blank=True, help_text="The filters the recipients were picked with.")
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When each account's owner was emailed the account's results after closing."
    )
    created_by = models.ForeignKey("sam.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("version")]

    def __str__(self) -> str:
        return self.name


class Invitation(TenantOwned):
    """One contact asked in one campaign. The link's token is stored only as its SHA-256 hash."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        OPENED = "opened", "Opened"
        COMPLETED = "completed", "Completed"
        BOUNCED = "bounced", "Bounced"
        OPTED_OUT = "opted_out", "Opted out"
        REVOKED = "revoked", "Revoked"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations", db_constraint=False)
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="invitations", db_constraint=False
    )
    token_hash = models.CharField(max_length=64)
    token_salt = models.CharField(
        max_length=32, blank=True, help_text="Random; with the server's key it gives the link."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "campaign", "contact"], name="invitation_one_per_contact"),
            models.UniqueConstraint(fields=["tenant", "token_hash"], name="invitation_unique_token"),
            TenantPrimaryKey(),
            TenantForeignKey("campaign"),
            TenantForeignKey("contact"),
        ]


class Response(TenantOwned):
    """The answers of one invitation (one per invitation: a database constraint)."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="responses", db_constraint=False)
    answers = models.JSONField(default=dict, help_text="question id -> answer")
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    attitude = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    intent = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    follow_up = models.ForeignKey(
        "accounts.ActionItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "invitation"], name="response_one_per_invitation"),
            TenantPrimaryKey(),
            TenantForeignKey("invitation"),
            TenantForeignKey("follow_up"),
        ]
        # Detractors' answers still waiting for their follow-up (the minute tick looks for them).
        indexes = [
            models.Index(
                fields=["tenant", "submitted_at"],
                name="response_follow_up_due",
                condition=Q(follow_up__isnull=True, nps__lte=DETRACTOR_HIGH),
            ),
        ]
