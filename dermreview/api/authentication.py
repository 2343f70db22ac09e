"""Token authentication whose use is audited.

`Authorization: Token <key>`: the key is hashed and looked up by its SHA-256 digest (`ApiToken.digest`, unique and
indexed). Nothing is compared on the key itself or on its prefix, so there is no comparison whose timing could
reveal a key, and the database holds nothing that authenticates.

Auditing every token-authenticated request would put one hash-chained audit row (and, on PostgreSQL, the chain's
advisory lock) on every API call. Writes are audited anyway by the services they call, so token *use* is recorded
at most once per token per `TOKEN_USE_AUDIT_INTERVAL_S` (per server process), together with the token's
`last_used_at`: enough to answer "was this token used, from where, and when last", at a cost that does not grow
with traffic.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from dermreview.api.models import ApiToken
from dermreview.api.models.api_token import token_digest
from dermreview.audit.services.events import audit_log

TOKEN_USE_AUDIT_INTERVAL_S = 60


def token_fingerprint(key: str) -> str:
    # Never the key itself: audit rows and cache keys must not hold a usable credential.
    return token_digest(key)[:16]


class AuditedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`; audits `api.token.use` at most once a minute per token."""

    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if cache.add(f"dermreview:api-token-use:{token.fingerprint}", 1, TOKEN_USE_AUDIT_INTERVAL_S):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            audit_log(
                action="api.token.use", actor=user,
                details={"token": token.fingerprint, "method": request.method, "path": request.path},
            )
        return user, token
