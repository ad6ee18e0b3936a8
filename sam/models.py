"""The base every app stands on: tenants, people, memberships, tokens, the email outbox, audit."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sam.documents.logos import logo_type
from sam.roles import Role
from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantOwned, TenantSettings


class Tenant(models.Model):
    """A supplier company running a strategic account management program."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkspaceSettings(TenantSettings):
    """How the workspace's reports and survey emails look (paper size and logo), and how people sign in to it
    (session limits, who must use two-factor sign-in); admins change them."""

    class PaperSize(models.TextChoices):
        A4 = "A4", "A4"
        LETTER = "Letter", "US Letter"

    class TwoFactor(models.TextChoices):
        NONE = "none", "No one"
        ADMINS = "admins", "Admins"
        EVERYONE = "everyone", "Everyone"

    paper_size = models.CharField(max_length=10, choices=PaperSize.choices, default=PaperSize.A4)
    logo = models.FileField(upload_to="logos/", blank=True, max_length=300, help_text="PNG, JPEG or SVG, up to 256 KB.")
    session_idle_minutes = models.PositiveSmallIntegerField(
        default=240, help_text="Sign out after this many minutes without a page opened in this workspace (15-1440)."
    )
    session_max_hours = models.PositiveSmallIntegerField(
        default=12, help_text="Sign out this many hours after signing in, whatever happens (1-12)."
    )
    two_factor_required = models.CharField(
        max_length=10,
        choices=TwoFactor.choices,
        default=TwoFactor.NONE,
        help_text="Who must have two-factor sign-in turned on to open this workspace's pages.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="workspacesettings_one_per_tenant"),
            models.CheckConstraint(
                condition=models.Q(session_idle_minutes__gte=15, session_idle_minutes__lte=1440),
                name="workspacesettings_idle_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(session_max_hours__gte=1, session_max_hours__lte=12),
                name="workspacesettings_max_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(two_factor_required__in=["none", "admins", "everyone"]),
                name="workspacesettings_two_factor_choices",
            ),
            TenantPrimaryKey(),
        ]

    def logo_data_uri(self) -> str:
        """The logo inlined for reports (the PDF renderer fetches no files)."""
        if not self.logo:
            return ""
        try:
            with self.logo.open("rb") as handle:
                data = handle.read()
        except OSError:
            return ""
        kind = logo_type(data)
        return f"data:{kind};base64,{base64.b64encode(data).decode()}" if kind else ""


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a login. What they may do depends on their membership in each tenant."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform operator: may use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    last_tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sessions_epoch = models.PositiveIntegerField(default=0, help_text="Raised by 'sign out everywhere'.")

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """What every session of this person carries and must still match: Django's hash of the password, and the
        sessions' epoch, so that a new password or "sign out everywhere" ends every session at once."""
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = f"{self.password}:{self.sessions_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]


class RecoveryCode(models.Model):
    """One of a person's recovery codes for two-factor sign-in: it stands in for a code from the app once, when the
    phone is lost. Only its hash is kept (the codes are shown once, when made); a new set replaces the old one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recoverycode_unique_per_user")]

    def __str__(self) -> str:
        return f"Recovery code of {self.user_id}{' (used)' if self.used_at else ''}"


class Membership(TenantOwned):
    """A user's place in one tenant, with one role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user_per_tenant"),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Invitation(TenantOwned):
    """An admin asked a person (by email) to join the workspace with a role. Nothing is live until the person opens
    the emailed link and accepts; until then the workspace knows only what the admin typed. The link's token is
    made as the email leaves and only its hash is kept; each resend makes a new one (the old link stops)."""

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True, help_text="As the admin typed it.")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sends = models.PositiveSmallIntegerField(default=0, help_text="Emails asked for: the next one's number.")
    token_hash = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            TenantPrimaryKey(),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.get_role_display()})"

    def is_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at is not None
            and self.expires_at > now
        )


TOKEN_PREFIX = "sam"


def hash_token_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(TenantOwned):
    """A named API credential of one membership; only its hash is stored.

    The token string is ``sam_<tenant id>_<secret>``: the tenant part lets the
    server enter the right tenant before it looks the hash up.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens", db_constraint=False)
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64)
    hint = models.CharField(max_length=12, help_text="The last characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key_hash"], name="apitoken_unique_hash"),
            TenantPrimaryKey(),
            TenantForeignKey("membership"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (…{self.hint})"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class EmailMessageBase(models.Model):
    """An email waiting in an outbox, sent by a Celery task; the idempotency key makes it happen once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    idempotency_key = models.CharField(max_length=200)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True, help_text="Document references to attach.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.to)}"


class OutboundEmail(TenantOwned, EmailMessageBase):
    """One message of a tenant (invitations, reminders, alerts) in the outbox."""

    track_changes = False  # machinery: each message's sending, recorded as it goes

    class Meta(EmailMessageBase.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "idempotency_key"], name="outboundemail_unique_key"),
            TenantPrimaryKey(),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]


class PlatformEmail(EmailMessageBase):
    """A message outside any tenant (password reset) in the same outbox pipeline."""

    class Meta(EmailMessageBase.Meta):
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="platformemail_unique_key")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="platform_outbox_due_idx")]


class AuditEvent(TenantOwned):
    """Who changed what, when: kept for sensitive changes (roles, tokens, closed periods)."""

    track_changes = False  # itself a record of what happened

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A contact of an account acting in the customer portal (the core knows no contacts: the id is the accounts
    # app's). Either this or ``actor`` names who acted; neither for the system.
    actor_contact_id = models.PositiveBigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_recent_idx"),
            models.Index(
                fields=["tenant", "actor_contact_id", "-created_at"],
                condition=models.Q(actor_contact_id__isnull=False),
                name="audit_contact_idx",
            ),
        ]
        constraints = [TenantPrimaryKey()]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class DataChange(TenantOwned):
    """One row of the workspace's data made, changed or deleted: each field that changed, from what to what, by
    whom, from which request or task. Written by the database itself (a trigger on every tracked table, see
    sam/history.py), so bulk updates and raw SQL are recorded as the ORM's saves are; never changed afterwards."""

    track_changes = False

    # No foreign key to the workspace in the database: each record would queue a check to run at commit, and the
    # trigger writes what the row it records says. A workspace deletion removes its records (sam/lifecycle.py).
    tenant = models.ForeignKey(
        "sam.Tenant", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", editable=False
    )

    class Action(models.TextChoices):
        INSERT = "insert", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"

    table = models.CharField(max_length=63)
    row_id = models.BigIntegerField()
    # The account the row belongs to (directly, or through the row it is part of), for the account's history.
    account_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=6, choices=Action.choices)
    changes = models.JSONField(default=dict, help_text="column -> [old, new]")
    # The signed-in person whose request or task made the change; none for scheduled work. A plain number: the
    # trigger writes what the transaction says, and a person who leaves keeps their history.
    actor_id = models.BigIntegerField(null=True, blank=True)
    origin = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="change_recent_idx"),
            models.Index(fields=["tenant", "table", "row_id", "-created_at"], name="change_row_idx"),
            models.Index(
                fields=["tenant", "account_id", "-created_at"],
                condition=models.Q(account_id__isnull=False),
                name="change_account_idx",
            ),
        ]
        constraints = [TenantPrimaryKey()]

    def __str__(self) -> str:
        return f"{self.action} {self.table}#{self.row_id}"


class Document(TenantOwned):
    """A rendered report (PDF) about one subject: each render is a new version; older ones stay downloadable."""

    track_changes = False  # machinery: a render's progress; who asked is on the row

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=60)
    subject_type = models.CharField(max_length=60, help_text="app_label.model of what the document is about")
    subject_id = models.PositiveBigIntegerField()
    version = models.PositiveIntegerField()
    params = models.JSONField(default=dict, blank=True, help_text="e.g. the period the report covers")
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task id rendering it: a redelivery of that same task (worker killed) takes over at once.
    render_token = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it last entered the render queue.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="documents/%Y/%m/", blank=True, max_length=300)
    checksum = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "subject_type", "subject_id", "version"], name="document_unique_version"
            ),
            TenantPrimaryKey(),
        ]
        indexes = [models.Index(fields=["tenant", "subject_type", "subject_id"], name="document_subject_idx")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)

    @property
    def period_label(self) -> str:
        start, end = self.params.get("start"), self.params.get("end")
        return f"{start} to {end}" if start and end else ""

    @property
    def render_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 1)
        return None
