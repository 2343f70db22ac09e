"""Account pages. Log-in and log-out are Django's own views (audited through signals, see signals.py)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpResponse

from dermreview.accounts.services.credentials import user_credentials_revoke
from dermreview.audit.services.events import audit_log


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, recorded in the audit trail (Django sends no signal for it).

    A new password also ends every credential derived from the old one (whoever changes a password after a
    suspected leak expects that): the user's other sessions and their API token. The browser that made the change
    stays signed in.
    """

    @transaction.atomic
    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        audit_log(action="auth.password_change", actor=user, obj=user)
        user_credentials_revoke(user=user, reason="password_change",
                                keep_session_key=self.request.session.session_key)
        return response
