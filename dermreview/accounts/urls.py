"""Log in, log out, change password.

Deliberately not `django.contrib.auth.urls`: there is no self-service password reset by email. Accounts are
clinical staff; an administrator resets a forgotten password (Django admin), which keeps a reset link in a
mailbox from becoming a way into patient data.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from dermreview.accounts.views import AuditedPasswordChangeView

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", AuditedPasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Two-factor authentication: enrol, verify, recovery codes (dermreview/accounts/mfa/).
    path("mfa/", include("dermreview.accounts.mfa.urls")),
]
