"""Request and response plumbing of the shell: the client's address behind our proxy, the Permissions-Policy."""

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


class PermissionsPolicyMiddleware:
    """`Permissions-Policy`, the one security header neither Django nor django-csp sets.

    The rest are set elsewhere, on every response: the Content-Security-Policy by django-csp (`CONTENT_SECURITY_POLICY`
    in settings), nosniff, Referrer-Policy and Cross-Origin-Opener-Policy by Django's SecurityMiddleware, and
    X-Frame-Options by its XFrameOptionsMiddleware.
    """

    # The camera stays allowed: the upload page lets phones take the photo.
    POLICY = "geolocation=(), microphone=()"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.POLICY)
        return response
