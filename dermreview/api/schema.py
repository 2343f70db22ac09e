"""OpenAPI generation: every operation documents the error responses it can give, in the one error shape.

schemathesis checks that every status code the API returns is documented and that each body matches its schema,
so the error responses are part of the contract, not an afterthought.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from dermreview.api.serializers.common import ErrorSerializer

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input: `fields` names each offending field.",
    401: "Not signed in: send `Authorization: Token <key>` or a session cookie.",
    403: "Signed in, but your role does not allow this (or a session write lacks its CSRF token).",
    404: "No such resource in your organisation.",
    409: "Conflict: the case changed (stale `expected_lock_version`), is claimed by someone else, or is in a "
         "state that does not allow this.",
    413: "The request body or one of its files is too large, or there are too many files.",
    415: "Unsupported request content type.",
    429: "Too many requests: wait `Retry-After` seconds.",
}
_BODY_METHODS = {"POST", "PUT", "PATCH"}


class DermReviewAutoSchema(AutoSchema):
    def _error_statuses(self) -> list[int]:
        statuses = [401, 403, 404]
        method = self.method.upper()
        action = getattr(self.view, "action", None) or method.lower()
        statuses.append(400)
        if method in _BODY_METHODS:
            statuses += [413, 415]
        scopes: dict[str, str] = getattr(self.view, "throttle_scopes", {}) or {}
        if scopes.get(action) or scopes.get(method.lower()):
            statuses.append(429)
        extra: dict[str, tuple[int, ...]] = getattr(self.view, "extra_error_statuses", {}) or {}
        statuses += list(extra.get(action, ())) + list(extra.get(method.lower(), ()))
        return sorted(set(statuses))

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status_code in self._error_statuses():
            key = str(status_code)
            if key not in responses:
                responses[key] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status_code]), key,
                    direction=direction,
                )
        return responses
