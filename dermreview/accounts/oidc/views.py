"""The log-in page (password form and the single sign-on button), the provider's round trip, and log-out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from dermreview.accounts.oidc.backends import PASSWORD_REFUSED_ATTR, REFUSAL_ATTR, SIGNED_IN_ATTR
from dermreview.accounts.oidc.errors import SignInRefused
from dermreview.accounts.oidc.provider import ProviderUnavailable, end_session_url, oidc_setting
from dermreview.audit.services.events import audit_log

ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105  (mozilla-django-oidc's session key, OIDC_STORE_ID_TOKEN)


class PasswordLoginForm(AuthenticationForm):
    """Django's log-in form; a clinic that allows single sign-on only gets its own message, not "did not match"."""

    password_login_refused = False

    def get_invalid_login_error(self) -> ValidationError:
        if getattr(self.request, PASSWORD_REFUSED_ATTR, False):
            self.password_login_refused = True
            name = settings.DERMREVIEW_OIDC_PROVIDER_NAME
            return ValidationError(f"Your clinic does not use DermReview passwords: use \"Sign in with {name}\".",
                                   code="password_login_disabled")
        return super().get_invalid_login_error()


class SignInView(auth_views.LoginView):
    authentication_form = PasswordLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.DERMREVIEW_OIDC_ENABLED
        context["sso_provider_name"] = settings.DERMREVIEW_OIDC_PROVIDER_NAME
        return context


def _refused(request: HttpRequest, refusal: SignInRefused) -> HttpResponse:
    return render(request, "accounts/oidc_refused.html", {"reason": refusal.reason, "message": refusal.message},
                  status=403)


@method_decorator(login_not_required, name="dispatch")
class OidcSignInView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce and PKCE kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads the endpoint here; deferred to `get`, where an unreachable provider can be answered.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.DERMREVIEW_OIDC_ENABLED:
            raise Http404("Single sign-on is not enabled.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as exc:
            refusal = SignInRefused("provider_error", problem=str(exc))
            audit_log(action="auth.oidc.refused", details={"reason": refusal.reason, **refusal.details})
            return _refused(request, refusal)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class OidcCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: signed in, or a page that says why not (the backend audited the refusal)."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.DERMREVIEW_OIDC_ENABLED:
            raise Http404("Single sign-on is not enabled.")
        state = request.GET.get("state")
        if "code" in request.GET and state not in request.session.get("oidc_states", {}):
            # The library raises SuspiciousOperation (a bare 400): a reused or foreign callback link.
            return self._refuse(SignInRefused("state_mismatch"))
        return super().get(request)

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, REFUSAL_ATTR, None)
        if refusal is not None:
            return _refused(self.request, refusal)  # the backend has audited it
        if error := self.request.GET.get("error", ""):  # e.g. the person declined consent at the provider
            refusal = SignInRefused("provider_error", error=error[:100],
                                    description=self.request.GET.get("error_description", "")[:300])
        elif self.user is not None:
            refusal = SignInRefused("account_disabled")
        else:  # no sign-in under way in this session
            refusal = SignInRefused("state_mismatch")
        return self._refuse(refusal)

    def _refuse(self, refusal: SignInRefused) -> HttpResponse:
        audit_log(action="auth.oidc.refused", details={"reason": refusal.reason, **refusal.details})
        return _refused(self.request, refusal)

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        identity = getattr(self.request, SIGNED_IN_ATTR, {})
        audit_log(action="auth.oidc.login", actor=self.user, obj=self.user, details=identity)
        return response

    user = None


class SignOutView(auth_views.LogoutView):
    """Ends the DermReview session; a session that came from the provider then goes on to the provider's
    end-session endpoint (when it has one), so that the next "Sign in with ..." asks for the password again."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        id_token = request.session.get(ID_TOKEN_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        if id_token and settings.DERMREVIEW_OIDC_ENABLED:
            back = request.build_absolute_uri(reverse("login"))
            if url := end_session_url(id_token=id_token, post_logout_redirect_uri=back):
                return render(request, "accounts/oidc_signed_out.html",
                              {"end_session_url": url, "provider_name": settings.DERMREVIEW_OIDC_PROVIDER_NAME})
        return response
