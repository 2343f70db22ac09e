"""A password alone opens only the second-factor pages, log-in and log-out.

A signed-in session that has passed no second factor is sent to enter a code (whoever has enrolled) or to enrol
(whoever's role requires it and has not), with `next` kept; everything else waits. Views of the REST API that answer
in JSON authenticate on their own: `api.MfaSessionAuthentication` refuses such a session with a JSON 403, and a token
is only issued against a code. What anonymous callers may open (`login_not_required` views, such as the API's JSON
404), unknown paths (404) and static files stay open: they carry nothing to protect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.middleware import OTPMiddleware
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.views import APIView

from dermreview.accounts.mfa.selectors import MfaStep, mfa_step_for

# Open to a password-only session: the ways in and out, the second-factor steps, the health probe.
EXEMPT_VIEWS = frozenset({"login", "logout", "admin:login", "admin:logout", "healthz", "mfa:enrol", "mfa:verify"})


def _authenticates_itself(view_func: Callable[..., Any]) -> bool:
    """A DRF view answering JSON: its authentication classes apply the rule (a browser page built on DRF, such
    as the API docs, is a page like any other)."""
    view_class = getattr(view_func, "cls", None)
    if not (isinstance(view_class, type) and issubclass(view_class, APIView)):
        return False
    return not any(issubclass(renderer, TemplateHTMLRenderer) for renderer in view_class.renderer_classes)


def _public(view_func: Callable[..., Any]) -> bool:
    """A Django view open to anonymous callers (`login_not_required`) is open to a half-signed-in session too. DRF
    marks every view of its own so: those are judged by `_authenticates_itself` and otherwise redirected."""
    return getattr(view_func, "login_required", True) is False and getattr(view_func, "cls", None) is None


class MfaRequiredMiddleware(OTPMiddleware):
    """django-otp's OTPMiddleware (`request.user.is_verified()`, `otp_device`) with the rule above. After
    AuthenticationMiddleware and LoginRequiredMiddleware (anonymous callers go to the login form first)."""

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is None or match.view_name in EXEMPT_VIEWS or request.path.startswith(settings.STATIC_URL):
            return None
        if _authenticates_itself(view_func) or _public(view_func):
            return None
        step = mfa_step_for(user)
        if step is MfaStep.NONE:
            return None
        return redirect(f"{reverse(f'mfa:{step}')}?{urlencode({'next': request.get_full_path()})}")
