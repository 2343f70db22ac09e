"""The provider's claims, and the two faulty applications' ID tokens."""

from __future__ import annotations

import time
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

WRONG_AUDIENCE_APP = "wrong-audience"
EXPIRED_TOKENS_APP = "expired-tokens"
OTHER_AUDIENCE = "an-application-that-is-not-dermreview"


class ProviderValidator(OAuth2Validator):
    # Every claim below goes into the ID token and userinfo, whatever the scopes (a test provider).
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "preferred_username": user.username,
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "amr": ["pwd"],
        }

    def get_id_token_dictionary(self, token: Any, token_handler: Any, request: Any) -> tuple[dict[str, Any], Any]:
        claims, expiration = super().get_id_token_dictionary(token, token_handler, request)
        if request.client.name == WRONG_AUDIENCE_APP:
            claims["aud"] = OTHER_AUDIENCE  # as if a token issued to another application were replayed
        elif request.client.name == EXPIRED_TOKENS_APP:
            now = int(time.time())
            claims.update(iat=now - 7200, exp=now - 3600)  # an hour past its expiry: far beyond any clock skew
        return claims, expiration
