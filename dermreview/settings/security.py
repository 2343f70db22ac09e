"""Browser and sign-in hardening, read by base.py: the Content-Security-Policy and two-factor authentication.

A module of its own so that base.py stays under the size rule; like base.py it reads variables only through `env()`.
"""

from __future__ import annotations

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from dermreview.settings.registry import env
from dermreview.settings.storage import presigned_origins

# Content-Security-Policy (django-csp's CSPMiddleware) on every response, the admin and the API docs included: nothing
# inline runs and no other origin is reached. A template that must inline something writes
# `nonce="{{ request.csp_nonce }}"`: the nonce joins the header only on responses whose template used one. Photos
# send their own sandboxing policy, which django-csp keeps (it never replaces a header a view has set).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # With photos in a bucket and presigned delivery, the browser follows a redirect to the bucket's origin.
        "img-src": [SELF, "data:", "blob:", *presigned_origins()],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Two-factor authentication (django-otp; dermreview/accounts/mfa/): TOTP authenticator apps and recovery codes. The
# names are the values of dermreview.accounts.roles.Role; `operator` is a superuser.
MFA_ROLE_NAMES = frozenset({"clinician", "reviewer", "auditor", "clinic_admin", "operator"})
DERMREVIEW_MFA_REQUIRED_ROLES = env("DERMREVIEW_MFA_REQUIRED_ROLES")
if unknown := sorted(set(DERMREVIEW_MFA_REQUIRED_ROLES) - MFA_ROLE_NAMES):
    # A typo must not silently leave a role without its second factor.
    raise ImproperlyConfigured(f"DERMREVIEW_MFA_REQUIRED_ROLES: unknown role(s) {unknown}; "
                               f"use {', '.join(sorted(MFA_ROLE_NAMES))}")
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = "DermReview"
