"""Enrolment, verification, recovery codes and an administrator's reset. Every event is audited (`auth.mfa.*`).

The devices are django-otp's: a `TOTPDevice` (the authenticator app) and a `StaticDevice` whose `StaticToken`s are
the recovery codes, each deleted when used. Both count failed attempts and refuse further codes for 1, 2, 4, ...
seconds (django-otp's throttling); a refused attempt is audited like a wrong code.

Marking the session verified (`django_otp.login`) belongs to the views: services take no `request`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.accounts.mfa.selectors import mfa_authenticator, mfa_enrolled, mfa_recovery_codes_left
from dermreview.audit.services.events import audit_log

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


class MfaError(Exception):
    """A second-factor step that did not succeed; `message` is fit to show the user."""

    code = "mfa_error"
    message = "Two-factor authentication failed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class MfaCodeInvalid(MfaError):
    code = "mfa_invalid"
    message = "That code is not valid. Enter the current code from your authenticator app, or an unused recovery code."


class MfaThrottled(MfaError):
    code = "mfa_throttled"

    def __init__(self, wait: float) -> None:
        self.wait = max(1.0, wait)
        super().__init__(f"Too many wrong codes: try again in {int(self.wait + 0.999)} seconds.")


class MfaNotEnrolled(MfaError):
    code = "mfa_enrolment_required"
    message = "Set up an authenticator app first: log in to DermReview in a browser to enrol."


class MfaAlreadyEnrolled(MfaError):
    code = "mfa_already_enrolled"
    message = "You already have an authenticator. Verify with it first to replace it."


def normalise_code(code: str) -> str:
    """Codes as people type them: spaces and dashes dropped, recovery codes in any case."""
    return "".join(code.split()).replace("-", "").lower()


def mfa_enrolment_start(*, user: Any, replace: bool = False) -> TOTPDevice:
    """The user's pending authenticator, kept until confirmed (a QR code scanned before a reload still works).

    Someone who has enrolled may only start again to replace the authenticator from a verified session
    (`replace=True`); otherwise the password alone would be enough to swap in an attacker's authenticator.
    """
    if mfa_enrolled(user) and not replace:
        raise MfaAlreadyEnrolled()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def mfa_enrolment_confirm(*, user: Any, code: str, replace: bool = False) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with its current code. Returns it and a new set of recovery codes, to be
    shown once. Any earlier authenticator and recovery codes stop working. A wrong code raises MfaCodeInvalid."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if pending is None or (mfa_enrolled(user) and not replace):
        raise MfaError("No enrolment is in progress: reload the page to start one.")
    device = _accepting_device(pending, normalise_code(code), user=user, stage="enrolment", channel="web")
    if device is None:
        raise MfaCodeInvalid("That code does not match. Check the time on your phone and enter the current code.")
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_log(action="auth.mfa.enrol", actor=user, obj=user,
                  details={"method": "totp", "replaced": bool(replace and replaced)})
    return device, codes


def mfa_verify(*, user: Any, code: str, channel: str = "web") -> Device:
    """The device that accepts `code`: the authenticator's current code, or an unused recovery code (then spent).

    `channel` ("web", "api") is recorded in the audit event. Raises MfaNotEnrolled, MfaThrottled or MfaCodeInvalid.
    """
    authenticator = mfa_authenticator(user)
    if authenticator is None:
        raise MfaNotEnrolled()
    code = normalise_code(code)
    if code.isdigit() and len(code) == authenticator.digits:
        device = _accepting_device(authenticator, code, user=user, stage="verify", channel=channel)
    else:
        recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
        device = recovery and _accepting_device(recovery, code, user=user, stage="verify", channel=channel)
    if not device:
        raise MfaCodeInvalid()
    if isinstance(device, StaticDevice):
        audit_log(action="auth.mfa.recovery_code_used", actor=user, obj=user,
                  details={"channel": channel, "recovery_codes_left": mfa_recovery_codes_left(user)})
    else:
        audit_log(action="auth.mfa.verify", actor=user, obj=user, details={"method": "totp", "channel": channel})
    return device


@transaction.atomic
def mfa_recovery_codes_regenerate(*, user: Any) -> list[str]:
    """A new set of recovery codes, to be shown once; the old ones stop working."""
    if not mfa_enrolled(user):
        raise MfaNotEnrolled("Set up an authenticator app before creating recovery codes.")
    codes = _recovery_codes_replace(user)
    audit_log(action="auth.mfa.recovery_codes_regenerate", actor=user, obj=user,
              details={"count": len(codes)})
    return codes


@transaction.atomic
def mfa_reset(*, user: Any, actor: Any) -> bool:
    """Remove the user's authenticator and recovery codes (a lost phone): their sessions lose their verification and
    they enrol again at their next log-in. An administrator's action. False if there was nothing to remove."""
    if not (actor.is_active and actor.has_perm("otp_totp.delete_totpdevice")):
        raise PermissionDenied("Only an administrator may reset two-factor authentication.")
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    if removed:
        audit_log(action="auth.mfa.reset", actor=actor, obj=user, details={"username": user.username})
    return bool(removed)


def _accepting_device(device: Device, code: str, *, user: Any, stage: str, channel: str) -> Device | None:
    """`device` if it accepts `code`. Locked against concurrent attempts, so one code (or one recovery code) is
    accepted once. A wrong or throttled attempt is audited; a throttled one raises MfaThrottled."""
    with transaction.atomic():
        locked = type(device).objects.select_for_update().get(pk=device.pk)
        allowed, info = locked.verify_is_allowed()
        accepted = allowed and locked.verify_token(code)
    if accepted:
        return locked
    reason = "wrong_code" if allowed else "throttled"
    audit_log(action="auth.mfa.failed", actor=user, obj=user,
              details={"stage": stage, "channel": channel, "reason": reason})
    if not allowed:
        locked_until = (info or {}).get("locked_until")
        raise MfaThrottled((locked_until - timezone.now()).total_seconds() if locked_until else 1.0)
    return None


def _recovery_codes_replace(user: Any) -> list[str]:
    # The device row stays: a session verified with a recovery code keeps its verification.
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes
