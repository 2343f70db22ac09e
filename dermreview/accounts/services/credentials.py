"""Ending a user's credentials when what they may do changed: their sessions here, the API token through a signal.

A password change protects only the session it happens in (Django's `update_session_auth_hash`); deactivation,
a new role, a move to another clinic or a superuser grant change nothing a session holds, so a stolen session or
token would carry on. Each of these changes therefore ends every session of the user and every credential other
apps derived for them (`credentials_changed`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from dermreview.accounts.signals import credentials_changed
from dermreview.audit.services.events import audit_log

# Fields of a user whose change ends their sessions and tokens (the password itself included).
CREDENTIAL_FIELDS = frozenset({"password", "is_active", "is_superuser", "is_staff", "groups", "organisation"})


def user_sessions_end(*, user: Any, keep_session_key: str | None = None) -> int:
    """Delete every live session of `user` but `keep_session_key`; returns how many ended.

    Sessions are database rows keyed by a random string, not by user, so the live ones are read and decoded (a
    few thousand at most in one clinic installation). Needs a database-backed session engine (`db` or
    `cached_db`); `cached_db` also drops the cached copy, as each one is deleted through its store.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        raise ImproperlyConfigured("Ending a user's sessions needs a database-backed SESSION_ENGINE.")
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    wanted = str(user.pk)
    ended = [
        session.session_key for session in sessions.iterator()
        if session.session_key != keep_session_key and str(session.get_decoded().get(SESSION_KEY)) == wanted
    ]
    for session_key in ended:
        store_class(session_key).delete()
    return len(ended)


@transaction.atomic
def user_credentials_revoke(*, user: Any, reason: str, keep_session_key: str | None = None) -> int:
    """End the user's sessions (except `keep_session_key`, the acting browser's own) and their API token.

    `reason` says what changed (e.g. "password_change", "admin: groups, is_active"). It takes access away and
    grants none, so anyone's change may call it; the caller checked the change itself. Audited as
    `auth.credentials_revoke`. Returns the number of sessions ended.
    """
    ended = user_sessions_end(user=user, keep_session_key=keep_session_key)
    credentials_changed.send(sender=type(user), user=user, reason=reason)
    audit_log(action="auth.credentials_revoke", obj=user, details={"reason": reason, "sessions_ended": ended})
    return ended
