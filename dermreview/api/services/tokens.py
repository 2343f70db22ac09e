"""Issuing and revoking per-user API tokens. Tokens are DRF's authtoken rows (listed and deletable in the admin)."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from dermreview.api.authentication import token_fingerprint
from dermreview.api.errors import LockedOut
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


@transaction.atomic
def api_token_issue(*, user: Any) -> tuple[Token, bool]:
    """The user's API token, created if they have none. Returns (token, created). Audited either way."""
    token, created = Token.objects.get_or_create(user=user)
    audit_log(
        action="api.token.create" if created else "api.token.issue", actor=user,
        details={"token": token_fingerprint(token.key)},
    )
    return token, created


@transaction.atomic
def api_token_revoke(*, user: Any) -> bool:
    """Delete the user's API token; every client using it gets 401 from then on. False if there was none."""
    token = Token.objects.filter(user=user).first()
    if token is None:
        return False
    fingerprint = token_fingerprint(token.key)
    token.delete()
    audit_log(action="api.token.revoke", actor=user, details={"token": fingerprint})
    return True


def api_token_revoke_on_credentials_changed(sender: Any, *, user: Any, **kwargs: Any) -> None:
    """Receiver of `accounts.signals.credentials_changed`: a new password ends the token issued under the old one."""
    api_token_revoke(user=user)
