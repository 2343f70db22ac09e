"""The second-factor pages: enrol an authenticator, enter a code, see the status, renew recovery codes.

`enrol` and `verify` are the pages a password-only session may open (see middleware.py); each guards itself.
"""

from __future__ import annotations

from typing import Any

import django_otp
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dermreview.accounts.mfa.forms import CodeForm, EnrolmentCodeForm
from dermreview.accounts.mfa.qr import authenticator_secret, qr_svg
from dermreview.accounts.mfa.selectors import mfa_enrolled, mfa_status
from dermreview.accounts.mfa.services import (
    MfaError,
    mfa_enrolment_confirm,
    mfa_enrolment_start,
    mfa_recovery_codes_regenerate,
    mfa_verify,
)


def _next_url(request: HttpRequest) -> str:
    """Where to go once verified: `next` when it stays on this site, else the start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _to(name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _mark_verified(request: HttpRequest, device: Any) -> None:
    # A new session key at the change of privilege, as Django's login() does for the password step.
    request.session.cycle_key()
    django_otp.login(request, device)


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Scan a QR code (or type the secret), confirm with a code, then see the recovery codes once."""
    replace = _is_verified(request)
    if mfa_enrolled(request.user) and not replace:
        return _to("mfa:verify", request)
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = mfa_enrolment_confirm(user=request.user, code=form.cleaned_data["code"], replace=replace)
        except MfaError as exc:
            form.add_error("code", exc.message)
        else:
            _mark_verified(request, device)
            return _recovery_codes_page(request, codes, just_enrolled=True)
    device = mfa_enrolment_start(user=request.user, replace=replace)
    return render(request, "accounts/mfa/enrol.html", {
        "form": form, "qr_svg": qr_svg(device.config_url), "secret": authenticator_secret(device),
        "next": _next_url(request), "replace": replace,
    })


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of every log-in for whoever has enrolled: a code, or one recovery code."""
    if _is_verified(request):
        return redirect(_next_url(request))
    if not mfa_enrolled(request.user):
        return _to("mfa:enrol", request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa_verify(user=request.user, code=form.cleaned_data["code"], channel="web")
        except MfaError as exc:
            form.add_error("code", exc.message)
        else:
            _mark_verified(request, device)
            return redirect(_next_url(request))
    return render(request, "accounts/mfa/verify.html", {"form": form, "next": _next_url(request)})


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/mfa/overview.html", {"status": mfa_status(request.user)})


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new set of recovery codes, shown this once; the old ones stop working."""
    try:
        codes = mfa_recovery_codes_regenerate(user=request.user)
    except MfaError:
        return redirect("mfa:enrol")
    return _recovery_codes_page(request, codes, just_enrolled=False)


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, just_enrolled: bool) -> HttpResponse:
    response = render(request, "accounts/mfa/recovery_codes.html", {
        "codes": codes, "just_enrolled": just_enrolled, "next": _next_url(request),
    })
    # Shown once: never from a cache, never again by going back.
    response["Cache-Control"] = "no-store"
    return response
