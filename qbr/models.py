"""Quarterly business reviews: cadences, the QBRs the scheduler keeps, and their milestones."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone as django_timezone

from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantOwned, TenantSettings

# The source kind of the action items this app adds to an account's register (accounts.sources).
ACTION_SOURCE = "qbr"
PACK, MINUTES = "qbr_pack", "qbr_minutes"  # the kinds of the QBR documents (qbr.reports registers them)
TEAM_COPY = {"copy": "team"}  # the pack's parameters for the team's own copy, with our preparation


def sent_key(document: Any) -> str:
    """The outbox key of a QBR document emailed to the participants: sent once per version, and how the customer
    portal knows it was sent."""
    return f"qbr-document:{document.pk}"


def is_team_copy(params: dict[str, Any] | None) -> bool:
    return (params or {}).get("copy") == TEAM_COPY["copy"]


class Interval(models.IntegerChoices):
    MONTHLY = 1, "Every month"
    QUARTERLY = 3, "Every quarter"
    HALF_YEARLY = 6, "Every half-year"
    YEARLY = 12, "Every year"


class QbrSettings(TenantSettings):
    """The tenant's QBR program: default cadence and the milestone timeline around each meeting."""

    interval_months = models.PositiveSmallIntegerField(choices=Interval.choices, default=Interval.QUARTERLY)
    invite_days_before = models.PositiveSmallIntegerField(
        default=35, help_text="Date fixed and invitations sent this many days before (more than a month)."
    )
    agenda_days_before = models.PositiveSmallIntegerField(
        default=14, help_text="Agenda agreed with the customer this many days before."
    )
    preread_days_before = models.PositiveSmallIntegerField(
        default=7, help_text="Joint scorecard and pre-read sent this many days before."
    )
    minutes_days_after = models.PositiveSmallIntegerField(default=2, help_text="Minutes sent this many days after.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="qbrsettings_one_per_tenant"),
            TenantPrimaryKey(),
        ]


class Cadence(TenantOwned):
    """An account's own cadence: another interval than the tenant's, or a pause with a reason and an end."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="cadences", db_constraint=False
    )
    interval_months = models.PositiveSmallIntegerField(
        choices=Interval.choices, null=True, blank=True, help_text="Empty: the tenant's default."
    )
    paused_until = models.DateField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account"], name="cadence_one_per_account"),
            models.CheckConstraint(
                condition=Q(paused_until__isnull=True) | ~Q(pause_reason=""), name="cadence_pause_has_reason"
            ),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
        ]


class Qbr(TenantOwned):
    """One review meeting of an account for one period of its cadence (one per account and period)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        AGENDA_AGREED = "agenda_agreed", "Agenda agreed"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="qbrs", db_constraint=False)
    period_label = models.CharField(max_length=20)
    period_start = models.DateField()
    period_end = models.DateField()
    scheduled_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(max_length=60, default="UTC")
    location = models.CharField(max_length=300, blank=True, help_text="A room, an address or a call link.")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.PLANNED)
    held_at = models.DateTimeField(null=True, blank=True)
    no_minutes_reason = models.CharField(max_length=300, blank=True)

    class AgendaStatus(models.TextChoices):
        DRAFT = "draft", "Draft"
        PROPOSED = "proposed", "Proposed to the customer"
        AGREED = "agreed", "Agreed with the customer"

    agenda_status = models.CharField(max_length=8, choices=AgendaStatus.choices, default=AgendaStatus.DRAFT)
    agenda_agreed_on = models.DateField(null=True, blank=True)
    # Agreed by a contact in the customer portal: who and when (agreed by the team, both stay empty).
    agenda_agreed_by = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    agenda_agreed_at = models.DateTimeField(null=True, blank=True)
    preread_notes = models.TextField(blank=True)
    scorecard_snapshot = models.ForeignKey(
        "sam.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The joint scorecard PDF of the period, as sent with the pre-read.",
        db_constraint=False,
    )
    # What the participants were sent (the latest version of each): the customer portal offers these.
    preread_sent = models.ForeignKey(
        "sam.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    snapshot_sent = models.ForeignKey(
        "sam.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    minutes_sent = models.ForeignKey(
        "sam.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["period_start", "account"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "period_start"], name="qbr_one_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="qbr_period_order"),
            TenantPrimaryKey(),
            TenantForeignKey("account"),
            TenantForeignKey("agenda_agreed_by"),
            TenantForeignKey("scorecard_snapshot"),
            TenantForeignKey("preread_sent"),
            TenantForeignKey("snapshot_sent"),
            TenantForeignKey("minutes_sent"),
        ]

    def __str__(self) -> str:
        return f"QBR {self.period_label}"

    @property
    def open(self) -> bool:
        return self.status in (self.Status.PLANNED, self.Status.AGENDA_AGREED)


