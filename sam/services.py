"""Domain operations of the core: memberships, API tokens, audit. One function per use case."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from sam import authlog
from sam.models import ApiToken, AuditEvent, Invitation, Membership, User, WorkspaceSettings, hash_token_secret
from sam.outbox import Withdrawn, email_enqueue, platform_email_enqueue, register_hook
from sam.roles import Role
from sam.tenancy.context import current_tenant
from sam.tenancy.urls import tenant_reverse
from sam.twofactor.selectors import has_two_factor


def row_save(obj: Any, *, unique_message: dict[str, str]) -> Any:
    """Validate a row by its model's own rules and save it; a unique constraint hit is the given field error."""
    obj.full_clean(exclude=["tenant"], validate_constraints=False)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(unique_message) from exc
    return obj


def row_update(obj: Any, data: dict[str, Any]) -> Any:
    """Change the given fields of a row (a settings form's cleaned data), checked by the model's own rules."""
    for key, value in data.items():
        setattr(obj, key, value)
    obj.full_clean(exclude=["tenant"], validate_constraints=False)
    obj.save(update_fields=list(data))
    return obj


def move_in_list(rows: Any, row: Any, *, up: bool) -> None:
    """Swap ``row`` with its neighbour in ``rows`` (a queryset of rows with an ``order`` field) and renumber
    them 0..n, so that ordered lists (agenda items, journey steps...) stay tidy."""
    items = list(rows.order_by("order", "pk"))
    index = next(i for i, it in enumerate(items) if it.pk == row.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for order, it in enumerate(items):
        if it.order != order:
            type(it).objects.filter(pk=it.pk).update(order=order)


def text_value(value: Any, field: str, *, limit: int, required: bool = False) -> str:
    """One text a service takes: a string without NUL characters (PostgreSQL cannot store them), trimmed, at most
    ``limit`` characters, and not empty when ``required``; otherwise a field error."""
    if not isinstance(value, str):
        raise ValidationError({field: "Give this as text."})
    if "\x00" in value:
        raise ValidationError({field: "Null characters are not allowed."})
    text = value.strip()
    if required and not text:
        raise ValidationError({field: "This is needed."})
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit:,} characters."})
    return text


def audit_record(
    *, actor: User | None, action: str, obj: Any = None, actor_contact_id: Any = None, **data: Any
) -> AuditEvent:
    """Record who did what; a contact in the customer portal acts as ``actor_contact_id``."""
    return AuditEvent.objects.create(
        actor=actor,
        actor_contact_id=actor_contact_id,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        data=data,
    )


@transaction.atomic
def workspace_settings_update(*, data: dict[str, Any], acting_user: User | None) -> WorkspaceSettings:
    """How the workspace's reports look: the paper size."""
    workspace = row_update(WorkspaceSettings.current(), data)
    audit_record(
        actor=acting_user, action="workspace.settings_update", obj=workspace, **{k: str(v) for k, v in data.items()}
    )
    return workspace


def workspace_logo_set(*, upload: Any, acting_user: User | None) -> WorkspaceSettings:
    """The workspace's logo on every report and survey email: the new file replaces the old one."""
    workspace = WorkspaceSettings.current()
    if workspace.logo:
        workspace.logo.delete(save=False)
    workspace.logo.save(f"tenant-{workspace.tenant_id}-{upload.name[-40:]}", upload)
    audit_record(actor=acting_user, action="workspace.logo_set", obj=workspace, name=upload.name[-40:])
    return workspace


def session_limits_update(*, data: dict[str, Any], acting_user: User) -> WorkspaceSettings:
    """How long a signed-in session of this workspace lasts: idle and in all, within the platform's bounds."""
    from sam.sessions import IDLE_BOUNDS, MAX_BOUNDS

    errors, values = {}, {}
    for field, (low, high) in (("session_idle_minutes", IDLE_BOUNDS), ("session_max_hours", MAX_BOUNDS)):
        value = data.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = f"A whole number from {low} to {high}."
        else:
            values[field] = value
    if errors:
        raise ValidationError(errors)
    workspace = row_update(WorkspaceSettings.current(), values)
    audit_record(actor=acting_user, action="workspace.session_limits", obj=workspace, **values)
    return workspace


