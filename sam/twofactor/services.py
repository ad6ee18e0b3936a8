"""Changes to a person's two-factor sign-in: set it up, check a code, renew the recovery codes, turn it off."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from sam import authlog
from sam.models import RecoveryCode, User

RECOVERY_CODES = 10
# Recovery codes: 12 letters and digits of base32 (60 random bits), shown as three groups of four.
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
RECOVERY_LENGTH = 12
APP_CODE = re.compile(r"\d{6}")


class Check(enum.Enum):
    """What a code given at the second step turned out to be."""

    APP = "app"  # the code the authenticator app shows now
    RECOVERY = "recovery"  # an unused recovery code, now used
    WRONG = "wrong"
    WAIT = "wait"  # not checked: the device waits after wrong codes (django-otp's throttling)


def _normal(code: str) -> str:
    """A code as typed, without spaces and dashes, lower case (recovery codes are shown in groups)."""
    return re.sub(r"[\s-]", "", code or "").lower()


def recovery_hash(user_id: int, code: str) -> str:
    """The stored form of a recovery code: a hash, salted with whose code it is."""
    return hashlib.sha256(f"{user_id}:{_normal(code)}".encode()).hexdigest()


def device_pending(*, user: User) -> TOTPDevice:
    """The key being set up, before a code confirms it: kept while the page is reloaded, never counted."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def device_confirm(*, user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on with the key being set up, once a code made from it is right. Returns the new
    recovery codes, to show once."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError({"code": "Two-factor sign-in is on already, or this page is out of date: reload it."})
    code = _normal(code)
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise ValidationError({"code": "Too many wrong codes in a row: wait a few seconds, then type the new one."})
    if not APP_CODE.fullmatch(code) or not device.verify_token(code):
        raise ValidationError({"code": "That code does not match. Type the 6 digits the app shows now."})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = _recovery_codes_make(user)
    authlog.event("2fa-set-up", user=user.pk)
    return codes


def _recovery_codes_make(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=recovery_hash(user.pk, c)) for c in codes])
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """A new set of recovery codes: the old ones, used or not, stop working. Returns them, to show once."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError("Two-factor sign-in is off: turn it on first.")
    codes = _recovery_codes_make(user)
    authlog.event("2fa-recovery-codes-renewed", user=user.pk)
    return codes


@transaction.atomic
def two_factor_off(*, user: User) -> None:
    """Turn two-factor sign-in off: the app's key and the recovery codes are deleted."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    authlog.event("2fa-off", user=user.pk)


def second_factor_check(*, user: User, code: str) -> Check:
    """Check the code given at the second step: the app's code now (each works once: a code already used, even
    by a request at the same moment, is refused), or an unused recovery code, which is used up by this."""
    code = _normal(code)
    if APP_CODE.fullmatch(code):
        with transaction.atomic():
            # Locked, so two requests with the same code cannot both see it unused (django-otp keeps the last
            # time step used on the row).
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
            if device is None:
                return Check.WRONG
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                return Check.WAIT
            return Check.APP if device.verify_token(code) else Check.WRONG
    if len(code) == RECOVERY_LENGTH:
        used = RecoveryCode.objects.filter(
            user=user, code_hash=recovery_hash(user.pk, code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if used:
            return Check.RECOVERY
    return Check.WRONG


def password_or_code_check(*, user: User, given: str) -> bool:
    """Someone signed in shows it is still them before a change to their sign-in: the password, or the app's
    code now."""
    if APP_CODE.fullmatch(_normal(given)) and second_factor_check(user=user, code=given) is Check.APP:
        return True
    return bool(given) and user.check_password(given)