class Milestone(TenantOwned):
    """A step of the timeline around a QBR; its owner is reminded once when it falls due and is not done."""

    class Kind(models.TextChoices):
        INVITE = "invite", "Date fixed and invitations sent"
        AGENDA = "agenda", "Agenda agreed with the customer"
        PREREAD = "preread", "Joint scorecard and pre-read sent"
        MINUTES = "minutes", "Minutes sent"

    qbr = models.ForeignKey(Qbr, on_delete=models.CASCADE, related_name="milestones", db_constraint=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "qbr", "kind"], name="milestone_one_per_kind"),
            TenantPrimaryKey(),
            TenantForeignKey("qbr"),
        ]


class AgendaTemplate(TenantOwned):
    """A reusable agenda (tenant admins); the default one ships with the typical items of a QBR."""

    name = models.CharField(max_length=120)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="agendatemplate_unique_name"),
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_default=True), name="agendatemplate_one_default"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return self.name


class AgendaTemplateItem(TenantOwned):
    template = models.ForeignKey(AgendaTemplate, on_delete=models.CASCADE, related_name="items", db_constraint=False)
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    minutes = models.PositiveSmallIntegerField(default=10, help_text="Time box")

    class Meta:
        ordering = ["template", "order", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("template")]


class AgendaItem(TenantOwned):
    """One item of a QBR's agenda: owner and time box before the meeting, notes and decisions after it."""

    qbr = models.ForeignKey(Qbr, on_delete=models.CASCADE, related_name="agenda_items", db_constraint=False)
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    owner = models.ForeignKey("sam.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    minutes = models.PositiveSmallIntegerField(default=10, help_text="Time box")
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    # Proposed by a contact in the customer portal.
    proposed_by = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    proposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["qbr", "order", "pk"]
        constraints = [TenantPrimaryKey(), TenantForeignKey("qbr"), TenantForeignKey("proposed_by")]


class AgendaComment(TenantOwned):
    """A remark on a QBR's agenda (or one of its items) before the meeting: by a contact in the customer portal,
    or by a member of the team answering them."""

    qbr = models.ForeignKey(Qbr, on_delete=models.CASCADE, related_name="agenda_comments", db_constraint=False)
    item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments", db_constraint=False
    )
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    user = models.ForeignKey("sam.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            TenantPrimaryKey(),
            TenantForeignKey("qbr"),
            TenantForeignKey("item"),
            TenantForeignKey("contact"),
        ]


class Participant(TenantOwned):
    """Someone invited to a QBR: a contact of the account, or a member of the tenant."""

    qbr = models.ForeignKey(Qbr, on_delete=models.CASCADE, related_name="participants", db_constraint=False)
    contact = models.ForeignKey(
        "accounts.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    user = models.ForeignKey("sam.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    attended = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(contact__isnull=False) & Q(user__isnull=True))
                | (Q(contact__isnull=True) & Q(user__isnull=False)),
                name="participant_contact_or_user",
            ),
            models.UniqueConstraint(fields=["tenant", "qbr", "contact"], name="participant_unique_contact"),
            models.UniqueConstraint(fields=["tenant", "qbr", "user"], name="participant_unique_user"),
            TenantPrimaryKey(),
            TenantForeignKey("qbr"),
            TenantForeignKey("contact"),
        ]


class Preparation(TenantOwned):
    """The account team's homework for one QBR: for each topic, our own facts next to what we expect the customer
    to tell us, and how we mean to answer. Complete once every expectation is written down; the facts are then
    kept as they stood that day (until it is reopened)."""

    qbr = models.ForeignKey(Qbr, on_delete=models.CASCADE, related_name="preparations", db_constraint=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey("sam.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    completed_late = models.BooleanField(default=False, help_text="Completed after the pre-read was due.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("sam.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "qbr"], name="preparation_one_per_qbr"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=False) | Q(completed_late=False), name="preparation_late_if_complete"
            ),
            TenantPrimaryKey(),
            TenantForeignKey("qbr"),
        ]

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


class PreparationRow(TenantOwned):
    """One topic of a QBR's preparation: what we expect the customer to say about it, our answer, and (once the
    preparation is complete) our facts on the topic as they stood then."""

    class Topic(models.TextChoices):
        SCORECARD = "scorecard", "Scorecard"
        INCIDENTS = "incidents", "Incidents of the period"
        ACTIONS = "actions", "Open and overdue actions"
        SURVEYS = "surveys", "Survey results"

    preparation = models.ForeignKey(Preparation, on_delete=models.CASCADE, related_name="rows", db_constraint=False)
    topic = models.CharField(max_length=10, choices=Topic.choices)
    expected = models.TextField(blank=True, help_text="What we expect the customer to say.")
    answer = models.TextField(blank=True, help_text="How we will answer.")
    facts = models.JSONField(default=dict, blank=True, help_text="Our facts as they stood when it was completed.")

    class Meta:
        ordering = ["preparation", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "preparation", "topic"], name="preparationrow_one_per_topic"),
            TenantPrimaryKey(),
            TenantForeignKey("preparation"),
        ]
