"""Headers every response carries."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ReverseProxyClientAddressMiddleware:
    """Behind nginx, take the client's address from `X-Real-IP` so that audit events and login lockouts
    see the person, not the proxy.

    Only when DERMREVIEW_BEHIND_PROXY is on: the header is then set (overwritten) by our own nginx, the only
    way into the web container. Without a proxy a client could forge it, so it is ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DERMREVIEW_BEHIND_PROXY:
            forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
            # Missing or malformed: keep the socket's address rather than trust garbage.
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: the app ships its own scripts and styles, nothing inline runs."""

    POLICY = (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API docs page (drf-spectacular) loads its own bundle; everything else gets the strict policy.
        if not request.path.startswith(("/api/v1/docs", "/admin/")):
            response.setdefault("Content-Security-Policy", self.POLICY)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "geolocation=(), microphone=()")
        return response
