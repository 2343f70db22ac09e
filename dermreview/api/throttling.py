"""Rate limits for the expensive or sensitive endpoints: token exchange, photo upload and export.

A view names its scope per action (`throttle_scopes = {"create": "api_upload"}`) so that, for instance, listing a
case's images is not limited while uploading to it is. Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
(DERMREVIEW_API_*_RATE). A throttled call gets 429 with `Retry-After` in the standard error shape.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class ActionScopedThrottle(ScopedRateThrottle):
    """ScopedRateThrottle whose scope may depend on the viewset action (or the HTTP method of a plain view)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        scopes: dict[str, str] = getattr(view, "throttle_scopes", {}) or {}
        action = getattr(view, "action", None) or request.method.lower()
        scope = scopes.get(action) or scopes.get(request.method.lower())
        if not scope:
            return True
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        # ScopedRateThrottle.allow_request would re-read the scope from `view.throttle_scope`; skip to its parent.
        return super(ScopedRateThrottle, self).allow_request(request, view)

    def get_rate(self) -> str | None:
        # Read the rates now, not at import (SimpleRateThrottle.THROTTLE_RATES), so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
