"""Login events go to the audit trail. Django emits these signals; we only record them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from dermreview.audit.services.events import audit_log


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
