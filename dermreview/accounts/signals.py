"""Account signals: the one accounts sends, and the audit receivers for the ones Django sends.

`credentials_changed` is sent, with `user` and `reason` (what changed), whenever what a user may do or prove
changed: their password (their own change or an administrator's reset), deactivation, a superuser or staff flag,
their roles or their clinic (`accounts.services.credentials.user_credentials_revoke`, which also ends their
sessions). Accounts knows nothing of the credentials other apps derive for a user; each such app connects a
receiver and ends its own (the API app revokes the user's token, see `dermreview/api/apps.py`). Receivers run
inside the change's transaction; an exception is not swallowed.

Django's login signals are recorded in the audit trail below.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from dermreview.audit.services.events import audit_log

credentials_changed = Signal()


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_log(action="auth.login", actor=user, obj=user)


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_log(action="auth.logout", actor=user, obj=user)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Never the password: django masks it, and we keep only the username that was tried.
    audit_log(action="auth.login_failed",
              details={"username": str(credentials.get("username", ""))[:150]})
