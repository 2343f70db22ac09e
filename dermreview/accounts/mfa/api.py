"""The REST API's side of two-factor authentication.

- Session calls (the browser, the API docs page) count only once the session has passed its second factor:
  `MfaSessionAuthentication` replaces DRF's SessionAuthentication in REST_FRAMEWORK.
- A token is a standing credential, so it is issued only against a code: `mfa_api_token_check` is called by the
  token exchange (dermreview/api/views/auth.py) after the password, before the token.

Errors are APIExceptions, so the API's handler answers them in its JSON shape (`error`: the code below).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from dermreview.accounts.mfa.selectors import MfaStep, mfa_step_for
from dermreview.accounts.mfa.services import MfaError, MfaNotEnrolled, MfaThrottled, mfa_verify


class MfaRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "mfa_required"
    default_detail = "This account uses two-factor authentication: send the current code of your authenticator app."


class MfaRefused(exceptions.APIException):
    """A second-factor failure on the API, with the service's own code (`mfa_invalid`, ...) and message."""

    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, error: MfaError) -> None:
        super().__init__(error.message, code=error.code)
        if isinstance(error, MfaThrottled):
            self.status_code = status.HTTP_429_TOO_MANY_REQUESTS
            self.wait = error.wait


class MfaSessionAuthentication(SessionAuthentication):
    """DRF's session authentication, refusing (403 `mfa_required`) a session that still owes its second factor."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", None)
        if (verified is None or not verified()) and mfa_step_for(user) is not MfaStep.NONE:
            raise MfaRequired("Finish signing in with your second factor in the browser (or log out) first.")
        return result


class MfaSessionScheme(SessionScheme):
    """The OpenAPI document describes it as the cookie login it is (drf-spectacular matches classes exactly)."""

    target_class = MfaSessionAuthentication


def mfa_api_token_check(*, user: Any, otp: str) -> None:
    """Before a token is issued: whoever must use a second factor, or has enrolled one, sends `otp` (the current
    authenticator code, or a recovery code). Raises 403 `mfa_enrolment_required`, `mfa_required`, `mfa_invalid`,
    or 429 `mfa_throttled`; verifications and failures are audited by the service."""
    step = mfa_step_for(user)
    if step is MfaStep.NONE:
        return
    if step is MfaStep.ENROL:
        raise MfaRefused(MfaNotEnrolled("Set up an authenticator app first: log in to DermReview in a browser, which "
                                        "walks you through it; then send its current code as `otp`."))
    if not otp:
        raise MfaRequired("This account uses two-factor authentication: send the current code of your "
                          "authenticator app (or a recovery code) as `otp`.")
    try:
        mfa_verify(user=user, code=otp, channel="api")
    except MfaError as exc:
        raise MfaRefused(exc) from None
