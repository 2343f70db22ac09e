"""Account pages. Log-in and log-out are Django's own views (audited through signals, see signals.py)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse

from dermreview.api.services.tokens import api_token_revoke
from dermreview.audit.services.events import audit_log


class AuditedPasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, recorded in the audit trail (Django sends no signal for it).

    A new password also revokes the user's API token: whoever changes a password after a suspected leak
    expects every credential derived from the old one to stop working.
    """

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        audit_log(action="auth.password_change", actor=self.request.user, obj=self.request.user)
        api_token_revoke(user=self.request.user)
        return response
