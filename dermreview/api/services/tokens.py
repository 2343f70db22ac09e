"""Issuing and revoking per-user API tokens (`ApiToken`: one per user, stored as a digest of its key).

A key is shown once, in the response that issues it. Since a stored token cannot be shown again, asking for a
token while one exists rotates it: the old key stops working and a new one is returned (audited). Tokens are
listed, by prefix, and revoked in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from rest_framework import exceptions

from dermreview.api.errors import LockedOut
from dermreview.api.models import ApiToken
from dermreview.api.models.api_token import PREFIX_LENGTH, token_digest
from dermreview.audit.services.events import audit_log


class InvalidCredentials(exceptions.APIException):
    status_code = 400
    default_detail = "Unable to sign in with this username and password."
    default_code = "invalid_credentials"


def api_credentials_check(*, request: HttpRequest, username: str, password: str) -> Any:
    """The user for these credentials, through the same backends (and django-axes lockout) as the login page.

    Raises LockedOut (429) while axes holds the username locked for this address, InvalidCredentials otherwise.
    """
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        # AxesMiddleware would swap our response for the HTML lockout page; the API answers in JSON itself.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        cool_off = get_cool_off(request)
        raise LockedOut(wait=cool_off.total_seconds() if cool_off else None)
    if user is None:
        raise InvalidCredentials()
    return user


@dataclass(frozen=True)
class IssuedToken:
    key: str  # shown to the caller once; never stored
    token: ApiToken
    rotated: bool  # an earlier token of the user was revoked by this issue


@transaction.atomic
def api_token_issue(*, user: Any) -> IssuedToken:
    """A new API token for `user`, replacing (revoking) the one they had. The key is in the result and nowhere else.

    Audited: `api.token.create`, with the fingerprint of the token it replaced, if any.
    """
    previous = ApiToken.objects.select_for_update().filter(user=user).first()
    if previous is not None:
        previous.delete()
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, prefix=key[:PREFIX_LENGTH], digest=token_digest(key))
    audit_log(action="api.token.create", actor=user, obj=user,
              details={"token": token.fingerprint, "replaced": previous.fingerprint if previous else None})
    return IssuedToken(key=key, token=token, rotated=previous is not None)


@transaction.atomic
def api_token_revoke(*, user: Any, reason: str = "") -> bool:
    """Delete the user's API token; every client using it gets 401 from then on. False if there was none.

    Audited (`api.token.revoke`) with the acting user from the request (the user themselves, or the administrator
    whose change ended the token) and `reason` when one is given.
    """
    token = ApiToken.objects.filter(user=user).first()
    if token is None:
        return False
    token.delete()
    details = {"token": token.fingerprint, **({"reason": reason} if reason else {})}
    audit_log(action="api.token.revoke", obj=user, details=details)
    return True


def api_token_revoke_on_credentials_changed(sender: Any, *, user: Any, reason: str = "", **kwargs: Any) -> None:
    """Receiver of `accounts.signals.credentials_changed`: a new password, role or clinic, a deactivation, ends the
    token issued before it."""
    api_token_revoke(user=user, reason=reason)
