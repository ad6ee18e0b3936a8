"""Reads of two-factor sign-in: a person's device and what is left of their recovery codes."""

from __future__ import annotations

from base64 import b32encode

from django_otp.plugins.otp_totp.models import TOTPDevice

from sam.models import RecoveryCode, User


def confirmed_device(user: User) -> TOTPDevice | None:
    """The person's authenticator app, once a code from it confirmed it (None while two-factor sign-in is off)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_two_factor(user_id: int) -> bool:
    return TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def key_text(device: TOTPDevice) -> str:
    """The device's key as a person types it into an authenticator app: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
