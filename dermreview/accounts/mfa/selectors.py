"""Who must use a second factor, and where a signed-in user stands with it. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.accounts.roles import roles_of

# DERMREVIEW_MFA_REQUIRED_ROLES names roles by their value; `operator` is not a group but a superuser.
OPERATOR = "operator"


class MfaStep(StrEnum):
    """What a signed-in user whose session has passed no second factor must do before anything else."""

    NONE = "none"  # nothing: their role does not require it and they have not enrolled
    ENROL = "enrol"  # their role requires it and they have no authenticator yet
    VERIFY = "verify"  # they have an authenticator: a code (or a recovery code) first


@dataclass(frozen=True)
class MfaStatus:
    required: bool
    enrolled: bool
    enrolled_at: datetime | None
    last_used_at: datetime | None
    recovery_codes_left: int


def mfa_required_for(user: Any) -> bool:
    """Whether the user's roles (DERMREVIEW_MFA_REQUIRED_ROLES) require a second factor."""
    required = set(settings.DERMREVIEW_MFA_REQUIRED_ROLES)
    if OPERATOR in required and user.is_active and user.is_superuser:
        return True
    return bool(required & {role.value for role in roles_of(user)})


def mfa_authenticator(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def mfa_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_step_for(user: Any) -> MfaStep:
    """The next step of a signed-in user whose session is not verified: whoever has enrolled is asked for a code,
    whether or not their role requires it; whoever must and has not is sent to enrol."""
    if mfa_enrolled(user):
        return MfaStep.VERIFY
    if mfa_required_for(user):
        return MfaStep.ENROL
    return MfaStep.NONE


def mfa_recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def mfa_status(user: Any) -> MfaStatus:
    device = mfa_authenticator(user)
    return MfaStatus(
        required=mfa_required_for(user),
        enrolled=device is not None,
        enrolled_at=device.created_at if device is not None else None,
        last_used_at=device.last_used_at if device is not None else None,
        recovery_codes_left=mfa_recovery_codes_left(user),
    )