def two_factor_requirement_update(*, required: str, acting_user: User) -> WorkspaceSettings:
    """Whom the workspace requires two-factor sign-in of: no one, its admins, or everyone. An admin requires it of
    others only once they use it themselves (else the next page would send them to set it up)."""
    if required not in WorkspaceSettings.TwoFactor.values:
        raise ValidationError({"two_factor_required": "Choose one of the listed options."})
    if required != WorkspaceSettings.TwoFactor.NONE and not has_two_factor(acting_user.pk):
        raise ValidationError(
            {"two_factor_required": "Turn on two-factor sign-in for yourself first (in your account menu)."}
        )
    workspace = WorkspaceSettings.current()
    old = workspace.two_factor_required
    workspace = row_update(workspace, {"two_factor_required": required})
    audit_record(actor=acting_user, action="workspace.two_factor_required", obj=workspace, old=old, new=required)
    return workspace


def sign_out_everywhere(*, user: User) -> None:
    """End every session of this person, on every device (their API tokens are theirs to revoke apart)."""
    user.sessions_epoch += 1
    user.save(update_fields=["sessions_epoch"])  # the cached copy of the user is forgotten with it
    authlog.event("sign-out-everywhere", user=user.pk)


def password_setup_url(user: User, site_url: str) -> str:
    """A one-time link to set (or reset) this user's password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url + reverse("password_reset_confirm", args=[uid, token])


# --- Security emails: no live link rests in an outbox -----------------------------------------------------------
# A password link would let whoever reads the database or a backup take the account over while it is valid. The
# queued message holds this placeholder; the link is made as the email leaves, and the sent message's body is
# blanked (what a security email said is not kept). Idempotency keys carry ids, never tokens.
PASSWORD_LINK = "[password link]"
RESET_KEY = "password-reset:"
ADDED_KEY = "membership-added:"


def password_reset_enqueue(*, user: User, subject: str, text: str) -> None:
    """A password reset email: one a second per person (a double click sends one)."""
    key = f"{RESET_KEY}{user.pk}:{int(time.time())}"
    platform_email_enqueue(key=key, to=[user.email], subject=subject, text=text)
    authlog.event("password-reset-asked", user=user.pk)


def _password_reset_message(email: Any, text: str, html: str) -> tuple[str, str]:
    user_id = email.idempotency_key[len(RESET_KEY) :].split(":")[0]
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise Withdrawn("the account is gone or no longer active")
    link = password_setup_url(user, settings.SITE_URL)
    return text.replace(PASSWORD_LINK, link), html.replace(PASSWORD_LINK, link)


def _membership_added_message(email: Any, text: str, html: str) -> tuple[str, str]:
    membership = Membership.objects.select_related("user").filter(pk=email.idempotency_key[len(ADDED_KEY) :]).first()
    tenant = current_tenant()
    if membership is None or tenant is None or not membership.user.is_active:
        raise Withdrawn("the membership was removed")
    user = membership.user
    if user.has_usable_password():
        link = settings.SITE_URL + tenant_reverse("dashboard", tenant=tenant)
    else:
        link = password_setup_url(user, settings.SITE_URL)
    return text.replace(PASSWORD_LINK, link), html.replace(PASSWORD_LINK, link)


def register_email_hooks() -> None:
    register_hook(RESET_KEY, expand=_password_reset_message, forget=True, platform=True)
    register_hook(ADDED_KEY, expand=_membership_added_message, forget=True)  # emails queued before invitations
    register_hook(INVITE_KEY, expand=_invitation_message, forget=True)


def _admin_count() -> int:
    return Membership.objects.filter(role=Role.ADMIN).count()


# --- Invitations: a person joins by accepting an emailed link ---------------------------------------------------
INVITE_KEY = "invitation:"
INVITE_LINK = "[invitation link]"
INVITATION_DAYS = 14


def _open_invitations() -> Any:
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)


@transaction.atomic
def invitation_create(*, email: str, name: str, role: str, acting_user: User) -> Invitation:
    """Invite a person by email. Nothing about them is looked up beyond this workspace: until they accept, the
    workspace knows the address and the name typed here, and no membership is live."""
    email = User.objects.normalize_email(email).strip().lower()
    name = text_value(name or "", "name", limit=200)
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member of this workspace."})
    if _open_invitations().filter(email=email).exists():
        raise ValidationError({"email": "This person is invited already: send the invitation again from the list."})
    invitation = Invitation.objects.create(
        email=email,
        name=name,
        role=Role(role),
        invited_by=acting_user,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    _invitation_email(invitation)
    audit_record(actor=acting_user, action="invitation.create", obj=invitation, email=email, role=str(role))
    return invitation


def _invitation_email(invitation: Invitation) -> None:
    """A new email for the invitation; its link is made as it leaves (``_invitation_message``)."""
    invitation.sends += 1
    invitation.save(update_fields=["sends", "expires_at"])
    tenant = current_tenant()
    assert tenant is not None
    inviter = invitation.invited_by
    context = {
        "tenant": tenant,
        "name": invitation.name,
        "inviter": inviter,
        "role": invitation.get_role_display(),
        "link": INVITE_LINK,
        "days": INVITATION_DAYS,
    }
    email_enqueue(
        key=f"{INVITE_KEY}{invitation.pk}:{invitation.sends}",
        to=[invitation.email],
        subject=f"{inviter.display_name if inviter else 'An admin'} invited you to {tenant.name}",
        text=render_to_string("emails/invitation.txt", context),
    )


@transaction.atomic
def invitation_resend(*, invitation: Invitation, acting_user: User) -> Invitation:
    """A new email with a new link (the previous link stops working), valid for another INVITATION_DAYS."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.revoked_at is not None:
        raise ValidationError("This invitation was accepted or withdrawn.")
    locked.token_hash = ""
    locked.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    locked.save(update_fields=["token_hash"])
    _invitation_email(locked)
    audit_record(actor=acting_user, action="invitation.resend", obj=locked, email=locked.email)
    return locked


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: User) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError("This invitation was accepted: remove the member instead.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.token_hash = ""
        locked.save(update_fields=["revoked_at", "token_hash"])
        audit_record(actor=acting_user, action="invitation.revoke", obj=locked, email=locked.email)
    return locked


def _invitation_message(email: Any, text: str, html: str) -> tuple[str, str]:
    """The outbox's hook: a new token for the invitation as its email leaves (only the hash is kept); an email
    for an invitation accepted, withdrawn or sent again since is not sent."""
    invitation_id, number = email.idempotency_key[len(INVITE_KEY) :].split(":")
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Withdrawn("the invitation was accepted or withdrawn")
    if int(number) != invitation.sends:
        raise Withdrawn("a newer email for this invitation replaced it")
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token_secret(token)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "sent_at"])
    link = settings.SITE_URL + reverse("invitation_open", args=[invitation.tenant_id, token])
    return text.replace(INVITE_LINK, link), html.replace(INVITE_LINK, link)


