"""The two ways to sign in: the identity provider (OpenID Connect) and a local password, where the clinic allows it.

Both are listed in AUTHENTICATION_BACKENDS; Django asks each in turn. The OIDC backend answers only the callback
(it is handed the sign-in's nonce); the password backend only a username and password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from dermreview.accounts.models import User
from dermreview.accounts.oidc.errors import SignInRefused
from dermreview.accounts.oidc.mapping import MappingRefused, assignment_for_claims
from dermreview.accounts.oidc.provider import ProviderUnavailable, oidc_setting
from dermreview.accounts.oidc.services import external_identity_sign_in
from dermreview.audit.services.events import audit_log

# Set on the request for the views: why a sign-in was refused, and what the provider said of a successful one.
REFUSAL_ATTR = "dermreview_sso_refusal"
SIGNED_IN_ATTR = "dermreview_sso_identity"
PASSWORD_REFUSED_ATTR = "dermreview_password_login_refused"  # noqa: S105  (an attribute name)

# Checked by PyJWT; each maps to the reason shown and audited.
_TOKEN_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "expired_token"),
    (jwt.ImmatureSignatureError, "expired_token"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.InvalidTokenError, "invalid_token"),
)


def password_login_allowed(user: Any) -> bool:
    """Whether the user's clinic lets them log in with a DermReview password (operators, without a clinic, may)."""
    return user.organisation_id is None or user.organisation.local_password_login


class LocalPasswordBackend(ModelBackend):
    """Django's password check, refused for users of a clinic that signs in through the identity provider only.

    The refusal is marked on the request (the log-in form then points at the sign-in button) and audited; it is
    only ever reached with the right password, so it tells nothing to someone guessing. Existing password sessions
    of such a clinic end at their next request (`get_user`).
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or password_login_allowed(user):
            return user
        if request is not None:
            setattr(request, PASSWORD_REFUSED_ATTR, True)
        audit_log(action="auth.login_refused", obj=user, organisation=user.organisation,
                  details={"method": "password", "reason": "local_password_login_disabled"})
        return None

    def get_user(self, user_id: Any) -> User | None:
        user = super().get_user(user_id)
        return user if user is not None and password_login_allowed(user) else None


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with the checks DermReview needs and the account found by issuer and subject.

    The library verifies the signature and the nonce only; this backend also requires the configured issuer, this
    client as the audience (and authorised party), an unexpired token, and the subject claim, each refusal with
    its own reason. Endpoints come from settings or discovery (provider.py), read only when a callback arrives.
    """

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: it reads the endpoints (a discovery request) whenever Django lists its
        # backends, password log-ins included, and fails while single sign-on is off.
        self.UserModel = User

    def _configure(self) -> None:
        for attr in ("OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"):
            setattr(self, attr, oidc_setting(attr, None))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or "nonce" not in kwargs or not settings.DERMREVIEW_OIDC_ENABLED:
            return None
        try:
            self._configure()
            return super().authenticate(request, **kwargs)
        except SignInRefused as exc:
            refusal = exc
        except ProviderUnavailable as exc:
            refusal = SignInRefused("provider_error", problem=str(exc))
        except requests.RequestException as exc:
            refusal = SignInRefused("provider_error", problem=f"{type(exc).__name__}: {exc}"[:300])
        except SuspiciousOperation as exc:  # the library's own checks: no matching key, wrong algorithm
            refusal = SignInRefused("invalid_token", problem=str(exc)[:300])
        setattr(request, REFUSAL_ATTR, refusal)
        audit_log(action="auth.oidc.refused", details={"reason": refusal.reason, **refusal.details})
        return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, lifetime and nonce check out."""
        try:
            key = self.retrieve_matching_jwk(token)
            payload = jwt.decode(
                token, key, algorithms=[self.OIDC_RP_SIGN_ALGO], audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.DERMREVIEW_OIDC_ISSUER, leeway=settings.DERMREVIEW_OIDC_CLOCK_SKEW_S,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            reason = next(reason for kind, reason in _TOKEN_ERRORS if isinstance(exc, kind))
            raise SignInRefused(reason, problem=str(exc), **_unverified(token)) from None
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SignInRefused("wrong_audience", problem="azp is not this client", aud=audiences)
        if payload.get("nonce") != kwargs.get("nonce"):
            raise SignInRefused("nonce_mismatch")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        userinfo = self.get_userinfo(access_token, id_token, payload) if self.OIDC_OP_USER_ENDPOINT else {}
        if userinfo.get("sub", payload.get("sub")) != payload.get("sub"):
            raise SignInRefused("invalid_token", problem="the userinfo subject differs from the ID token's")
        claims = {**userinfo, **payload}  # the signed ID token wins
        subject = claims.get(settings.DERMREVIEW_OIDC_SUBJECT_CLAIM)
        if not isinstance(subject, str) or not subject:
            raise SignInRefused("missing_subject", claim=settings.DERMREVIEW_OIDC_SUBJECT_CLAIM)
        try:
            assignment = assignment_for_claims(claims, table=settings.DERMREVIEW_OIDC_GROUP_MAP,
                                               groups_claim=settings.DERMREVIEW_OIDC_GROUPS_CLAIM)
        except MappingRefused as exc:
            raise SignInRefused(exc.reason, subject=subject, groups=list(exc.groups)) from None
        user = external_identity_sign_in(issuer=settings.DERMREVIEW_OIDC_ISSUER, subject=subject, claims=claims,
                                         assignment=assignment)
        setattr(self.request, SIGNED_IN_ATTR, _signed_in(subject, claims, assignment.groups))
        return user

    def get_user(self, user_id: Any) -> User | None:
        return ModelBackend.get_user(self, user_id)  # the library's would keep a deactivated user signed in


def _unverified(token: str) -> dict[str, Any]:
    """For the audit of a refused token: who it claimed to be for, read without trusting it."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return {key: claims[key] for key in ("iss", "aud", "sub", "exp") if key in claims}


def _signed_in(subject: str, claims: Mapping[str, Any], groups: tuple[str, ...]) -> dict[str, Any]:
    return {"issuer": settings.DERMREVIEW_OIDC_ISSUER, "subject": subject, "groups": list(groups),
            "amr": claims.get("amr"), "acr": claims.get("acr")}
