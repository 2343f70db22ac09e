"""Two-factor authentication on the REST API: a token is issued only against a code, and a browser session that
has not passed its second factor opens no endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from dermreview.audit.models import AuditEvent
from tests.dermreview.api.conftest import assert_error
from tests.mfa import PASSWORD, authenticator_for, password_login, totp_code, wrong_code

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The token endpoint's throttle counts in the cache: no test may inherit another's.
    cache.clear()
    yield
    cache.clear()


def _exchange(username: str, password: str = PASSWORD, **extra: str) -> Any:
    return APIClient().post(TOKEN_URL, {"username": username, "password": password, **extra}, format="json")


def _token_issued() -> bool:
    return AuditEvent.objects.filter(action__startswith="api.token.").exclude(action="api.token.use").exists()


def test_mfa_api_token_refused_to_a_reviewer_who_has_not_enrolled(bob) -> None:  # noqa: ANN001
    body = assert_error(_exchange("bob"), 403, "mfa_enrolment_required")
    assert "authenticator" in body["detail"]
    assert not _token_issued()


def test_mfa_api_token_needs_otp_from_a_reviewer(bob) -> None:  # noqa: ANN001
    authenticator_for(bob)
    body = assert_error(_exchange("bob"), 403, "mfa_required")
    assert "`otp`" in body["detail"]
    # A wrong password says nothing about a second factor.
    assert_error(_exchange("bob", password="wrong"), 400, "invalid_credentials")
    assert not _token_issued()


def test_mfa_api_token_refuses_a_wrong_otp_and_audits_it(bob) -> None:  # noqa: ANN001
    device = authenticator_for(bob)
    assert_error(_exchange("bob", otp=wrong_code(device)), 403, "mfa_invalid")
    failed = AuditEvent.objects.get(action="auth.mfa.failed")
    assert failed.actor == bob and failed.details == {"stage": "verify", "channel": "api", "reason": "wrong_code"}
    assert not _token_issued()
    # Straight away, even the right code waits out django-otp's back-off: 429 with Retry-After.
    throttled = _exchange("bob", otp=totp_code(device))
    assert_error(throttled, 429, "mfa_throttled")
    assert int(throttled["Retry-After"]) >= 1


def test_mfa_api_token_with_a_valid_otp_works(bob) -> None:  # noqa: ANN001
    device = authenticator_for(bob)
    response = _exchange("bob", otp=totp_code(device))

    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/me/").json()["username"] == "bob"
    verified = AuditEvent.objects.get(action="auth.mfa.verify")
    assert verified.actor == bob and verified.details == {"method": "totp", "channel": "api"}
    assert _token_issued()


def test_mfa_api_token_needs_no_otp_from_a_clinician(alice) -> None:  # noqa: ANN001
    assert _exchange("alice").status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="auth.mfa.").exists()


def test_mfa_api_session_without_second_factor_opens_no_endpoint(bob) -> None:  # noqa: ANN001
    device = authenticator_for(bob)
    client = Client()
    password_login(client, bob)

    assert_error(client.get("/api/v1/cases/"), 403, "mfa_required")
    assert_error(client.get("/api/v1/me/"), 403, "mfa_required")
    # Another Authorization scheme does not make DRF fall back to a half-signed-in session.
    assert_error(client.get("/api/v1/cases/", HTTP_AUTHORIZATION="Bearer nonsense"), 403, "mfa_required")
    assert client.get("/api/v1/schema/").status_code == 403

    client.post("/accounts/mfa/verify/", {"code": totp_code(device)})
    assert client.get("/api/v1/cases/").status_code == 200