def invitation_by_token(token: str) -> Invitation | None:
    """The open invitation of the current tenant that this link's token opens, if any."""
    found = Invitation.objects.select_related("invited_by").filter(token_hash=hash_token_secret(token)).first()
    return found if found is not None and found.is_open() else None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """The invited person, signed in with the invited address, joins with the invited role."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_open():
        raise ValidationError("This invitation is no longer valid.")
    if user.email.lower() != locked.email:
        raise ValidationError("This invitation is for another email address.")
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(user=user, role=Role(locked.role))
    locked.accepted_at, locked.accepted_by, locked.token_hash = timezone.now(), user, ""
    locked.save(update_fields=["accepted_at", "accepted_by", "token_hash"])
    audit_record(actor=user, action="invitation.accept", obj=locked, role=locked.role)
    return membership


@transaction.atomic
def invitation_accept_new(*, invitation: Invitation, full_name: str, password: str) -> User:
    """A person without an account: the account is made with the invited address, then joins."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("There is an account for this address already: sign in to accept.")
    full_name = text_value(full_name, "full_name", limit=200, required=True)
    candidate = User(email=invitation.email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from exc
    user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
    invitation_accept(invitation=invitation, user=user)
    return user


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, acting_user: User) -> Membership:
    new_role = Role(role)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.ADMIN and new_role != Role.ADMIN and _admin_count() <= 1:
        raise ValidationError({"role": "A workspace needs at least one admin."})
    old = locked.role
    locked.role = new_role
    locked.save(update_fields=["role"])
    audit_record(actor=acting_user, action="membership.role", obj=locked, old=old, new=str(new_role))
    return locked


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: User) -> None:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.ADMIN and _admin_count() <= 1:
        raise ValidationError("A workspace needs at least one admin.")
    audit_record(actor=acting_user, action="membership.remove", obj=locked, email=locked.user.email)
    locked.delete()


def token_create(*, membership: Membership, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    """Make a new API token for one membership. The full token is returned once, never stored."""
    secret = ApiToken.new_secret()
    full = f"sam_{membership.tenant_id}_{secret}"
    expires = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        membership=membership,
        name=name.strip()[:100],
        key_hash=hash_token_secret(full),
        hint=full[-6:],
        expires_at=expires,
    )
    audit_record(actor=membership.user, action="token.create", obj=token, name=token.name)
    authlog.event("token-created", user=membership.user_id, tenant=membership.tenant_id, token=token.pk)
    return token, full


def token_revoke(*, token: ApiToken, acting_user: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=acting_user, action="token.revoke", obj=token)
        authlog.event("token-revoked", user=acting_user.pk, tenant=token.tenant_id, token=token.pk)
    return token
