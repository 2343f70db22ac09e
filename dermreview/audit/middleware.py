"""Opens the audit context of each request: its client address and the user it authenticates as."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dermreview.audit.context import audit_context


class AuditContextMiddleware:
    """After the reverse-proxy middleware (REMOTE_ADDR is then the client's) and after authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_context(ip_address=request.META.get("REMOTE_ADDR") or None,
                           actor_getter=lambda: getattr(request, "user", None)):
            return self.get_response(request)
