"""The identity provider's endpoints: explicit settings, or the issuer's discovery document.

Discovery is fetched at the first sign-in and kept per issuer for the process's life (endpoints do not move; a
restart picks up a change). A provider that cannot be reached makes that sign-in fail with a clear page
(`ProviderUnavailable`), never start-up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings

# mozilla-django-oidc's setting -> the discovery document's key.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_END_SESSION_ENDPOINT": "end_session_endpoint",
}


class ProviderUnavailable(Exception):
    """The discovery document could not be read."""


@lru_cache(maxsize=8)
def _discovery(issuer: str) -> dict[str, Any]:
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"could not read {url}: {exc}") from None
    if document.get("issuer", "").rstrip("/") != issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was fetched for.
        raise ProviderUnavailable(f"{url} names issuer {document.get('issuer')!r}, expected {issuer!r}")
    return document


def oidc_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's `get_settings`, with unset endpoints taken from the issuer's discovery document."""
    if attr in DISCOVERED and not getattr(settings, attr, None):
        value = _discovery(settings.DERMREVIEW_OIDC_ISSUER).get(DISCOVERED[attr])
        if value or default:
            return value or default[0]
    return import_from_settings(attr, *default)


def end_session_url(*, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout), or None when the provider
    has no end-session endpoint (or cannot be reached: DermReview's own session has ended either way)."""
    try:
        endpoint = oidc_setting("OIDC_OP_END_SESSION_ENDPOINT", None)
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    params = {"client_id": settings.OIDC_RP_CLIENT_ID, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(params)}"
