"""Log in, log out, change password.

Deliberately not `django.contrib.auth.urls`: there is no self-service password reset by email. Accounts are
clinical staff; an administrator resets a forgotten password (Django admin), which keeps a reset link in a
mailbox from becoming a way into patient data.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from dermreview.accounts.oidc.views import OidcCallbackView, OidcSignInView, SignInView, SignOutView
from dermreview.accounts.views import AuditedPasswordChangeView

urlpatterns = [
    # The password form with the single sign-on button, and a log-out that also ends the provider's session.
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect, dermreview/accounts/oidc/): 404 while DERMREVIEW_OIDC_ENABLED is off. The
    # callback is the redirect URI registered at the provider; the names are mozilla-django-oidc's.
    path("oidc/authenticate/", OidcSignInView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", OidcCallbackView.as_view(), name="oidc_authentication_callback"),
    path("password/", AuditedPasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Two-factor authentication: enrol, verify, recovery codes (dermreview/accounts/mfa/).
    path("mfa/", include("dermreview.accounts.mfa.urls")),
]
