"""Token exchange, revocation, audit of token creation and use, login lockout and throttling of the token endpoint."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from dermreview.api.authentication import token_fingerprint
from dermreview.audit.models import AuditEvent
from tests.dermreview.api.conftest import assert_error

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
TOKEN_URL = "/api/v1/auth/token/"


def test_token_exchange_returns_a_working_token_and_audits_its_creation(alice) -> None:  # noqa: ANN001
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True and body["username"] == "alice"
    assert Token.objects.get(user=alice).key == body["token"]
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.actor == alice
    assert event.details == {"token": token_fingerprint(body["token"])}
    assert body["token"] not in str(event.details)  # the audit trail never holds a usable credential

    again = client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()
    assert again == {**body, "created": False}

    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = client.get("/api/v1/me/").json()
    assert me == {"id": alice.pk, "username": "alice", "roles": ["clinician"],
                  "organisation": {"id": alice.organisation_id, "name": "Riverside Dermatology",
                                   "slug": "riverside"}}


def test_token_exchange_refuses_a_wrong_password_without_a_token(alice) -> None:  # noqa: ANN001
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": "wrong"}, format="json")
    assert_error(response, 400, "invalid_credentials")
    assert not Token.objects.exists()


def test_token_exchange_validates_its_input(db) -> None:  # noqa: ANN001
    body = assert_error(APIClient().post(TOKEN_URL, {"username": "alice"}, format="json"), 400, "invalid")
    assert list(body["fields"]) == ["password"]


def test_token_endpoint_shares_the_login_lockout(alice) -> None:  # noqa: ANN001
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert_error(client.post(TOKEN_URL, {"username": "alice", "password": "nope"}, format="json"), 400)
    locked = client.post(TOKEN_URL, {"username": "alice", "password": "nope"}, format="json")
    body = assert_error(locked, 429, "locked_out")
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert "locked" in body["detail"]
    # Now even the right password is refused, in JSON (not the login page's HTML), and no token is issued.
    assert_error(client.post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json"), 429,
                 "locked_out")
    assert not Token.objects.exists()
    # The browser login is locked too: one lockout for both doors.
    page = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert page.status_code == 429


def test_token_endpoint_is_throttled_with_retry_after(db, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "api_token", "3/min")
    client = APIClient()
    for _ in range(3):
        assert_error(client.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json"), 400)
    throttled = client.post(TOKEN_URL, {"username": "x", "password": "y"}, format="json")
    assert_error(throttled, 429, "throttled")
    assert 1 <= int(throttled["Retry-After"]) <= 60


def test_revoked_token_no_longer_authenticates_and_revocation_is_audited(api, bob) -> None:  # noqa: ANN001
    client = api(bob)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=bob).exists()
    assert AuditEvent.objects.filter(action="api.token.revoke", actor=bob).count() == 1
    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_token_use_is_audited_once_per_interval_not_per_request(api, carol) -> None:  # noqa: ANN001
    client = api(carol)
    for _ in range(3):
        assert client.get("/api/v1/cases/").status_code == 200
    events = AuditEvent.objects.filter(action="api.token.use", actor=carol)
    assert events.count() == 1
    assert events.get().details["path"] == "/api/v1/cases/"


def test_anonymous_calls_get_json_401_with_token_challenge(db) -> None:  # noqa: ANN001
    response = APIClient().get("/api/v1/cases/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_session_writes_need_the_csrf_token(alice) -> None:  # noqa: ANN001
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/v1/cases/").status_code == 200
    refused = client.post("/api/v1/cases/", {"patient_ref": "PT-2", "body_site": "back"}, format="json")
    body = assert_error(refused, 403, "permission_denied")
    assert "CSRF" in body["detail"]


def test_tokens_are_listed_in_the_admin(admin_client, alice) -> None:  # noqa: ANN001
    Token.objects.create(user=alice)
    page = admin_client.get("/admin/authtoken/tokenproxy/")
    assert page.status_code == 200
    assert b"alice" in page.content
