"""Single sign-on settings, read by base.py: DermReview's own (DERMREVIEW_OIDC_*) and mozilla-django-oidc's (OIDC_*).

Endpoints left unset are read from the issuer's discovery document at the first sign-in
(dermreview/accounts/oidc/provider.py), not here: start-up must not depend on the provider being reachable.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from dermreview.accounts.oidc.mapping import parse_group_map
from dermreview.settings.registry import env

DERMREVIEW_OIDC_ENABLED = env("DERMREVIEW_OIDC_ENABLED")
DERMREVIEW_OIDC_PROVIDER_NAME = env("DERMREVIEW_OIDC_PROVIDER_NAME")
DERMREVIEW_OIDC_ISSUER = (env("DERMREVIEW_OIDC_ISSUER") or "").rstrip("/")
DERMREVIEW_OIDC_SUBJECT_CLAIM = env("DERMREVIEW_OIDC_SUBJECT_CLAIM")
DERMREVIEW_OIDC_GROUPS_CLAIM = env("DERMREVIEW_OIDC_GROUPS_CLAIM")
DERMREVIEW_OIDC_CLOCK_SKEW_S = env("DERMREVIEW_OIDC_CLOCK_SKEW_S")
try:
    DERMREVIEW_OIDC_GROUP_MAP = parse_group_map(env("DERMREVIEW_OIDC_GROUP_MAP"))
except ValueError as exc:
    raise ImproperlyConfigured(f"DERMREVIEW_OIDC_GROUP_MAP {exc}") from None

OIDC_RP_CLIENT_ID = env("DERMREVIEW_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("DERMREVIEW_OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = " ".join(env("DERMREVIEW_OIDC_SCOPES"))
OIDC_RP_SIGN_ALGO = env("DERMREVIEW_OIDC_SIGN_ALGO")
# None: discovered from the issuer (provider.oidc_setting).
OIDC_OP_AUTHORIZATION_ENDPOINT = env("DERMREVIEW_OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("DERMREVIEW_OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("DERMREVIEW_OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("DERMREVIEW_OIDC_JWKS_ENDPOINT")
OIDC_OP_END_SESSION_ENDPOINT = env("DERMREVIEW_OIDC_END_SESSION_ENDPOINT")
# PKCE on top of the client secret (an intercepted code is useless); a nonce ties the ID token to this browser.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
# Kept in the session as the `id_token_hint` of the provider's end-session request at log-out.
OIDC_STORE_ID_TOKEN = True
OIDC_TIMEOUT = 10

if DERMREVIEW_OIDC_ENABLED:
    _missing = [name for name, value in (
        ("DERMREVIEW_OIDC_ISSUER", DERMREVIEW_OIDC_ISSUER), ("DERMREVIEW_OIDC_CLIENT_ID", OIDC_RP_CLIENT_ID),
        ("DERMREVIEW_OIDC_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET), ("DERMREVIEW_OIDC_GROUP_MAP", DERMREVIEW_OIDC_GROUP_MAP),
    ) if not value]
    if _missing:
        raise ImproperlyConfigured(f"DERMREVIEW_OIDC_ENABLED=true needs {', '.join(_missing)}")
    if "openid" not in OIDC_RP_SCOPES.split():
        raise ImproperlyConfigured("DERMREVIEW_OIDC_SCOPES must include `openid`")
