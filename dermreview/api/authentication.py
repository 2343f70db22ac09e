"""Token authentication whose use is audited.

Auditing every token-authenticated request would put one hash-chained audit row (and, on PostgreSQL, the chain's
advisory lock) on every API call. Writes are audited anyway by the services they call, so token *use* is recorded
at most once per token per `TOKEN_USE_AUDIT_INTERVAL_S` (per server process): enough to answer "was this token
used, from where, and when last", at a cost that does not grow with traffic.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from dermreview.audit.services.events import audit_log

TOKEN_USE_AUDIT_INTERVAL_S = 60


def token_fingerprint(key: str) -> str:
    # Never the key itself: audit rows and cache keys must not hold a usable credential.
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class AuditedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`; audits `api.token.use` at most once a minute per token."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        fingerprint = token_fingerprint(token.key)
        if cache.add(f"dermreview:api-token-use:{fingerprint}", 1, TOKEN_USE_AUDIT_INTERVAL_S):
            audit_log(
                action="api.token.use", actor=user,
                details={"token": fingerprint, "method": request.method, "path": request.path},
            )
        return user, token
