"""The customer's seat: a contact of an account signs in without an account or a password.

An account manager gives a contact access; the contact gets a short-lived, single-use sign-in link by email and,
through it, a portal session of their own (its own cookie, limited to the portal's pages). Only hashes of the
link's token and of the session's key are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sam.tenancy.keys import TenantForeignKey, TenantPrimaryKey
from sam.tenancy.models import TenantOwned


class PortalAccess(TenantOwned):
    """A contact's right to sign in to the portal of their account, until it is revoked."""

    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="portal_accesses", db_constraint=False
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "contact"], name="portalaccess_one_per_contact"),
            TenantPrimaryKey(),
            TenantForeignKey("contact"),
        ]

    def __str__(self) -> str:
        return f"Portal access of contact {self.contact_id}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PortalLink(TenantOwned):
    """One emailed sign-in link: single use, short-lived. The token is made again from the salt as the email
    leaves (it is never stored); only its hash is kept to find the link."""

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="links", db_constraint=False)
    token_salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token_hash"], name="portallink_unique_token"),
            TenantPrimaryKey(),
            TenantForeignKey("access"),
        ]


class PortalSession(TenantOwned):
    """A contact signed in through a link; ends when idle too long, when they sign out or access is revoked."""

    track_changes = False  # machinery: a sign-in's heartbeat; the access it belongs to is recorded

    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="sessions", db_constraint=False)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    address = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key_hash"], name="portalsession_unique_key"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("created_at")),
                name="portalsession_ends_after_start",
            ),
            TenantPrimaryKey(),
            TenantForeignKey("access"),
        ]
