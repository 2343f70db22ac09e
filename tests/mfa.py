"""Second-factor helpers for tests: real TOTP devices and real codes, nothing switched off.

The default test settings enforce two-factor authentication. `force_login` (see `_force_login_passes_mfa` in
tests/conftest.py) skips the second factor as it skips the password, by marking the session verified with a real
device, exactly as django_otp.login does; the MFA tests themselves log in through the real forms.
"""

from __future__ import annotations

import time
from binascii import unhexlify
from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dermreview.accounts.mfa.selectors import mfa_authenticator, mfa_required_for

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def totp_code_for_key(key: bytes, *, at: float | None = None, step: int = 30) -> str:
    """The six digits an authenticator app shows for `key` (raw bytes) at time `at` (now)."""
    totp = TOTP(key, step=step)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def totp_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current step's (as the device counts it, with its learnt drift), or the
    next one's when that step was already used (a device refuses a step twice; its tolerance admits the next)."""
    device.refresh_from_db()
    current_t = int(time.time() - device.t0) // device.step + device.drift
    target_t = max(current_t, device.last_t + 1)
    return totp_code_for_key(unhexlify(device.key), at=device.t0 + target_t * device.step + 1, step=device.step)


def wrong_code(device: TOTPDevice) -> str:
    """Six digits the device refuses now: none of the codes inside its window of tolerance."""
    device.refresh_from_db()
    key, now = unhexlify(device.key), time.time() + device.drift * device.step
    window = {totp_code_for_key(key, at=now + offset * device.step, step=device.step) for offset in (-2, -1, 0, 1, 2)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in window)


def password_login(client: Any, user: Any, **extra: str) -> Any:
    """The password step of the real log-in form (not force_login): the session has passed no second factor."""
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, **extra})


def authenticator_for(user: Any) -> TOTPDevice:
    """The user's confirmed authenticator, created if they have none."""
    return mfa_authenticator(user) or TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)


def has_second_factor(user: Any) -> bool:
    """Whether the user has enrolled or their role requires it (read fresh: the caller's instance keeps no roles)."""
    fresh = type(user).objects.get(pk=user.pk)
    return mfa_authenticator(fresh) is not None or mfa_required_for(fresh)


def verify_session(client: Any, user: Any) -> None:
    """Mark the client's session as having passed the second factor, if the user has or needs one."""
    if not has_second_factor(user):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    session.save()
