"""One error shape for the whole API: `{"error": code, "detail": text, "fields": {field: [messages]}}`.

Every failure on an `/api/` path answers in that shape, whatever raised it: DRF's own exceptions, Django's
(Http404, PermissionDenied, ValidationError, oversized or malformed requests), the domain exceptions of the
services the API calls, and unexpected errors (logged, then a JSON 500). Integrators can therefore switch on
`error` and never have to parse HTML.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core import exceptions as django_exceptions
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from dermreview.cases.models.case import InvalidTransition
from dermreview.drafting.models import FINDING_FIELDS
from dermreview.review.errors import ReviewConflict, ReviewError, ReviewInvalid, ReviewNotAllowed

logger = logging.getLogger("dermreview.api")

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    """The resource changed under the caller (stale lock version, claim held by someone else, wrong state)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource changed or is in a state that does not allow this."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class LockedOut(exceptions.APIException):
    """Too many failed logins for this username from this address (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many failed attempts: this account is locked for a while from your address."
    default_code = "locked_out"

    def __init__(self, wait: float | None = None) -> None:
        super().__init__()
        self.wait = wait


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as `{"a.b.0": ["message", ...]}`: one flat, predictable mapping."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": code, "detail": detail, "fields": fields or {}}


def _translate(exc: BaseException) -> BaseException:
    """Django and domain exceptions as DRF APIExceptions; anything else is returned unchanged."""
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, django_exceptions.PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, django_exceptions.ValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return PayloadTooLarge(str(exc) or None)
    if isinstance(exc, django_exceptions.TooManyFilesSent):
        return PayloadTooLarge("Too many files in one request.", code="too_many_files")
    if isinstance(exc, django_exceptions.SuspiciousOperation):
        return exceptions.ParseError("The request could not be processed.")
    if isinstance(exc, InvalidTransition):
        return Conflict(str(exc), code="invalid_state")
    return _translate_review_error(exc)


# The API's `error` code for a ReviewNotAllowed reason, where it differs from the service's own `code`.
_NOT_ALLOWED_ERROR = {"state": "invalid_state", "claim": "claimed"}


class ReviewRefused(exceptions.APIException):
    """A review error answered with the status its class states (`ReviewError.http_status`, review/errors.py):
    the same status the browser's review pages give it."""

    def __init__(self, exc: ReviewError, *, code: str) -> None:
        super().__init__(exc.message, code=code)
        self.status_code = exc.http_status


def _translate_review_error(exc: BaseException) -> BaseException:
    """The review services' domain errors (review/errors.py) as HTTP errors, with their own status."""
    if isinstance(exc, ReviewInvalid):
        # A 400 (ReviewInvalid.http_status) with the fields named as the API names them.
        return exceptions.ValidationError({_api_field_name(name): [message] for name, message in exc.errors.items()})
    if isinstance(exc, ReviewConflict):
        conflict = ReviewRefused(exc, code="conflict")
        conflict.extra = {"current_lock_version": exc.current_lock_version}  # type: ignore[attr-defined]
        return conflict
    if isinstance(exc, ReviewNotAllowed):
        return ReviewRefused(exc, code=_NOT_ALLOWED_ERROR.get(exc.code, exc.code))
    return exc


def _api_field_name(service_name: str) -> str:
    """The review services name finding fields bare; the API nests them under `fields`."""
    if service_name in FINDING_FIELDS:
        return f"fields.{service_name}"
    return {"__all__": "non_field_errors", "draft": "draft_id"}.get(service_name, service_name)


def api_exception_handler(exc: BaseException, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every error as the stable JSON shape, never None (so never Django's HTML 500)."""
    exc = _translate(exc)
    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        logger.error(
            "Unhandled error in API view %s %s", getattr(request, "method", "?"), getattr(request, "path", "?"),
            exc_info=exc,
        )
        set_rollback()
        return Response(
            error_body("server_error", "The server failed to handle this request; it has been logged."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", [])
        detail = " ".join(general) if general else "Some values are invalid; see `fields`."
        body = error_body(getattr(exc, "error_code", None) or "invalid", detail, fields)
    else:
        body = error_body(_code_of(exc), str(exc.detail))
        body.update(getattr(exc, "extra", None) or {})
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


# --- Outside DRF views: unknown API paths and crashes before a view runs ------------------------------------


@csrf_exempt  # it changes nothing, and a POST to a wrong path deserves the JSON 404, not the CSRF page
@login_not_required
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The catch-all of `/api/v1/`: a JSON 404 for every path no endpoint matches."""
    hint = "" if request.path.endswith("/") else " API paths end with a slash."
    return JsonResponse(error_body("not_found", f"No API endpoint at {request.path}.{hint}"), status=404)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The project's 404 handler: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    """The project's 500 handler: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("server_error", "The server failed to handle this request."), status=500)
    return defaults.server_error(request)
