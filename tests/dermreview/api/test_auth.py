"""Token exchange, revocation, audit of token creation and use, login lockout and throttling of the token endpoint."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from dermreview.api.authentication import token_fingerprint
from dermreview.api.models import ApiToken
from dermreview.api.models.api_token import token_digest
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
    assert body["rotated"] is False and body["username"] == "alice"
    stored = ApiToken.objects.get(user=alice)
    # Only the digest and a short prefix are kept: the key itself is in the response and nowhere else.
    assert stored.digest == token_digest(body["token"])
    assert stored.prefix == body["prefix"] == body["token"][:8]
    assert body["token"] not in str(ApiToken.objects.values().get())
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.actor == alice
    assert event.details == {"token": token_fingerprint(body["token"]), "replaced": None}
    assert body["token"] not in str(event.details)  # the audit trail never holds a usable credential

    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = client.get("/api/v1/me/").json()
    assert me == {"id": alice.pk, "username": "alice", "roles": ["clinician"],
                  "organisation": {"id": alice.organisation_id, "name": "Riverside Dermatology",
                                   "slug": "riverside"}}


def test_token_exchange_again_rotates_the_token_and_the_old_key_stops_working(alice) -> None:  # noqa: ANN001
    # A stored token cannot be shown again (only its digest is kept): asking again replaces it.
    first = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()
    second = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()

    assert second["rotated"] is True and second["token"] != first["token"]
    assert ApiToken.objects.filter(user=alice).count() == 1
    assert_error(APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {first['token']}"), 401,
                 "authentication_failed")
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {second['token']}").status_code == 200
    event = AuditEvent.objects.filter(action="api.token.create").order_by("-sequence").first()
    assert event.details == {"token": token_fingerprint(second["token"]), "replaced": token_fingerprint(first["token"])}


def test_a_digest_or_prefix_leaked_from_the_database_or_a_page_does_not_authenticate(alice) -> None:  # noqa: ANN001
    key = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    stored = ApiToken.objects.get(user=alice)

    for leaked in (stored.digest, stored.prefix, stored.fingerprint):
        assert_error(APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {leaked}"), 401, "authentication_failed")
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_token_use_records_when_it_was_last_used(api, bob) -> None:  # noqa: ANN001
    client = api(bob)
    assert ApiToken.objects.get(user=bob).last_used_at is None

    assert client.get("/api/v1/me/").status_code == 200

    assert ApiToken.objects.get(user=bob).last_used_at is not None


def test_token_of_a_deactivated_user_no_longer_authenticates(api, bob) -> None:  # noqa: ANN001
    client = api(bob)
    bob.is_active = False
    bob.save()

    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_token_exchange_refuses_a_wrong_password_without_a_token(alice) -> None:  # noqa: ANN001
    response = APIClient().post(TOKEN_URL, {"username": "alice", "password": "wrong"}, format="json")
    assert_error(response, 400, "invalid_credentials")
    assert not ApiToken.objects.exists()


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
    assert not ApiToken.objects.exists()
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
    assert not ApiToken.objects.filter(user=bob).exists()
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


def test_tokens_are_listed_in_the_admin_by_prefix_never_by_key(client_for, oscar, alice) -> None:  # noqa: ANN001
    key = APIClient().post(TOKEN_URL, {"username": "alice", "password": PASSWORD}, format="json").json()["token"]
    token = ApiToken.objects.get(user=alice)
    client = client_for(oscar)

    listing = client.get("/admin/api/apitoken/").content.decode()
    detail = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()

    assert "alice" in listing and token.prefix in listing and token.prefix in detail
    for page in (listing, detail):
        assert key not in page and token.digest not in page
    assert client.get("/admin/api/apitoken/add/").status_code == 403  # keys are issued by the API only
    assert "/admin/authtoken/" not in client.get("/admin/").content.decode()  # DRF's plaintext tokens are gone
