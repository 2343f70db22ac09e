"""`auth/token/` (exchange a password for a token, revoke it) and `me/` (who am I, with which roles)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from dermreview.accounts.mfa.api import mfa_api_token_check
from dermreview.api.base import ApiView
from dermreview.api.serializers.auth import MeSerializer, TokenRequestSerializer, TokenSerializer
from dermreview.api.services.tokens import api_credentials_check, api_token_issue, api_token_revoke


class TokenView(ApiView):
    throttle_scopes = {"post": "api_token"}

    def get_authenticators(self) -> list[Any]:
        # Exchanging a password needs no prior authentication; a browser session cookie sent along must not
        # turn the call into a CSRF-checked session request.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create", tags=["auth"], auth=[],
        request=TokenRequestSerializer, responses={200: TokenSerializer},
        summary="Exchange username and password for your API token",
        description="Returns a new token, shown this once (only a digest is stored): a token you already had "
                    "stops working (rotation), so keep the key where your client reads it. Failed attempts count "
                    "towards the same lockout as the login page; a locked username answers 429 `locked_out`. "
                    "Accounts with "
                    "two-factor authentication (reviewers, auditors and admins by default) also send `otp`, the "
                    "current authenticator code or a recovery code: 403 `mfa_required` without it, `mfa_invalid` "
                    "when wrong, `mfa_enrolment_required` before enrolling (at the first browser log-in).",
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp = data.validated_data.pop("otp", "")
        user = api_credentials_check(request=request._request, **data.validated_data)
        mfa_api_token_check(user=user, otp=otp)  # after the password, so a wrong one reveals nothing of MFA
        issued = api_token_issue(user=user)
        return Response(TokenSerializer({"token": issued.key, "prefix": issued.token.prefix,
                                         "rotated": issued.rotated, "username": user.username}).data)

    @extend_schema(
        operation_id="auth_token_destroy", tags=["auth"], request=None,
        responses={204: OpenApiResponse(description="Revoked (or there was none).")},
        summary="Revoke your API token",
    )
    def delete(self, request: Request) -> Response:
        api_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(ApiView):
    @extend_schema(operation_id="me_retrieve", tags=["auth"], responses={200: MeSerializer},
                   summary="The signed-in user, their clinic and roles")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
